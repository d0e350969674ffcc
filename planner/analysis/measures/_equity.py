"""Fairness of time to the nearest station: Gini, Palma, Lorenz curve, worst-served, areas."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import InputError
from planner.i18n import _, fmt_minutes, fmt_percent, fmt_places


@dataclass(frozen=True)
class EquityOptions:
    """Options of the ``equity`` measure.

    Parameters
    ----------
    worst_share
        The worst-served share of demand weight to locate (default the worst 10 %).
    grid_m
        Side of the square grid cells used as areas when no area polygons are given.
    unreachable_min
        Minutes counted for places that reach no station at all; ``None`` leaves them out of
        Gini, Palma and the Lorenz curve (they are reported apart and lead the worst-served).
    """

    worst_share: float = 0.10
    grid_m: float = 1000.0
    unreachable_min: float | None = None

    def __post_init__(self) -> None:
        if not 0 < float(self.worst_share) < 1:
            raise InputError(f"equity worst_share must be in (0, 1), got {self.worst_share!r}")
        if not (np.isfinite(self.grid_m) and self.grid_m >= 50):
            raise InputError(f"equity grid_m must be at least 50 (metres), got {self.grid_m!r}")
        if self.unreachable_min is not None and not (
                np.isfinite(self.unreachable_min) and self.unreachable_min > 0):
            raise InputError("equity unreachable_min must be a positive number of minutes")


def lorenz(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Lorenz curve: cumulative weight share against cumulative value share.

    Values sorted ascending; points start at (0, 0) and end at (1, 1).
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    mass = np.concatenate([[0.0], np.cumsum(v * w)])
    people = np.concatenate([[0.0], np.cumsum(w)])
    if people[-1] <= 0 or mass[-1] <= 0:
        return np.array([0.0, 1.0]), np.array([0.0, 1.0])
    return people / people[-1], mass / mass[-1]


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini: 1 - sum (p_k - p_{k-1}) (L_k + L_{k-1}), exact for discrete data
    (equal to sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean))."""
    p, share = lorenz(values, weights)
    return float(1.0 - np.sum(np.diff(p) * (share[1:] + share[:-1])))


