"""The public duty schedule of one commune (pages/public/schedule.py): names, organisation,
days and shifts only, never phone numbers; printable (the Streamlit chrome is hidden when
printing) and readable on a phone. No pandas/altair: a public page."""
from __future__ import annotations

import streamlit as st

from app.core.fmt import fmt_datetime
from app.core.i18n import t
from app.operations.roster import SHIFTS, day_label
from app.ui.core.text import md_escape

PRINT_CSS = """
<style>
.qcdc-sched table { width: 100%; }
@media print {
  [data-testid="stSidebar"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], header, footer, .stButton, .stSelectbox,
  [data-testid="stPageLink"] { display: none !important; }
  .block-container { max-width: 100% !important; padding: 0 !important; }
  h3 { break-after: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; }
}
</style>
"""
NBSP = "\u00a0"  # keep "Cả ngày" on one line in the narrow shift column


def show_schedule(sched) -> None:
    """The published schedule, one table per campaign day."""
    st.write(t("schedule.intro"))
    head = (f"| {t('schedule.col.shift')} | {t('roster.col.full_name')} | "
            f"{t('schedule.col.unit')} |\n|---|---|---|\n")
    for day, lines in sched.days:
        st.markdown(f"#### {day_label(day)}")
        if not lines:
            st.caption(t("schedule.no_one"))
            continue
        body = "".join(
            f"| {SHIFTS.get(x.shift, x.shift).replace(' ', NBSP)} | **{md_escape(x.full_name)}** | "
            f"{md_escape(', '.join(p for p in (x.position, x.organisation) if p))} |\n"
            for x in lines)
        st.markdown(head + body)
    if sched.updated_at:
        st.caption(t("schedule.updated", at=fmt_datetime(sched.updated_at)))
    st.caption(t("schedule.print_hint"))
