"""Altair charts of the dashboards and the PDF report (no Streamlit here; Vietnamese labels).

Every chart is built from the data frames of ``app.stats.Overview`` and carries its own data, so
it renders offline: no tiles, no CDN. The map draws district outlines (``app.geo``) under one
circle per commune.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from app.core.fmt import fmt_date, fmt_float, fmt_int, fmt_pct
from app.core.i18n import t

FONT = "DejaVu Sans"
RATIO_COLORS = {"ok": "#2e7d32", "low": "#ef6c00", "high": "#c62828", "no_report": "#9e9e9e"}
STATUS_COLORS = {"friendly": "#2e7d32", "below": "#c62828", "not_enough": "#90a4ae",
                 "no_answers": "#e0e0e0"}
MAP_METRICS = ("answers", "ratio", "index", "completeness")
OPTION_COLORS = ["#1b5e20", "#66bb6a", "#fdd835", "#fb8c00", "#c62828", "#9e9e9e", "#5c6bc0",
                 "#8d6e63", "#26a69a", "#ab47bc", "#78909c"]


# Vietnamese number formats in every chart: 1.234,5
VN_LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3],
                        "currency": ["", " ₫"]}}


def finish(chart, width: int | None = None):
    """The top-level chart ready to show: Vietnamese number format, the app's font."""
    if width is not None:
        chart = chart.properties(width=width)
    return chart.configure(font=FONT, locale=VN_LOCALE).configure_view(stroke=None)


def _band_axis() -> alt.Axis:
    """A category axis that shows every label in full (no overlap thinning)."""
    return alt.Axis(labelOverlap=False, labelLimit=260, title=None)


def _status_label(kind: str, value: str) -> str:
    return t(f"dashboard.{kind}.{value}")


def decorate_units(df: pd.DataFrame) -> pd.DataFrame:
    """Adds display columns (Vietnamese texts) to a commune or district table copy."""
    out = df.copy()
    if "ratio" in out:
        out["ratio_text"] = [fmt_float(r, 2) if r is not None and r == r else "–"
                             for r in out["ratio"]]
    if "ratio_status" in out:
        out["ratio_label"] = [_status_label("ratio", s) for s in out["ratio_status"]]
    if "index" in out:
        out["index_text"] = [fmt_float(v, 1) if v is not None and v == v else "–"
                             for v in out["index"]]
    if "score_status" in out:
        out["status_label"] = [_status_label("status", s) for s in out["score_status"]]
    if "completeness" in out:
        out["completeness_text"] = [fmt_pct(v) if v is not None and v == v else "–"
                                    for v in out["completeness"]]
    if "answers" in out:
        out["answers_text"] = [fmt_int(v) for v in out["answers"]]
    if "visits" in out:
        out["visits_text"] = [fmt_int(v) for v in out["visits"]]
    return out


def _tooltips_commune() -> list:
    return [alt.Tooltip("name:N", title=t("dashboard.col.commune")),
            alt.Tooltip("district_name:N", title=t("dashboard.col.district")),
            alt.Tooltip("answers_text:N", title=t("dashboard.col.answers")),
            alt.Tooltip("visits_text:N", title=t("dashboard.col.visits")),
            alt.Tooltip("ratio_text:N", title=t("dashboard.col.ratio")),
            alt.Tooltip("ratio_label:N", title=t("dashboard.col.ratio_status")),
            alt.Tooltip("index_text:N", title=t("dashboard.col.index")),
            alt.Tooltip("status_label:N", title=t("dashboard.col.status")),
            alt.Tooltip("completeness_text:N", title=t("dashboard.col.completeness"))]


