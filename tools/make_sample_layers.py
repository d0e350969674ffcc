"""Rebuild the bundled sample layers in layers/ from the OSM extracts in ../shared/data.

Run from the repository root:  python tools/make_sample_layers.py [--shared ../shared]

Demand comes from real OSM features where riders concentrate (food and shops: pick-up points)
and from residential buildings (drop-off points); candidates from public places (the
"use idle public assets" pattern). Stations are illustrative, chosen by hand: these districts
have no published station plan in OSM. Their services and opening hours are ILLUSTRATIVE too
(what such stations typically offer), so the per-service analyses have something to show.
Candidates of the kinds in HUB_KINDS get ``hub_capable: true`` (buildings big enough to host a
full hub station in a "1+N" plan); the others can host satellites only.

Only features within ``SERVED_M`` of a street that both walkers and e-bikes may use in the
extract are kept: the raw exports also carry route-relation members far outside the box
(metro stations of whole lines) and buildings where OSM maps no street nearby, which no
sample analysis could route.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

from planner.data._osm import iter_points

#: Features farther than this (m) from every street of the extract are left out (the
#: planner's default snap distance).
SERVED_M = 250.0

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (https://www.openstreetmap.org/copyright)"

#: Pick-up points: weight ~ how many riders wait there at peak.
PICKUP_WEIGHTS = {
    ("amenity", "restaurant"): 3.0, ("amenity", "fast_food"): 3.0, ("amenity", "cafe"): 2.0,
    ("amenity", "food_court"): 4.0, ("amenity", "bar"): 1.0, ("amenity", "ice_cream"): 1.0,
    ("shop", "convenience"): 2.0, ("shop", "supermarket"): 2.0, ("shop", "mall"): 5.0,
    ("shop", "bakery"): 1.0, ("shop", "greengrocer"): 1.0, ("amenity", "pharmacy"): 1.0,
    ("shop", "kiosk"): 0.5,
}
#: Drop-off points: homes and dormitories.
DROPOFF_WEIGHTS = {"residential": 1.0, "apartments": 1.5, "dormitory": 1.5, "house": 0.5}
#: Public places that could host a sub-station ("1+N": community centres, libraries...).
CANDIDATE_KINDS = {
    ("amenity", "community_centre"), ("amenity", "library"), ("amenity", "townhall"),
    ("amenity", "post_office"), ("amenity", "school"), ("amenity", "college"),
    ("amenity", "university"), ("amenity", "kindergarten"), ("amenity", "police"),
    ("amenity", "hospital"), ("amenity", "theatre"), ("amenity", "parking"),
    ("amenity", "social_facility"), ("leisure", "park"), ("railway", "station"),
    ("amenity", "toilets"),
}

#: Candidate kinds that could host a full hub station (the others: satellites only).
HUB_KINDS = {"community_centre", "townhall", "library", "police", "hospital", "university",
             "college", "social_facility"}

#: Illustrative services and opening hours per station id, per sample.
FULL = "rest;water;microwave;charging;battery_swap;first_aid;toilet;canteen"
STATION_SERVICES = {
    "wudaokou": {
        "S1": (FULL, "24/7"),
        "S2": ("rest;water;microwave;charging", "Mo-Su 07:00-22:00"),
        "S3": ("rest;water;charging;toilet", "Mo-Fr 08:00-20:00; Sa,Su 10:00-18:00"),
    },
    "guixi": {
        "S1": (FULL, "06:00-23:00"),
        "S2": ("rest;water;charging", "Mo-Sa 08:00-20:00"),
    },
}

SAMPLES = {
    "wudaokou": {
        "source": "china/beijing-wudaokou.osm.bz2",
        "title": "Wudaokou, Haidian, Beijing (五道口)",
        "description": (
            "A real food-delivery hotspot around Wudaokou, Haidian District, Beijing "
            "(about 2 x 2.2 km). Streets, demand and candidate sites are real OSM features; "
            "the stations are ILLUSTRATIVE, placed by hand: this is not a district with a real "
            "station plan."
        ),
        "dropoff_buildings": True,
        "stations": [
            ("S1", "五道口驿站 Wudaokou station (illustrative)", 116.3265, 39.9925, "hub"),
            ("S2", "成府路驿站 Chengfu Rd station (illustrative)", 116.3180, 39.9990, "sub"),
            ("S3", "双清路驿站 Shuangqing Rd station (illustrative)", 116.3245, 40.0085, "sub"),
        ],
    },
    "guixi": {
        "source": "china/jiangxi-guixi.osm.bz2",
        "title": "Guixi, Yingtan, Jiangxi (贵溪)",
        "description": (
            "Central Guixi, a county-level city in Jiangxi (about 6 x 4.5 km), the province "
            "where many of these stations are being built. OSM has few shops here, so demand "
            "is building footprints (homes and workplaces); stations are ILLUSTRATIVE."
        ),
        "dropoff_buildings": True,
        "all_buildings": True,
        "stations": [
            ("S1", "市政府驿站 City hall station (illustrative)", 117.2400, 28.2965, "hub"),
            ("S2", "东门驿站 Dongmen station (illustrative)", 117.2120, 28.2880, "sub"),
        ],
    },
}


def _features(path: Path, sample: dict):
    demand, candidates = [], []
    for osm_id, tags, point in iter_points(path):
        name = tags.get("name:zh") or tags.get("name") or ""
        for key in ("amenity", "shop"):
            weight = PICKUP_WEIGHTS.get((key, tags.get(key, "")))
            if weight:
                demand.append((osm_id, name, tags[key], weight, point))
                break
        else:
            building = tags.get("building")
            is_area = not osm_id.startswith("n")
            if is_area and building and sample.get("dropoff_buildings"):
                weight = DROPOFF_WEIGHTS.get(building)
                if weight is None and sample.get("all_buildings") and building != "industrial":
                    weight = 1.0
                if weight:
                    demand.append((osm_id, name, f"building={building}", weight, point))
        for key, value in CANDIDATE_KINDS:
            if tags.get(key) == value:
                candidates.append((osm_id, name, value, point))
                break
    return demand, candidates


def _unnamed(kind: str) -> str:
    """'residential building' for building=residential, 'restaurant (no name)' otherwise."""
    if kind.startswith("building="):
        value = kind.split("=", 1)[1]
        return "building" if value == "yes" else f"{value} building"
    return f"{kind.replace('_', ' ')} (no name)"


def _collection(rows):
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props,
             "geometry": {"type": "Point", "coordinates": [round(x, 7), round(y, 7)]}}
            for props, (x, y) in rows
        ],
    }


def _served(source: Path, rows: list) -> list:
    """The rows within SERVED_M of a street usable on foot and by e-bike (see the docstring)."""
    import geopandas as gpd

    from planner.data import layers, network
    from planner.settings import Travel

    if not rows:
        return rows
    net = network.from_file(source)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy([x for _, (x, _) in rows],
                                                          [y for _, (_, y) in rows]),
                              crs="EPSG:4326")
    keep = np.ones(len(rows), dtype=bool)
    for mode in ("walk", "ebike"):
        keep &= layers.snap(points, net.graph(Travel(mode, max_snap_m=SERVED_M))).on_network
    return [row for row, ok in zip(rows, keep) if ok]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default="../shared", type=Path)
    parser.add_argument("--out", default="layers", type=Path)
    args = parser.parse_args()
    for name, sample in SAMPLES.items():
        source = args.shared / "data" / "osm" / sample["source"]
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / "network.osm.bz2")
        demand, candidates = _features(source, sample)
        seen: set[str] = set()
        demand_rows = []
        for osm_id, label, kind, weight, point in demand:
            if osm_id in seen:
                continue
            seen.add(osm_id)
            demand_rows.append(({"id": osm_id, "name": label or _unnamed(kind), "kind": kind,
                                 "weight": weight}, (point.x, point.y)))
        cand_rows = [({"id": osm_id, "name": label or _unnamed(kind), "kind": kind,
                       "hub_capable": kind in HUB_KINDS}, (p.x, p.y))
                     for osm_id, label, kind, p in candidates]
        found = len(demand_rows), len(cand_rows)
        demand_rows, cand_rows = _served(source, demand_rows), _served(source, cand_rows)
        print(f"{name}: left out {found[0] - len(demand_rows)} demand and "
              f"{found[1] - len(cand_rows)} candidates farther than {SERVED_M:g} m from a street")
        offered = STATION_SERVICES[name]
        station_rows = [({"id": sid, "name": label, "kind": kind, "illustrative": True,
                          "services": offered[sid][0], "opening_hours": offered[sid][1]},
                         (lon, lat)) for sid, label, lon, lat, kind in sample["stations"]]
        for filename, rows in (("demand.geojson", demand_rows),
                               ("candidates.geojson", cand_rows),
                               ("stations.geojson", station_rows)):
            (folder / filename).write_text(
                json.dumps(_collection(rows), ensure_ascii=False, indent=1), encoding="utf-8")
        meta = {
            "title": sample["title"],
            "description": sample["description"],
            "network": "network.osm.bz2",
            "stations": "stations.geojson",
            "demand": "demand.geojson",
            "candidates": "candidates.geojson",
            "source": f"shared/data/osm/{sample['source']}",
            "attribution": ATTRIBUTION,
        }
        (folder / "sample.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
        print(f"{name}: {len(demand_rows)} demand, {len(cand_rows)} candidates, "
              f"{len(station_rows)} stations")


if __name__ == "__main__":
    main()