def palma(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Share of total time of the worst 10 % of weight over that of the best 40 %."""
    p, share = lorenz(values, weights)
    bottom = float(np.interp(0.4, p, share))
    top = 1.0 - float(np.interp(0.9, p, share))
    return top / bottom if bottom > 0 else None


def worst_served(minutes: np.ndarray, weights: np.ndarray, share: float) -> np.ndarray:
    """Mask of the places with the longest times that together hold ``share`` of the weight
    (the place crossing the boundary included; unreachable places first)."""
    minutes = np.asarray(minutes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    order = np.argsort(-np.nan_to_num(minutes, posinf=np.finfo(float).max), kind="stable")
    before = np.concatenate([[0.0], np.cumsum(weights[order])[:-1]])
    mask = np.zeros(minutes.size, dtype=bool)
    mask[order[before < share * weights.sum()]] = True
    return mask


def grid_areas(demand: gpd.GeoDataFrame, *, cell_m: float) -> gpd.GeoDataFrame:
    """Square cells of ``cell_m`` (in a local UTM CRS) holding at least one demand place,
    each named after its heaviest place."""
    crs = demand.geometry.estimate_utm_crs()
    xy = shapely.get_coordinates(demand.geometry.to_crs(crs).to_numpy())
    index = np.floor(xy / cell_m).astype(np.int64)
    cells, which = np.unique(index, axis=0, return_inverse=True)
    which = np.asarray(which).ravel()
    weight = demand["weight"].to_numpy(dtype=float)
    names = demand["name"].astype(str).to_numpy()
    heaviest = pd.Series(weight).groupby(which).idxmax().to_numpy()
    boxes = shapely.box(cells[:, 0] * cell_m, cells[:, 1] * cell_m,
                        (cells[:, 0] + 1) * cell_m, (cells[:, 1] + 1) * cell_m)
    ids = [f"{int(cell_m)}m:{cx}:{cy}" for cx, cy in cells]
    centres = gpd.GeoSeries(shapely.centroid(boxes), crs=crs).to_crs("EPSG:4326")
    labels = [_("cell at {lat},{lon} near {name}").format(lat=f"{c.y:.4f}", lon=f"{c.x:.4f}",
                                                          name=names[i])
              for c, i in zip(centres, heaviest)]
    frame = gpd.GeoDataFrame({"area_id": ids, "name": labels}, geometry=boxes, crs=crs)
    return frame.to_crs("EPSG:4326")


def area_table(demand: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, threshold_min: float
               ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Per area (``area_id``, ``name``, polygon): places, weight, covered share, mean and
    worst time, worst first; and the area id of each place ("" outside every area)."""
    pts = demand.geometry.reset_index(drop=True)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=pts, crs=demand.crs),
                       areas[["area_id", "geometry"]].reset_index(drop=True),
                       how="left", predicate="intersects")
    joined = joined[~joined.index.duplicated(keep="first")]  # overlapping areas: first wins
    place_area = joined["area_id"].fillna("").astype(str).to_numpy()
    minutes = demand["minutes_to_nearest"].to_numpy(dtype=float)
    weight = demand["weight"].to_numpy(dtype=float)
    frame = pd.DataFrame({"area_id": place_area, "w": weight, "m": minutes,
                          "cov": weight * (minutes <= threshold_min),
                          "reach": np.isfinite(minutes)})
    frame["wm"] = np.where(frame["reach"], frame["w"] * np.nan_to_num(frame["m"], posinf=0), 0)
    frame["wr"] = np.where(frame["reach"], frame["w"], 0.0)
    frame["mm"] = np.where(frame["reach"], frame["m"], np.nan)
    grouped = frame[frame["area_id"] != ""].groupby("area_id").agg(
        places=("w", "size"), weight=("w", "sum"), covered=("cov", "sum"), wm=("wm", "sum"),
        wr=("wr", "sum"), worst_min=("mm", "max"), unreachable=("reach", lambda r: int((~r).sum())))
    table = areas.merge(grouped.reset_index(), on="area_id", how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        table["covered_share"] = np.where(table["weight"] > 0,
                                          table["covered"] / table["weight"], 1.0).round(4)
        table["mean_min"] = np.where(table["wr"] > 0, table["wm"] / table["wr"], np.nan).round(2)
    table["weight"] = table["weight"].round(3)
    table["worst_min"] = table["worst_min"].round(2)
    table = table.sort_values(["covered_share", "mean_min"], ascending=[True, False],
                              na_position="first")
    columns = ["area_id", "name", "places", "weight", "covered_share", "mean_min", "worst_min",
               "unreachable", "geometry"]
    return gpd.GeoDataFrame(table[columns].reset_index(drop=True), crs=areas.crs), place_area


@dataclass(frozen=True, eq=False)
class EquityResult:
    """Inequality of weighted time to the nearest station.

    ``lorenz_p`` / ``lorenz_share`` are the Lorenz points (weight share, time share);
    ``worst`` marks the worst-served places (``worst_weight_share`` of the weight, all beyond
    ``worst_from_min`` minutes); ``areas`` is the per-area table, worst first.
    """

    gini: float
    palma: float | None
    lorenz_p: np.ndarray = field(repr=False)
    lorenz_share: np.ndarray = field(repr=False)
    worst: np.ndarray = field(repr=False)
    worst_weight_share: float
    worst_from_min: float | None
    worst_outline: object = field(repr=False)
    unreachable_share: float
    areas: gpd.GeoDataFrame = field(repr=False)
    place_area: np.ndarray = field(repr=False)
    options: EquityOptions


def equity_measure(demand: gpd.GeoDataFrame, *, threshold_min: float,
                   areas: gpd.GeoDataFrame | None = None,
                   options: EquityOptions | None = None) -> EquityResult:
    """Gini, Palma, Lorenz curve, worst-served places and the area table of ``demand``
    (a coverage result's demand frame: ``weight``, ``minutes_to_nearest``)."""
    options = options or EquityOptions()
    minutes = demand["minutes_to_nearest"].to_numpy(dtype=float)
    weight = demand["weight"].to_numpy(dtype=float)
    total = float(weight.sum()) or 1.0
    finite = np.isfinite(minutes)
    used = minutes if options.unreachable_min is None else np.where(
        finite, minutes, options.unreachable_min)
    keep = np.isfinite(used)
    p, share = lorenz(used[keep], weight[keep])
    worst = worst_served(minutes, weight, options.worst_share)
    outline = None
    if worst.any():
        crs = demand.geometry.estimate_utm_crs()
        xy = demand.geometry[worst].to_crs(crs)
        hull = shapely.buffer(shapely.convex_hull(shapely.MultiPoint(
            shapely.get_coordinates(xy.to_numpy()))), 150.0, quad_segs=4)
        outline = gpd.GeoSeries([hull], crs=crs).to_crs("EPSG:4326").iloc[0]
    if areas is None:
        areas = grid_areas(demand, cell_m=options.grid_m)
    table, place_area = area_table(demand, areas, threshold_min=threshold_min)
    return EquityResult(
        gini=gini(used[keep], weight[keep]), palma=palma(used[keep], weight[keep]),
        lorenz_p=p, lorenz_share=share, worst=worst,
        worst_weight_share=float(weight[worst].sum() / total),
        worst_from_min=float(minutes[worst].min()) if worst.any() else None,
        worst_outline=outline, unreachable_share=float(weight[~finite].sum() / total),
        areas=table, place_area=place_area, options=options,
    )


def summary(result: EquityResult, demand: gpd.GeoDataFrame, *, points: int = 21) -> dict:
    grid = np.linspace(0.0, 1.0, points)
    worst = demand[result.worst]
    weight = worst["weight"].to_numpy(dtype=float)
    where = None
    if len(worst) and weight.sum() > 0:
        where = {"lon": round(float(np.average(worst.geometry.x, weights=weight)), 6),
                 "lat": round(float(np.average(worst.geometry.y, weights=weight)), 6)}
    by_area = pd.Series(weight, index=result.place_area[result.worst]).groupby(level=0).sum()
    by_area = by_area[by_area.index != ""].sort_values(ascending=False)
    areas = pd.DataFrame(result.areas.drop(columns="geometry"))
    return {
        "gini": round(result.gini, 4),
        "palma": None if result.palma is None else round(result.palma, 4),
        "unreachable_share": round(result.unreachable_share, 4),
        "worst_served": {
            "target_share": result.options.worst_share,
            "weight_share": round(result.worst_weight_share, 4),
            "places": int(result.worst.sum()),
            "from_min": None if result.worst_from_min is None or not np.isfinite(
                result.worst_from_min) else round(result.worst_from_min, 2),
            "centre": where,
            "areas": [{"area_id": str(a), "weight_share": round(float(w / weight.sum()), 4)}
                      for a, w in by_area.head(5).items()],
        },
        "lorenz": [[round(float(x), 4), round(float(np.interp(x, result.lorenz_p,
                                                               result.lorenz_share)), 4)]
                   for x in grid],
        "areas": areas.replace({np.nan: None}).to_dict(orient="records"),
    }


def lines(summary_: dict) -> list[str]:
    worst = summary_["worst_served"]
    palma_ = _("n/a") if summary_["palma"] is None else f"{summary_['palma']:.2f}"
    where = (_("beyond {minutes} min").format(minutes=f"{worst['from_min']:g}")
             if worst["from_min"] is not None else _("that reach no station"))
    out = [_("equity: Gini {gini}, Palma {palma} (time to nearest station); worst {share} of "
             "weight: {places} {where}").format(
        gini=f"{summary_['gini']:.2f}", palma=palma_, share=fmt_percent(worst["weight_share"], 0),
        places=fmt_places(worst["places"]), where=where)]
    if worst["centre"]:
        out[-1] += _(" around {lon},{lat}").format(lon=f"{worst['centre']['lon']:.5f}",
                                                   lat=f"{worst['centre']['lat']:.5f}")
    for row in summary_["areas"][:3]:
        mean = "-" if row["mean_min"] is None else fmt_minutes(row["mean_min"])
        out.append("  " + _("area {name}: {share} covered, mean {mean}, weight {weight}").format(
            name=row["name"], share=fmt_percent(row["covered_share"], 0), mean=mean,
            weight=f"{row['weight']:g}"))
    return out
