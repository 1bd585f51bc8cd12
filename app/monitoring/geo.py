"""District outlines for the map, computed offline from the commune locations.

Unless an operator supplies real boundaries (a GeoJSON file named by the environment variable
``QCDC_BOUNDARY_GEOJSON`` or the setting ``map.boundary_geojson``), each district's outline is
approximated: the Voronoi cell of every commune point (the area closer to it than to any other
commune), clipped to the province (the convex hull of all points pushed ``MARGIN_KM`` outwards),
then merged per district. Shared edges between cells of one district cancel exactly because they
are the same pair of Voronoi vertices, so the merge needs no polygon library.

Rings are returned wound clockwise (holes anticlockwise) as d3-geo, which Vega-Lite uses, expects;
operator files in the RFC 7946 order are rewound. Results are cached per process.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import unicodedata
from pathlib import Path

from app.core.reference import geography

log = logging.getLogger("qcdc.geo")

ENV_BOUNDARY = "QCDC_BOUNDARY_GEOJSON"
SETTING_BOUNDARY = "map.boundary_geojson"
MARGIN_KM = 4.0
SOURCE_VORONOI = "voronoi"
SOURCE_FILE = "file"

_lock = threading.Lock()
_cache: dict[tuple, dict] = {}

Point = tuple[float, float]


# ------------------------------------------------------------------ plane geometry helpers
def signed_area(ring: list[Point]) -> float:
    """Shoelace area: positive for anticlockwise rings (x east, y north)."""
    a = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        a += x1 * y2 - x2 * y1
    return a / 2.0


def convex_hull(points: list[Point]) -> list[Point]:
    """Andrew's monotone chain; anticlockwise, no repeated first point."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def offset_convex(ring: list[Point], d: float) -> list[Point]:
    """An anticlockwise convex polygon pushed outwards by `d` (edges moved along their normals,
    corners where neighbouring moved edges meet; very sharp corners are cut)."""
    n = len(ring)
    lines = []
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % n]
        ex, ey = x2 - x1, y2 - y1
        length = math.hypot(ex, ey) or 1.0
        nx, ny = ey / length, -ex / length  # outward normal of an anticlockwise ring
        lines.append(((x1 + nx * d, y1 + ny * d), (x2 + nx * d, y2 + ny * d)))
    out: list[Point] = []
    for i in range(n):
        p = _line_intersection(lines[i - 1], lines[i])
        corner = ring[i]
        if p is None or math.hypot(p[0] - corner[0], p[1] - corner[1]) > 3 * d:
            out.extend([lines[i - 1][1], lines[i][0]])
        else:
            out.append(p)
    return out


def _line_intersection(l1, l2) -> Point | None:
    (x1, y1), (x2, y2) = l1
    (x3, y3), (x4, y4) = l2
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(den) < 1e-15:
        return None
    a = x1 * y2 - y1 * x2
    b = x3 * y4 - y3 * x4
    return ((a * (x3 - x4) - (x1 - x2) * b) / den, (a * (y3 - y4) - (y1 - y2) * b) / den)


def clip_convex(subject: list[Point], clip: list[Point]) -> list[Point]:
    """Sutherland–Hodgman: `subject` (convex or not) clipped by the anticlockwise convex `clip`."""
    out = list(subject)
    n = len(clip)
    for i in range(n):
        a, b = clip[i], clip[(i + 1) % n]
        inp, out = out, []
        if not inp:
            break

        def inside(p, a=a, b=b):
            return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0
        s = inp[-1]
        for e in inp:
            if inside(e):
                if not inside(s):
                    out.append(_seg_cross(s, e, a, b))
                out.append(e)
            elif inside(s):
                out.append(_seg_cross(s, e, a, b))
            s = e
    return out


def _seg_cross(p1: Point, p2: Point, a: Point, b: Point) -> Point:
    p = _line_intersection((p1, p2), (a, b))
    return p if p is not None else p2


# ------------------------------------------------------------------ Voronoi outlines
def _key(p: Point) -> tuple[int, int]:
    return (round(p[0] * 1e8), round(p[1] * 1e8))


