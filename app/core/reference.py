"""Districts and communes: the fixed geography of the province, read once per process."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sqlmodel import select

from db.engine import session_scope
from db.models import Commune, District

COMMUNE_CODE_RE = re.compile(r"[0-9]{5}")


@dataclass(frozen=True)
class CommuneInfo:
    code: str
    name: str
    type: str
    full_name: str
    district_code: str
    district_name: str
    district_full_name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Geography:
    districts: tuple[District, ...]
    communes: tuple[CommuneInfo, ...]
    by_code: dict

    def communes_of(self, district_code: str) -> list[CommuneInfo]:
        return [c for c in self.communes if c.district_code == district_code]

    def district(self, code: str) -> District | None:
        for d in self.districts:
            if d.code == code:
                return d
        return None


_geo: Geography | None = None
_geo_lock = threading.Lock()


def geography() -> Geography:
    """All districts and communes (cached for the process: the list never changes at run time)."""
    global _geo
    if _geo is None:
        with _geo_lock:
            if _geo is None:
                with session_scope() as s:
                    districts = tuple(s.exec(select(District).order_by(District.code)).all())
                    names = {d.code: d for d in districts}
                    communes = tuple(
                        CommuneInfo(c.code, c.name, c.type, c.full_name, c.district_code,
                                    names[c.district_code].name, names[c.district_code].full_name,
                                    c.lat, c.lon)
                        for c in s.exec(select(Commune).order_by(Commune.code)).all())
                _geo = Geography(districts, communes, {c.code: c for c in communes})
    return _geo


def reset_cache() -> None:
    global _geo
    with _geo_lock:
        _geo = None


def normalise_commune_code(raw: object) -> str | None:
    """The 5-digit code if `raw` is well-formed, else None (nothing else is ever looked up)."""
    if raw is None:
        return None
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else None
        if raw is None:
            return None
    text = str(raw).strip()
    if len(text) > 16:
        return None
    return text if COMMUNE_CODE_RE.fullmatch(text) else None


def find_commune(code: str | None) -> CommuneInfo | None:
    if not code:
        return None
    return geography().by_code.get(code)
