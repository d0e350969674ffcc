"""What a proposal's sites add, and the stations of the plan (helpers of :mod:`proposals`)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from planner.data import layers


def plan_stations(base, sites) -> gpd.GeoDataFrame | None:
    """The stations of the plan: the fixed ones (if any) plus the proposed sites."""
    if base is None or not len(base):
        if sites.empty:
            return None
        plan = layers.points_from_lonlat(list(zip(sites.geometry.x, sites.geometry.y)),
                                         ids=sites["id"].astype(str), names=sites["name"],
                                         role="proposal")
        if "capacity" in sites.columns:
            plan["capacity"] = sites["capacity"].to_numpy()
        return plan
    existing_ids = set(base["id"].astype(str))
    fresh = [{"id": r.id, "name": r.name, "kind": "proposed", "lon": r.geometry.x,
              "lat": r.geometry.y} for r in sites.itertuples() if r.id not in existing_ids]
    plan = layers.edit_stations(base, add=fresh) if fresh else base
    if fresh and "capacity" in sites.columns:  # the sites' seats count in the measures
        seats = dict(zip(sites["id"].astype(str), sites["capacity"]))
        new = plan["id"].astype(str).isin(seats) & ~plan["id"].astype(str).isin(existing_ids)
        if "capacity" not in plan.columns:
            plan["capacity"] = None
        plan.loc[new, "capacity"] = plan.loc[new, "id"].astype(str).map(seats)
    return plan


def describe_sites(street, pool, demand, problem, solution, segments, threshold):
    """One row per proposed site: what it adds (in the model's own unit) and where it is.

    Every model: ``newly_covered_places``/``_weight``/``_ids`` (within ``threshold_min``, not
    covered by the open stations or the sites ranked before). Backup adds
    ``newly_covered_2plus_weight`` (weight this site brings to a second station in reach);
    capacitated MCLP ``served_weight``; the p-median ``saving_weight_min`` (demand weight x minutes saved) and
    ``mean_min_after`` (mean time over the reached demand once this site is open).
    """
    selected = list(solution.selected)
    rows = pool.iloc[selected].reset_index(drop=True).copy()
    covered = problem.fixed_mask().copy()
    if problem.fixed.nnz:
        fixed = problem.fixed.tocsr()
        covered = np.zeros(problem.n_demand, dtype=bool)
        covered[fixed.indices[fixed.data <= threshold * 60 + 1e-9]] = True
    newly, twice = [], []
    counts = np.bincount(problem.fixed.tocsr().indices[problem.fixed.tocsr().data
                                                       <= threshold * 60 + 1e-9],
                         minlength=problem.n_demand)
    for j in selected:
        row = problem.cover[j]
        reach = row.indices[row.data <= threshold * 60 + 1e-9]
        fresh = reach[~covered[reach]]
        newly.append(fresh)
        twice.append(reach[counts[reach] == 1])
        counts[reach] += 1
        covered[reach] = True
    demand_ids = demand["id"].astype(str).to_numpy()
    rows.insert(0, "rank", np.arange(1, len(selected) + 1))
    rows["newly_covered_places"] = [int(n.size) for n in newly]
    rows["newly_covered_weight"] = [round(float(problem.weights[n].sum()), 3) for n in newly]
    extra = []
    gains = list(solution.gains) + [0.0] * (len(selected) - len(solution.gains))
    if solution.model == "pmedian":
        rows["saving_weight_min"] = np.round(gains[:len(selected)], 3)
        rows["mean_min_after"] = solution.details.get("mean_min_after_each", [])[:len(selected)]
        extra = ["saving_weight_min", "mean_min_after"]
    elif solution.model == "backup":
        rows["newly_covered_2plus_weight"] = [round(float(problem.weights[t].sum()), 3)
                                              for t in twice]
        extra = ["newly_covered_2plus_weight"]
    elif solution.model == "mclp-capacitated":
        rows["served_weight"] = np.round(gains[:len(selected)], 3)
        extra = ["served_weight"]
    rows["newly_covered_ids"] = [",".join(demand_ids[n][:50]) for n in newly]
    rows["street"] = [street.network.street_name(int(street.seg_index[segments[j]]))
                      if segments[j] >= 0 else "" for j in selected]
    rows["nearest_place"] = _nearest_names(rows, demand, street.crs)
    rows["threshold_min"] = threshold
    if "capacity" in rows.columns:
        extra.append("capacity")
    columns = ["rank", "id", "name", "source", "kind", *extra, "newly_covered_places",
               "newly_covered_weight", "street", "nearest_place", "threshold_min",
               "newly_covered_ids"]
    return gpd.GeoDataFrame(rows[columns], geometry=rows.geometry.to_numpy(), crs="EPSG:4326")


def gain_text(row) -> str:
    """What one proposed site adds, in words with units (for the console and the map)."""
    within = f"{row.newly_covered_places} places newly within {row.threshold_min:g} min"
    if hasattr(row, "saving_weight_min"):
        mean = getattr(row, "mean_min_after", None)
        after = "" if mean is None or mean != mean else f", mean {mean:.2f} min after it"
        return f"saves {row.saving_weight_min:,.1f} weight x min{after}; {within}"
    if hasattr(row, "newly_covered_2plus_weight"):
        return (f"+{row.newly_covered_2plus_weight:g} demand weight covered twice, "
                f"+{row.newly_covered_weight:g} covered ({within})")
    if hasattr(row, "served_weight"):
        return f"serves {row.served_weight:g} demand weight; {within}"
    return f"+{row.newly_covered_weight:g} demand weight covered ({within})"


def _nearest_names(sites, demand, crs, radius_m: float = 200.0) -> list[str]:
    named = demand[demand["name"].astype(str) != demand["id"].astype(str)]
    named = named[~named["name"].astype(str).str.contains(r"building|\(no name\)", regex=True)]
    if named.empty or sites.empty:
        return [""] * len(sites)
    tree = cKDTree(layers.projected_xy(named, crs))
    dist, index = tree.query(layers.projected_xy(sites, crs), k=1)
    names = named["name"].astype(str).to_numpy()
    return [f"{names[i]} ({d:.0f} m)" if d <= radius_m else "" for d, i in zip(dist, index)]
