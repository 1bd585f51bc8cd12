"""``python -m app.cli integrity [--campaign ID] [--json]``: the integrity engine's warnings of
a campaign (the active one by default), computed by the same code as the warnings page
(``app.monitoring.warnings.engine_report``, ``app.integrity.flagged_json``).

``--json`` prints one JSON object as the last line (a stable interface, issue 12 item 6)::

    {"campaign": id, "flagged": {"<response id>": {"score": s, "reasons": [...]}},
     "clusters": n}

Without it, a summary a person reads: each warning with its score, commune, day, number of
sheets and reasons, most serious first.
"""
from __future__ import annotations

import argparse
import json
import sys


def cmd_integrity(args: argparse.Namespace) -> int:
    from app.cli import _ready
    _ready()
    from app.core.fmt import fmt_date, fmt_float, fmt_int
    from app.core.reference import geography
    from app.integrity import flagged_json
    from app.monitoring.scoring import load_campaign
    from app.monitoring.warnings import engine_report
    try:
        campaign = load_campaign(args.campaign)
    except LookupError:
        print("Không có đợt khảo sát này." if args.campaign is not None
              else "Chưa có đợt khảo sát nào đang mở; chỉ rõ --campaign ID.", file=sys.stderr)
        return 2
    report = engine_report(campaign.id)
    if args.json:
        print(json.dumps(flagged_json(report), ensure_ascii=False))
        return 0
    geo = geography()
    print(f"Đợt khảo sát {campaign.id} «{campaign.name}»: {fmt_int(report.n_sheets)} phiếu, "
          f"{fmt_int(len(report.clusters))} cảnh báo nhóm phiếu, "
          f"{fmt_int(len(report.flags))} phiếu bị gắn cờ "
          f"(tính trong {fmt_float(report.seconds, 2)} giây).")
    for c in report.clusters:
        unit = geo.by_code.get(c.commune_code)
        name = unit.full_name if unit else c.commune_code
        day = fmt_date(c.day) if c.day else "cả đợt"
        print(f"\n[{fmt_float(c.score, 1)}] {c.key}\n  {name}, {day}, {fmt_int(c.size)} phiếu"
              + (f" ({fmt_int(c.n_excluded)} đã loại)" if c.n_excluded else "")
              + f"\n  {c.text}")
    over = [d for d in report.over_band if d.cluster_key is None]
    if over:
        print(f"\n{fmt_int(len(over))} ngày có số phiếu vượt ngưỡng so với lượt đến "
              "(xem trang Cảnh báo):")
        for d in over:
            unit = geo.by_code.get(d.commune_code)
            print(f"  {unit.full_name if unit else d.commune_code}, {fmt_date(d.day)}: "
                  f"{fmt_int(d.answers)} phiếu / {fmt_int(d.reference_count)} "
                  f"{'hồ sơ một cửa' if d.reference == 'dossiers' else 'lượt đến'}, "
                  f"vượt {fmt_int(d.excess)}")
    return 0


def add_integrity_commands(sub) -> None:
    s = sub.add_parser("integrity", help="the integrity engine's warnings of a campaign "
                                         "(--json: one JSON object, the flagged sheets)")
    s.add_argument("--campaign", type=int, help="campaign id (default: the active campaign)")
    s.add_argument("--json", action="store_true",
                   help='print {"campaign", "flagged", "clusters"} as one JSON line')
    s.set_defaults(func=cmd_integrity)