def dissolve(cells: list[list[Point]]) -> list[list[Point]]:
    """Merge anticlockwise polygons that share edges into rings (outer anticlockwise, holes
    clockwise): edges present in both directions are interior and cancel."""
    directed: dict[tuple, tuple[Point, Point]] = {}
    for ring in cells:
        if len(ring) < 3:
            continue
        if signed_area(ring) < 0:
            ring = ring[::-1]
        for p, q in zip(ring, ring[1:] + ring[:1]):
            kp, kq = _key(p), _key(q)
            if kp == kq:
                continue
            if (kq, kp) in directed:
                del directed[(kq, kp)]
            else:
                directed[(kp, kq)] = (p, q)
    nxt: dict[tuple, list[tuple]] = {}
    for (kp, kq) in directed:
        nxt.setdefault(kp, []).append(kq)
    points = {}
    for (kp, kq), (p, q) in directed.items():
        points[kp], points[kq] = p, q
    rings: list[list[Point]] = []
    used: set[tuple] = set()
    for start_edge in list(directed):
        if start_edge in used:
            continue
        ring_keys = [start_edge[0]]
        edge = start_edge
        while edge not in used:
            used.add(edge)
            k = edge[1]
            if k == ring_keys[0]:
                break
            ring_keys.append(k)
            cands = [e for e in ((k, c) for c in nxt.get(k, [])) if e not in used]
            if not cands:
                break
            edge = cands[0]
        if len(ring_keys) >= 3:
            rings.append(_drop_collinear([points[k] for k in ring_keys]))
    return [r for r in rings if len(r) >= 3 and abs(signed_area(r)) > 1e-12]


def _drop_collinear(ring: list[Point]) -> list[Point]:
    out = []
    n = len(ring)
    for i in range(n):
        a, b, c = ring[i - 1], ring[i], ring[(i + 1) % n]
        if abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) > 1e-14:
            out.append(b)
    return out


def merge_coincident(sites: list[tuple[Point, str]], tol_km: float = 0.5,
                     neighbours: int = 6) -> list[tuple[Point, str]]:
    """One Voronoi site per location: points closer than `tol_km` (several units recorded at
    the same centroid) become one site. When they belong to different districts, the site goes
    to the district most common among the nearest other sites (a point misplaced into another
    district's area does not carve an enclave out of it)."""
    tol = tol_km / 111.2
    groups: list[list[int]] = []
    centre: list[Point] = []
    for i, (p, _d) in enumerate(sites):
        for g, c in zip(groups, centre):
            if math.hypot(p[0] - c[0], p[1] - c[1]) < tol:
                g.append(i)
                break
        else:
            groups.append([i])
            centre.append(p)
    out: list[tuple[Point, str]] = []
    for g, c in zip(groups, centre):
        districts = {sites[i][1] for i in g}
        if len(districts) == 1:
            out.append((c, sites[g[0]][1]))
            continue
        others = sorted((math.hypot(c[0] - oc[0], c[1] - oc[1]), sites[og[0]][1])
                        for og, oc in zip(groups, centre) if og is not g)
        votes: dict[str, int] = {}
        for _dist, d in others[:neighbours]:
            votes[d] = votes.get(d, 0) + 1
        best = max(sorted(districts), key=lambda d: votes.get(d, 0))
        out.append((c, best))
    return out


def voronoi_outlines(points: list[tuple[str, str, float, float]],
                     margin_km: float = MARGIN_KM) -> dict[str, list[list[list[Point]]]]:
    """{district code: polygons} from (commune code, district code, lat, lon) points.

    Each polygon is a list of rings in lon/lat, the first the outer ring (clockwise), then holes
    (anticlockwise)."""
    from scipy.spatial import Voronoi

    if len(points) < 3:
        return {}
    lat0 = sum(p[2] for p in points) / len(points)
    kx = math.cos(math.radians(lat0))

    def fwd(lat, lon):
        return (lon * kx, lat)

    def back(p):
        return [float(p[0]) / kx, float(p[1])]
    sites = merge_coincident([(fwd(p[2], p[3]), p[1]) for p in points])
    xy = [s[0] for s in sites]
    points = [("", s[1], 0.0, 0.0) for s in sites]
    hull = convex_hull(xy)
    hull = offset_convex(hull, margin_km / 111.2)
    xs = [p[0] for p in xy]
    ys = [p[1] for p in xy]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.1) * 10
    far = [(cx - span, cy - span), (cx + span, cy - span), (cx + span, cy + span),
           (cx - span, cy + span)]
    vor = Voronoi(xy + far)
    per_district: dict[str, list[list[Point]]] = {}
    for i, (_code, dcode, _lat, _lon) in enumerate(points):
        region = vor.regions[vor.point_region[i]]
        if not region or -1 in region:
            continue
        cell = [(float(vor.vertices[v][0]), float(vor.vertices[v][1])) for v in region]
        if signed_area(cell) < 0:
            cell = cell[::-1]
        clipped = clip_convex(cell, hull)
        if len(clipped) >= 3:
            per_district.setdefault(dcode, []).append(clipped)
    out: dict[str, list[list[list[Point]]]] = {}
    for dcode, cells in per_district.items():
        rings = dissolve(cells)
        # slivers below ~0.1 km² are rounding artefacts, not areas
        outers = [r for r in rings if signed_area(r) > 1e-5]
        holes = [r for r in rings if signed_area(r) < -1e-5]
        polys = []
        for o in outers:
            mine = [h for h in holes if _point_in_ring(h[0], o)]
            # d3-geo winding: outer clockwise, holes anticlockwise
            polys.append([[back(p) for p in _closed(o[::-1])]] +
                         [[back(p) for p in _closed(h[::-1])] for h in mine])
        out[dcode] = polys
    return out


