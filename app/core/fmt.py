"""Vietnamese formatting: dates dd/mm/yyyy, thousands with dots, decimals with commas."""
from __future__ import annotations

from datetime import date, datetime


def fmt_date(d: date | datetime | None) -> str:
    if d is None:
        return ""
    return d.strftime("%d/%m/%Y")


def fmt_datetime(d: datetime | None) -> str:
    if d is None:
        return ""
    return d.strftime("%H:%M %d/%m/%Y")


def fmt_int(n: int | float | None) -> str:
    if n is None:
        return "–"
    return f"{int(round(n)):,}".replace(",", ".")


def fmt_float(x: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    s = f"{x:,.{digits}f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_pct(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    return fmt_float(100 * x, digits) + "%"
