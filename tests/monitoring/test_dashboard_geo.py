"""District outlines: Voronoi cells merged per district, d3 winding, operator GeoJSON files."""
from __future__ import annotations

import json

import pytest

from app.core.reference import geography
from app.monitoring import geo
from app.monitoring.geo import clip_convex, convex_hull, dissolve, district_outlines, merge_coincident, signed_area


@pytest.fixture(autouse=True)
def _fresh(db, monkeypatch):
    monkeypatch.delenv(geo.ENV_BOUNDARY, raising=False)
    geo.clear_cache()
    yield
    geo.clear_cache()


def _inside(lon, lat, polys) -> bool:
    for poly in polys:
        outer, holes = poly[0], poly[1:]
        ring = [tuple(p) for p in outer[:-1]]
        if geo._point_in_ring((lon, lat), ring) and not any(
                geo._point_in_ring((lon, lat), [tuple(p) for p in h[:-1]]) for h in holes):
            return True
    return False


def test_plane_helpers():
    sq = [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert signed_area(sq) == 4 and signed_area(sq[::-1]) == -4
    assert convex_hull(sq + [(1, 1), (0.5, 1.5)]) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert abs(signed_area(clip_convex([(1, 1), (3, 1), (3, 3), (1, 3)], sq))) == 1
    # two unit squares sharing an edge merge into one 2×1 ring
    merged = dissolve([[(0, 0), (1, 0), (1, 1), (0, 1)], [(1, 0), (2, 0), (2, 1), (1, 1)]])
    assert len(merged) == 1 and signed_area(merged[0]) == pytest.approx(2)
    assert len(merged[0]) == 4  # the shared edge and its collinear points are gone


def test_coincident_points_go_to_the_district_of_their_neighbours():
    sites = [((0.0, 0.0), "A"), ((0.00001, 0.0), "B"), ((0.1, 0.0), "A"), ((0.0, 0.1), "A"),
             ((5.0, 5.0), "B")]
    merged = merge_coincident(sites)
    assert len(merged) == 4
    assert merged[0][1] == "A"


def test_voronoi_outlines_cover_every_district_wound_for_d3():
    fc = district_outlines()
    g = geography()
    assert {f["properties"]["district_code"] for f in fc["features"]} == \
        {d.code for d in g.districts}
    for f in fc["features"]:
        assert f["properties"]["source"] == "voronoi"
        for poly in f["geometry"]["coordinates"]:
            outer = poly[0]
            assert outer[0] == outer[-1]
            assert signed_area([tuple(p) for p in outer[:-1]]) < 0  # clockwise outer ring
        json.dumps(f)  # plain floats, serialisable
    polys = {f["properties"]["district_code"]: f["geometry"]["coordinates"]
             for f in fc["features"]}
    inside = sum(_inside(c.lon, c.lat, polys[c.district_code]) for c in g.communes)
    # a few seed points share another unit's centroid; all others lie in their own district
    assert inside >= 0.95 * len(g.communes)


def test_outlines_limited_to_the_districts_asked():
    fc = district_outlines(["213"])
    assert [f["properties"]["district_code"] for f in fc["features"]] == ["213"]


def test_operator_geojson_is_used_and_rewound(tmp_path, monkeypatch):
    ccw = [[106.0, 21.0], [106.2, 21.0], [106.2, 21.2], [106.0, 21.2], [106.0, 21.0]]
    data = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ten_huyen": "Huyện Yên Thế"},
         "geometry": {"type": "Polygon", "coordinates": [ccw]}},
        {"type": "Feature", "properties": {"ma_huyen": 213},
         "geometry": {"type": "MultiPolygon", "coordinates": [[ccw]]}},
        {"type": "Feature", "properties": {"name": "Hà Nội"},
         "geometry": {"type": "Polygon", "coordinates": [ccw]}},
    ]}
    path = tmp_path / "ranh_gioi.geojson"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv(geo.ENV_BOUNDARY, str(path))
    fc = district_outlines()
    assert {f["properties"]["district_code"] for f in fc["features"]} == {"213", "215"}
    for f in fc["features"]:
        assert f["properties"]["source"] == "file"
        outer = f["geometry"]["coordinates"][0][0]
        assert signed_area([tuple(p) for p in outer[:-1]]) < 0


def test_unusable_operator_file_falls_back_to_computed_outlines(tmp_path, monkeypatch):
    path = tmp_path / "hong.geojson"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(geo.ENV_BOUNDARY, str(path))
    fc = district_outlines()
    assert fc["features"] and fc["features"][0]["properties"]["source"] == "voronoi"
    monkeypatch.setenv(geo.ENV_BOUNDARY, str(tmp_path / "khong-co.geojson"))
    assert district_outlines()["features"][0]["properties"]["source"] == "voronoi"