def _closed(ring: list[Point]) -> list[Point]:
    return ring + [ring[0]] if ring and ring[0] != ring[-1] else ring


def _point_in_ring(p: Point, ring: list[Point]) -> bool:
    x, y = p
    inside = False
    n = len(ring)
    for i in range(n):
        (x1, y1), (x2, y2) = ring[i], ring[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


# ------------------------------------------------------------------ operator GeoJSON
def _norm(name: str) -> str:
    s = unicodedata.normalize("NFC", str(name or "")).lower().strip()
    for prefix in ("thành phố ", "thị xã ", "huyện ", "tp. ", "tp ", "tx. ", "tx "):
        if s.startswith(prefix):
            s = s[len(prefix):]
    return " ".join(s.split())


def _rewind(rings: list) -> list:
    """Outer ring clockwise, holes anticlockwise (d3-geo), closed."""
    out = []
    for i, ring in enumerate(rings):
        pts = [(float(p[0]), float(p[1])) for p in ring]
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts = pts[:-1]
        a = signed_area(pts)
        if (i == 0 and a > 0) or (i > 0 and a < 0):
            pts = pts[::-1]
        out.append([list(p) for p in _closed(pts)])
    return out


def load_boundary_file(path: str | Path) -> dict[str, list]:
    """{district code: polygons} from an operator's GeoJSON. Districts are matched by a code
    property (district_code, ma_huyen, code, ...) or by name; unmatched features are ignored."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    feats = data.get("features") if isinstance(data, dict) else None
    if not isinstance(feats, list):
        raise ValueError("GeoJSON FeatureCollection expected")
    geo = geography()
    by_code = {d.code: d for d in geo.districts}
    by_name = {_norm(d.name): d.code for d in geo.districts}
    by_name.update({_norm(d.full_name): d.code for d in geo.districts})
    out: dict[str, list] = {}
    for f in feats:
        props = {str(k).lower(): v for k, v in (f.get("properties") or {}).items()}
        code = None
        for k in ("district_code", "ma_huyen", "mahuyen", "code", "ma", "id"):
            v = props.get(k)
            if v is not None and str(v).strip().zfill(3) in by_code:
                code = str(v).strip().zfill(3)
                break
        if code is None:
            for k in ("district_name", "ten_huyen", "name", "ten", "name_2"):
                if props.get(k) and _norm(props[k]) in by_name:
                    code = by_name[_norm(props[k])]
                    break
        g = f.get("geometry") or {}
        if code is None or g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out.setdefault(code, []).extend(_rewind(p) for p in polys)
    if not out:
        raise ValueError("no feature matched a district of the province")
    return out


def boundary_path() -> str | None:
    """The configured operator boundary file, if any (environment first, then the setting)."""
    from app.core.settings import read_settings
    path = (read_settings().boundary_geojson or "").strip()
    if not path:
        try:
            from db.engine import session_scope
            from db.models import Setting
            with session_scope() as s:
                row = s.get(Setting, SETTING_BOUNDARY)
                path = (row.value or "").strip() if row else ""
        except Exception:  # no database yet: computed outlines
            path = ""
    return path or None


def district_outlines(district_codes: list[str] | None = None) -> dict:
    """A GeoJSON FeatureCollection of district outlines (properties: district_code, name,
    source), limited to `district_codes` when given."""
    geo = geography()
    path = boundary_path()
    source_key: tuple = (SOURCE_VORONOI, len(geo.communes))
    if path:
        try:
            source_key = (SOURCE_FILE, path, Path(path).stat().st_mtime)
        except OSError:
            log.warning("boundary file %s not readable; using computed outlines", path)
            path = None
    with _lock:
        polys = _cache.get(source_key)
    if polys is None:
        polys = None
        if path:
            try:
                polys = load_boundary_file(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("boundary file %s unusable (%s); using computed outlines", path, exc)
                source_key = (SOURCE_VORONOI, len(geo.communes))
        if polys is None:
            polys = voronoi_outlines([(c.code, c.district_code, c.lat, c.lon)
                                      for c in geo.communes])
        with _lock:
            _cache[source_key] = polys
    names = {d.code: d.full_name for d in geo.districts}
    wanted = None if district_codes is None else set(district_codes)
    features = []
    for code in sorted(polys):
        if wanted is not None and code not in wanted:
            continue
        features.append({
            "type": "Feature",
            "properties": {"district_code": code, "name": names.get(code, code),
                           "source": source_key[0]},
            "geometry": {"type": "MultiPolygon", "coordinates": polys[code]}})
    return {"type": "FeatureCollection", "features": features}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
