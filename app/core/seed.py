"""Reference data every installation needs: districts, communes, the default PKS 03 form."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from app.core import clock
from app.survey.questionnaire import load_seed_definition, parse_definition
from db.engine import session_scope
from db.models import Commune, District, Questionnaire

SEED_DIR = Path(__file__).resolve().parents[2] / "db" / "seed"
COMMUNES_CSV = SEED_DIR / "communes_bac_giang_2024.csv"


def read_communes_csv(path: Path = COMMUNES_CSV) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def seed_reference() -> int:
    """Insert districts and communes that are missing; returns the number of communes added."""
    rows = read_communes_csv()
    added = 0
    with session_scope() as s:
        have_d = set(s.exec(select(District.code)).all())
        have_c = set(s.exec(select(Commune.code)).all())
        for r in rows:
            if r["district_code"] not in have_d:
                s.add(District(code=r["district_code"], name=r["district_name"],
                               full_name=r["district_full_name"]))
                have_d.add(r["district_code"])
        s.flush()
        for r in rows:
            if r["commune_code"] not in have_c:
                s.add(Commune(code=r["commune_code"], name=r["commune_name"],
                              type=r["commune_type"], full_name=r["commune_full_name"],
                              district_code=r["district_code"], lat=float(r["lat"]),
                              lon=float(r["lon"]), coord_quality=r["coord_quality"]))
                added += 1
    return added


def seed_questionnaire() -> int:
    """Make sure the default PKS 03 questionnaire exists (version 1); returns its id."""
    data = load_seed_definition()
    defn = parse_definition(data)
    with session_scope() as s:
        q = s.exec(select(Questionnaire).where(Questionnaire.code == defn.code)
                   .order_by(Questionnaire.version)).first()
        if q is None:
            q = Questionnaire(code=defn.code, version=1, title=defn.title,
                              definition=json.dumps(data, ensure_ascii=False),
                              created_at=clock.now(), created_by="seed")
            s.add(q)
            s.flush()
        return q.id


def count(model) -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()