def map_chart(communes: pd.DataFrame, outlines: dict, metric: str, *, threshold: float,
              height: int = 560, width: int | str = "container") -> alt.LayerChart:
    """Communes at their location over district outlines; colour by `metric`, size by answers."""
    if metric not in MAP_METRICS:
        metric = "answers"
    df = decorate_units(communes)
    df["answers_size"] = df["answers"].astype(float)
    base_shape = alt.Chart(alt.Data(values=outlines.get("features", []))).mark_geoshape(
        fill="#f4f1ea", stroke="#5d4037", strokeWidth=1.2, fillOpacity=0.9
    ).encode(tooltip=[alt.Tooltip("properties.name:N", title=t("dashboard.col.district"))])
    size = alt.Size("answers_size:Q", title=t("dashboard.col.answers"),
                    scale=alt.Scale(range=[18, 420], zero=True),
                    legend=alt.Legend(orient="bottom", format=",d"))
    pts = alt.Chart(df)
    enc = dict(longitude="lon:Q", latitude="lat:Q", size=size, tooltip=_tooltips_commune())
    mark = dict(opacity=0.85, stroke="#263238", strokeWidth=0.6)
    if metric == "answers":
        layer = pts.mark_circle(**mark).encode(
            color=alt.Color("answers:Q", title=t("dashboard.col.answers"),
                            scale=alt.Scale(scheme="blues", domainMin=0),
                            legend=alt.Legend(orient="right")), **enc)
        layers = [layer]
    elif metric == "ratio":
        order = list(RATIO_COLORS)
        df["ratio_label"] = pd.Categorical(df["ratio_label"])
        layer = pts.mark_circle(**mark).encode(
            color=alt.Color("ratio_label:N", title=t("dashboard.col.ratio_status"),
                            scale=alt.Scale(domain=[_status_label("ratio", k) for k in order],
                                            range=[RATIO_COLORS[k] for k in order])), **enc)
        layers = [layer]
    elif metric == "index":
        shown = df[df["score_status"].isin(["friendly", "below"])]
        hidden = df[~df["score_status"].isin(["friendly", "below"])]
        grey = alt.Chart(hidden).mark_circle(opacity=0.7, color="#b0bec5", stroke="#607d8b",
                                             strokeWidth=0.6).encode(**enc)
        col = alt.Chart(shown).mark_circle(**mark).encode(
            color=alt.Color("index:Q", title=t("dashboard.col.index"),
                            scale=alt.Scale(scheme="redyellowgreen",
                                            domain=[max(0.0, threshold - 25), threshold, 100],
                                            clamp=True)), **enc)
        layers = [grey, col]
    else:
        layer = pts.mark_circle(**mark).encode(
            color=alt.Color("completeness:Q", title=t("dashboard.col.completeness"),
                            scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                            legend=alt.Legend(format=".0%")), **enc)
        layers = [layer]
    return alt.layer(base_shape, *layers).project(type="mercator").properties(
        height=height, width=width)


def unit_bars(df: pd.DataFrame, label_col: str, value_col: str, title: str, *,
              color: str = "#b3261e", fmt: str = ",d", sort_desc: bool = True,
              height_per_bar: int = 22) -> alt.Chart:
    """Horizontal bars, one per district or commune."""
    d = df[[label_col, value_col]].copy()
    d[value_col] = d[value_col].astype(float)
    return alt.Chart(d).mark_bar(color=color).encode(
        y=alt.Y(f"{label_col}:N", axis=_band_axis(),
                sort=alt.EncodingSortField(field=value_col, order="descending" if sort_desc
                                           else "ascending")),
        x=alt.X(f"{value_col}:Q", title=title, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip(f"{label_col}:N", title=t("dashboard.col.unit")),
                 alt.Tooltip(f"{value_col}:Q", title=title, format=fmt)],
    ).properties(height=alt.Step(height_per_bar))


def answers_bars(df: pd.DataFrame, label_col: str) -> alt.Chart:
    """Answers per unit, today's part stacked on the earlier days'."""
    rows = []
    for r in df.itertuples(index=False):
        label = getattr(r, label_col)
        rows.append({"unit": label, "part": t("dashboard.part.before"),
                     "n": int(r.answers - r.answers_today), "total": int(r.answers), "o": 0})
        rows.append({"unit": label, "part": t("dashboard.part.today"), "n": int(r.answers_today),
                     "total": int(r.answers), "o": 1})
    d = pd.DataFrame(rows, columns=["unit", "part", "n", "total", "o"])
    return alt.Chart(d).mark_bar().encode(
        y=alt.Y("unit:N", axis=_band_axis(),
                sort=alt.EncodingSortField(field="total", op="max", order="descending")),
        x=alt.X("sum(n):Q", title=t("dashboard.col.answers"), axis=alt.Axis(format=",d")),
        color=alt.Color("part:N", title=None,
                        scale=alt.Scale(domain=[t("dashboard.part.before"), t("dashboard.part.today")],
                                        range=["#90a4ae", "#b3261e"]),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("o:Q"),
        tooltip=[alt.Tooltip("unit:N", title=t("dashboard.col.unit")),
                 alt.Tooltip("part:N", title=" "), alt.Tooltip("n:Q", title=t("dashboard.col.answers"),
                                                              format=",d")],
    ).properties(height=alt.Step(22))


def index_bars(df: pd.DataFrame, label_col: str, threshold: float) -> alt.LayerChart:
    """Overall index per unit with its 95% interval and the friendly-government threshold."""
    d = df[[label_col, "index", "index_low", "index_high"]].dropna(subset=["index"]).copy()
    d["index_text"] = [fmt_float(v, 1) for v in d["index"]]
    d["ci_text"] = [f"{fmt_float(a, 1)} – {fmt_float(b, 1)}" if a == a and b == b and
                    a is not None and b is not None else "–"
                    for a, b in zip(d["index_low"], d["index_high"])]
    y = alt.Y(f"{label_col}:N", axis=_band_axis(),
              sort=alt.EncodingSortField(field="index", order="descending"))
    bars = alt.Chart(d).mark_bar(color="#5c6bc0").encode(
        y=y, x=alt.X("index:Q", title=t("dashboard.col.index"), scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip(f"{label_col}:N", title=t("dashboard.col.unit")),
                 alt.Tooltip("index_text:N", title=t("dashboard.col.index")),
                 alt.Tooltip("ci_text:N", title=t("dashboard.col.ci"))])
    err = alt.Chart(d).mark_rule(color="#1a237e", strokeWidth=1.5).encode(
        y=y, x="index_low:Q", x2="index_high:Q")
    rule = alt.Chart(pd.DataFrame({"x": [threshold]})).mark_rule(
        color="#c62828", strokeDash=[6, 3], strokeWidth=2).encode(x="x:Q")
    return alt.layer(bars, err, rule).properties(height=alt.Step(22))


def ratio_bars(df: pd.DataFrame, label_col: str, low: float, high: float) -> alt.LayerChart:
    """Answers / visits per unit against the plausibility band."""
    d = df[[label_col, "ratio", "ratio_status"]].dropna(subset=["ratio"]).copy()
    d["ratio"] = d["ratio"].astype(float)
    d["ratio_label"] = [_status_label("ratio", s) for s in d["ratio_status"]]
    d["ratio_text"] = [fmt_float(v, 2) for v in d["ratio"]]
    order = list(RATIO_COLORS)
    y = alt.Y(f"{label_col}:N", axis=_band_axis(),
              sort=alt.EncodingSortField(field="ratio", order="descending"))
    band = alt.Chart(pd.DataFrame({"a": [low], "b": [high]})).mark_rect(
        color="#c8e6c9", opacity=0.6).encode(x="a:Q", x2="b:Q")
    bars = alt.Chart(d).mark_bar(size=14).encode(
        y=y, x=alt.X("ratio:Q", title=t("dashboard.col.ratio")),
        color=alt.Color("ratio_label:N", title=None,
                        scale=alt.Scale(domain=[_status_label("ratio", k) for k in order],
                                        range=[RATIO_COLORS[k] for k in order]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip(f"{label_col}:N", title=t("dashboard.col.unit")),
                 alt.Tooltip("ratio_text:N", title=t("dashboard.col.ratio")),
                 alt.Tooltip("ratio_label:N", title=t("dashboard.col.ratio_status"))])
    return alt.layer(band, bars).properties(height=alt.Step(22))


def by_day_chart(by_day: pd.DataFrame) -> alt.Chart:
    rows = []
    for r in by_day.itertuples(index=False):
        rows.append({"day": fmt_date(r.day), "what": t("dashboard.col.answers"), "n": int(r.answers)})
        rows.append({"day": fmt_date(r.day), "what": t("dashboard.col.visits"), "n": int(r.visits)})
    d = pd.DataFrame(rows, columns=["day", "what", "n"])
    return alt.Chart(d).mark_bar().encode(
        x=alt.X("day:N", title=t("dashboard.col.day"), sort=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("what:N", sort=[t("dashboard.col.answers"), t("dashboard.col.visits")]),
        y=alt.Y("n:Q", title=None, axis=alt.Axis(format=",d")),
        color=alt.Color("what:N", title=None,
                        scale=alt.Scale(domain=[t("dashboard.col.answers"), t("dashboard.col.visits")],
                                        range=["#b3261e", "#78909c"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("day:N", title=t("dashboard.col.day")), alt.Tooltip("what:N", title=" "),
                 alt.Tooltip("n:Q", title=t("dashboard.col.count"), format=",d")],
    ).properties(height=260)


def by_hour_chart(by_hour: pd.DataFrame) -> alt.Chart:
    d = by_hour.copy()
    d["day_label"] = [fmt_date(x) for x in d["day"]]
    d["hour_label"] = [f"{int(h):02d}:00" for h in d["hour"]]
    return alt.Chart(d).mark_line(point=True).encode(
        x=alt.X("hour:Q", title=t("dashboard.col.hour"), scale=alt.Scale(domain=[0, 23]),
                axis=alt.Axis(values=list(range(0, 24, 2)), format="d")),
        y=alt.Y("answers:Q", title=t("dashboard.col.answers"), axis=alt.Axis(format=",d")),
        color=alt.Color("day_label:N", title=t("dashboard.col.day"), sort=None,
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("day_label:N", title=t("dashboard.col.day")),
                 alt.Tooltip("hour_label:N", title=t("dashboard.col.hour")),
                 alt.Tooltip("answers:Q", title=t("dashboard.col.answers"), format=",d")],
    ).properties(height=260)


def question_chart(questions: pd.DataFrame) -> alt.Chart:
    """Option shares of the questions of one pillar: one stacked bar per question."""
    d = questions.copy()
    d = d[d["n"] > 0] if len(d) else d
    d["qlabel"] = [(f"Câu {int(n)}" if n == n and n is not None else str(q))
                   for n, q in zip(d["number"], d["question_id"])]
    d["share_text"] = [fmt_pct(s, 1) if s is not None and s == s else "–" for s in d["share"]]
    d["n_text"] = [fmt_int(v) for v in d["n"]]
    d["color_key"] = [min(int(o), len(OPTION_COLORS) - 1) for o in d["order"]]
    multi = d[d["type"] == "multi"]
    single = d[d["type"] != "multi"]
    tooltip = [alt.Tooltip("question:N", title=t("dashboard.col.question")),
               alt.Tooltip("option:N", title=t("dashboard.col.option")),
               alt.Tooltip("n_text:N", title=t("dashboard.col.count")),
               alt.Tooltip("share_text:N", title=t("dashboard.col.share"))]
    charts = []
    if len(single):
        charts.append(alt.Chart(single).mark_bar().encode(
            y=alt.Y("qlabel:N", axis=_band_axis(), sort=None),
            x=alt.X("share:Q", title=t("dashboard.col.share"), stack="normalize",
                    axis=alt.Axis(format=".0%")),
            color=alt.Color("option:N", title=None, sort=None,
                            legend=alt.Legend(orient="bottom", columns=3, labelLimit=260)),
            order=alt.Order("order:Q"), tooltip=tooltip,
        ).properties(height=alt.Step(30)))
    if len(multi):
        charts.append(alt.Chart(multi).mark_bar(color="#5c6bc0").encode(
            y=alt.Y("option:N", axis=_band_axis(), sort=None),
            x=alt.X("share:Q", title=t("dashboard.share_multi"), axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[0, 1])),
            row=alt.Row("qlabel:N", title=None, header=alt.Header(labelAngle=0,
                                                                    labelAlign="left")),
            tooltip=tooltip,
        ).properties(height=alt.Step(18)))
    if not charts:
        return alt.Chart(pd.DataFrame({"x": []})).mark_text()
    if len(charts) == 1:
        return charts[0].resolve_scale(color="independent")
    return alt.vconcat(*charts).resolve_scale(color="independent")


def campaign_history_chart(rows: list[dict]) -> alt.LayerChart:
    """One commune's index in each campaign (bars) against that campaign's threshold (ticks),
    for the campaign comparison (``app.admin.campaigns.commune_history`` rows with results)."""
    years = [str(h["year"]) for h in rows]
    labels = [y if years.count(y) == 1 else f"{y} ({h['campaign'][:18]})"
              for y, h in zip(years, rows)]
    df = pd.DataFrame({"label": labels, "campaign": [h["campaign"] for h in rows],
                       "index": [h["index"] for h in rows],
                       "threshold": [h["threshold"] for h in rows]})
    x = alt.X("label:N", title=None, sort=None, axis=alt.Axis(labelAngle=0))
    bars = alt.Chart(df).mark_bar(size=46).encode(
        x=x, y=alt.Y("index:Q", title=t("campaigns.col.index"), scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("campaign:N", title=t("campaigns.col.name")),
                 alt.Tooltip("index:Q", format=".1f", title=t("campaigns.col.index"))])
    ticks = alt.Chart(df).mark_tick(color="#d97706", thickness=3, size=60).encode(
        x=x, y="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", title=t("campaigns.col.threshold"))])
    return (bars + ticks).properties(height=260, width=max(160, 130 * len(rows)))
