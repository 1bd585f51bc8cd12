"""Exports of a campaign's results for one user's scope: an Excel workbook and a PDF report.

``build_xlsx``: sheets Tổng hợp (summary), Huyện (districts), Xã (communes), Câu hỏi (questions),
Cảnh báo (warnings) and Phiếu (raw answers: one row per response, answers as their labels, no
integrity fingerprints: no session/device/network/answer hashes, no submission token, no form
duration; past Excel's 1 048 576 rows a sheet, "Phiếu (2)"…). Citizen text is always written as
text, never as a formula. The workbook is streamed (app/core/xlsx_stream.py): memory stays
bounded whatever the number of answers.

``build_pdf``: "Báo cáo kết quả khảo sát" with the key figures, charts (Altair rendered to PNG by
vl-convert when installed, otherwise bars drawn with fpdf2 primitives) and the ranking, in the
embedded DejaVu font so Vietnamese diacritics print correctly.

Both take the scope: a district user's export holds only its own communes.
"""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from app.core import clock, xlsx_stream
from app.core import pdf as pdf_setup
from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_date, fmt_datetime, fmt_float, fmt_int, fmt_pct
from app.core.i18n import t
from app.core.reference import geography
from app.core.xlsx_stream import StreamWorkbook
from app.monitoring.stats import Overview, overview
from app.survey.questionnaire import OVERALL
from db.engine import session_scope
from db.models import Response

log = logging.getLogger("qcdc.exports")

ROOT = Path(__file__).resolve().parents[2]
EXPORT_ROLES = ("admin", "province", "farmers", "district")
RAW_SHEET = "Phiếu"
RAW_MAX_ROWS = xlsx_stream.MAX_ROWS  # Excel's rows per sheet, header rows included
# columns of Response that may leave the system (never the integrity fingerprints)
RAW_FIELDS = ("id", "commune_code", "submitted_at", "excluded", "answers", "scores")

Progress = Callable[[float, str], None]


def _noop(_f: float, _m: str) -> None:
    pass


def _require_export(scope: Scope) -> None:
    if scope.role not in EXPORT_ROLES:
        raise AuthError(t("export.not_allowed"))


def _scope_label(ov: Overview) -> str:
    if ov.district_code:
        d = geography().district(ov.district_code)
        return d.full_name if d else ov.district_code
    return t("app.province")


def file_stem(ov: Overview) -> str:
    unit = ov.district_code or "tinh"
    return f"ket-qua-khao-sat-{ov.campaign.start_date.year}-{unit}-{clock.now():%Y%m%d-%H%M}"


# ------------------------------------------------------------------------------ Excel
class _Sheet:
    """A sheet of the streamed workbook (app/core/xlsx_stream.py): every string is text, never
    a formula, and text that looks like one is quote-prefixed; header rows are bold."""

    def __init__(self, wb: StreamWorkbook, title: str, widths: list[int] | None = None):
        self.ws = wb.sheet(title, widths)

    @property
    def rows(self) -> int:
        return self.ws.rows

    def row(self, values, bold: bool = False) -> None:
        self.ws.row(values, bold=bold)


def _num(v, digits: int = 1):
    if v is None or (isinstance(v, float) and v != v):
        return None
    return round(float(v), digits)


def _engine_report(ov: Overview):
    """The integrity engine's judgement of the campaign, computed once per export: the
    ranking's marks and the warnings sheet both read it (judged twice, it was half of the
    workbook's time at 100 000 answers)."""
    from app.monitoring.warnings import engine_report
    return engine_report(ov.campaign.id)


def _integrity_marks(scope: Scope, campaign_id: int, report=None) -> dict[str, int]:
    """{commune code: open high-score integrity warnings} in the scope (issue 14 item 5: a
    commune with one is marked wherever it is ranked)."""
    from app.monitoring.warnings import READER_ROLES, open_high_by_commune
    if scope.role not in READER_ROLES:
        return {}
    return {code: len(ws) for code, ws in
            open_high_by_commune(scope, campaign_id, report=report).items()}


def _mark(marks: dict[str, int], code: str) -> str:
    n = marks.get(code)
    return f" – {t('results.flag_cell', n=n)}" if n else ""


def build_xlsx(scope: Scope, campaign_id: int | None = None, *, district_code: str | None = None,
               progress: Progress = _noop, include_raw: bool = True) -> tuple[bytes, str]:
    """The results workbook and its file name."""
    from app.core.campaigns import load_definition

    _require_export(scope)
    progress(0.02, t("export.step.figures"))
    ov = overview(scope, campaign_id, district_code=district_code)
    defn = load_definition(ov.campaign.questionnaire_id)
    buf = io.BytesIO()
    with StreamWorkbook(buf) as wb:
        _summary_sheets(wb, scope, ov, district_code, progress, include_raw,
                        _engine_report(ov))
        if include_raw:
            _raw_sheet(wb, scope, ov, defn, district_code, progress)
        progress(0.97, t("export.step.saving"))
    progress(1.0, t("export.step.done"))
    return buf.getvalue(), file_stem(ov) + ".xlsx"


def _summary_sheets(wb: StreamWorkbook, scope: Scope, ov: Overview, district_code,
                    progress: Progress, include_raw: bool, report=None) -> None:
    """Tổng hợp, Huyện, Xã, Câu hỏi and Cảnh báo."""
    from app.monitoring.warnings import compute_warnings

    s = _Sheet(wb, "Tổng hợp", [46, 60])
    s.row([t("export.title")], bold=True)
    s.row([t("export.campaign"), ov.campaign.name])
    s.row([t("export.period"), f"{fmt_date(ov.campaign.start_date)} – "
                               f"{fmt_date(ov.campaign.end_date)}"])
    s.row([t("export.scope"), _scope_label(ov)])
    s.row([t("export.generated"), f"{fmt_datetime(clock.now())} – {scope.name or scope.username}"])
    s.row([])
    for label, value in _kpi_rows(ov):
        s.row([label, value])
    sheets = raw_sheets_needed(int(ov.kpi["answers_total"] + ov.kpi["excluded_total"]))
    if include_raw and sheets > 1:  # Excel's limit per sheet, said where the reader starts
        s.row([])
        s.row([t("export.raw_split", n=fmt_int(sheets), sheet=RAW_SHEET,
                 rows=fmt_int(xlsx_stream.MAX_ROWS))], bold=True)
    if ov.campaign.is_demo:
        s.row([])
        s.row([t("demo.banner")], bold=True)

    pillars = ov.scores.pillars
    s = _Sheet(wb, "Huyện", [8, 26, 8, 10, 10, 10, 10, 10, 14, 10, 10, 10, 12])
    s.row([t("dashboard.col.code"), t("dashboard.col.district"), t("export.col.communes"),
           t("dashboard.kpi.communes_with_answers"), t("dashboard.col.answers"), t("dashboard.col.excluded"),
           t("dashboard.col.visits"), t("dashboard.col.ratio"), t("dashboard.col.ratio_status"),
           t("dashboard.col.index"), t("dashboard.col.ci_low"), t("dashboard.col.ci_high"),
           t("dashboard.col.n_scored")], bold=True)
    for r in ov.districts.itertuples(index=False):
        s.row([r.district_code, r.district_name, int(r.communes), int(r.communes_with_answers),
               int(r.answers), int(r.excluded), int(r.visits), _num(r.ratio, 3),
               t(f"dashboard.ratio.{r.ratio_status}"), _num(r.index), _num(r.index_low),
               _num(r.index_high), int(r.n_scored)])

    progress(0.15, t("export.step.communes"))
    s = _Sheet(wb, "Xã", [8, 28, 24, 9, 9, 9, 9, 14, 9, 9, 9, 9, 9, 8, 18, 12]
               + [12] * len(pillars) + [12, 12, 12, 12])
    s.row([t("dashboard.col.code"), t("dashboard.col.commune"), t("dashboard.col.district"),
           t("dashboard.col.answers"), t("dashboard.col.excluded"), t("dashboard.col.visits"),
           t("dashboard.col.ratio"), t("dashboard.col.ratio_status"), t("dashboard.col.reports"),
           t("dashboard.col.index"), t("dashboard.col.ci_low"), t("dashboard.col.ci_high"),
           t("dashboard.col.n_scored"), t("dashboard.col.rank"), t("dashboard.col.status"),
           t("export.col.uncertain")] + [name for _pid, name in pillars]
          + [t("kiosk.col.verified"), t("kiosk.col.verified_share"), t("kiosk.col.shown"),
             t("kiosk.col.opened")], bold=True)
    marks = _integrity_marks(scope, ov.campaign.id, report)
    for r in ov.communes.itertuples(index=False):
        sc = ov.scores.commune(r.code)
        s.row([r.code, r.name, r.district_name, int(r.answers), int(r.excluded), int(r.visits),
               _num(r.ratio, 3), t(f"dashboard.ratio.{r.ratio_status}"),
               f"{int(r.reports)}/{int(r.reports_expected)}", _num(r.index), _num(r.index_low),
               _num(r.index_high), int(r.n_scored),
               int(r.rank) if r.rank == r.rank and r.rank is not None else None,
               t(f"dashboard.status.{r.score_status}") + _mark(marks, r.code),
               t("export.yes") if sc and sc.uncertain else ""]
              + [_num(sc.pillars[p].mean) if sc and sc.pillars.get(p) else None
                 for p, _n in pillars]
              + [int(r.verified), _num(100 * r.verified_share, 1)
                 if r.verified_share is not None and r.verified_share == r.verified_share
                 else None, int(r.codes_shown), int(r.codes_opened)])

    s = _Sheet(wb, "Câu hỏi", [24, 7, 60, 40, 8, 10, 10])
    s.row([t("dashboard.col.pillar"), t("dashboard.col.number"), t("dashboard.col.question"),
           t("dashboard.col.option"), t("export.col.score"), t("dashboard.col.count"),
           t("dashboard.col.share")], bold=True)
    for r in ov.questions.itertuples(index=False):
        s.row([r.pillar, int(r.number) if r.number == r.number and r.number is not None
               else None, r.question, r.option, _num(r.score, 0), int(r.n),
               _num(r.share, 4)])

    progress(0.3, t("export.step.warnings"))
    s = _Sheet(wb, "Cảnh báo", [26, 10, 28, 24, 12, 80, 10, 10, 16, 18, 30])
    s.row([t("warn.col.kind"), t("warn.col.severity"), t("dashboard.col.commune"),
           t("dashboard.col.district"), t("dashboard.col.day"), t("warn.col.reason"),
           t("warn.col.flagged"), t("dashboard.col.excluded"), t("warn.col.reviewed_by"),
           t("warn.col.reviewed_at"), t("warn.col.note")], bold=True)
    for w in compute_warnings(scope, ov.campaign.id, district_code=district_code,
                              report=report):
        s.row([w.title, t(f"warn.severity.{w.severity}"), w.commune_name, w.district_name,
               fmt_date(w.day), w.reason, len(w.response_ids) or None, w.n_excluded or None,
               w.reviewed_by or "", fmt_datetime(w.reviewed_at), w.note])


def _raw_sheet(wb: StreamWorkbook, scope: Scope, ov: Overview, defn, district_code,
               progress: Progress) -> None:
    """One row per response, answers as their labels; beyond Excel's 1 048 576 rows a sheet the
    rows go on in "Phiếu (2)", "Phiếu (3)"… each with the same two header rows (the summary
    sheet says so)."""
    from app.monitoring.scoring import visible_codes
    questions = [q for q in defn.all_questions]
    numbers = {q.id: i + 1 for i, q in enumerate(defn.questions)}
    headers = [t("export.col.response"), t("dashboard.col.code"), t("dashboard.col.commune"),
               t("dashboard.col.district"), t("export.col.submitted"), t("dashboard.col.excluded")]
    for q in questions:
        headers.append(f"Câu {numbers[q.id]}" if q.id in numbers else q.text)
    headers += [f"{t('dashboard.col.index')}: {name}" for _pid, name in ov.scores.pillars]
    headers.append(t("dashboard.overall"))
    widths = [9, 8, 26, 22, 18, 7] + [14] * (len(questions) + 7)
    texts = ["", "", "", "", "", ""] + [q.text for q in questions]

    def new_sheet() -> _Sheet:
        s = _Sheet(wb, RAW_SHEET, widths)
        s.row(headers, bold=True)
        s.row(texts)
        return s
    s = new_sheet()
    geo = geography()
    places = {c.code: (c.full_name, c.district_full_name) for c in geo.communes}
    cells = [_answer_cell(q) for q in questions]
    qids = [q.id for q in questions]
    yes = t("export.yes")
    whole = scope.province_wide and not district_code
    codes = None if whole else visible_codes(scope, district_code)
    cols = [getattr(Response, f) for f in RAW_FIELDS]
    total = int(ov.kpi["answers_total"] + ov.kpi["excluded_total"]) or 1
    done = 0
    pillar_ids = [p for p, _n in ov.scores.pillars] + [OVERALL]
    loads = json.loads
    with session_scope() as session:
        q = select(*cols).where(Response.campaign_id == ov.campaign.id).order_by(Response.id)
        if codes is not None:
            q = q.where(Response.commune_code.in_(codes))
        result = session.execute(q.execution_options(yield_per=5000))
        for rid, code, at, excluded, answers, scores in result:
            name, district = places.get(code) or (code, "")
            a = loads(answers)
            sc = loads(scores) if scores else {}
            row = [rid, code, name, district, at, yes if excluded else None]
            row += [None if (v := a.get(qid)) is None else cell(v)
                    for qid, cell in zip(qids, cells, strict=True)]
            row += [None if (v := sc.get(p)) is None else round(float(v), 1)
                    for p in pillar_ids]
            if s.rows >= RAW_MAX_ROWS:
                s = new_sheet()
            s.row(row)
            done += 1
            if done % 5000 == 0:
                progress(0.35 + 0.6 * min(1.0, done / total),
                         t("export.step.raw", done=fmt_int(done), total=fmt_int(total)))


def raw_sheets_needed(answers: int) -> int:
    """How many "Phiếu" sheets `answers` rows take (two header rows on each)."""
    per_sheet = RAW_MAX_ROWS - 2
    return max(1, -(-answers // per_sheet))


def _answer_cell(q) -> Callable[[object], object]:
    """How one answer of question `q` is written: labels for options, numbers for ratings."""
    labels = {o.value: o.label for o in q.options}

    def label(v) -> str:
        found = labels.get(v)
        if found is None:
            v = str(v)
            found = labels.get(v, v)
        return found
    if q.type == "multi":
        return lambda v: "; ".join(label(x) for x in v)
    if q.type == "rating":
        return int
    if q.type == "text":
        return str
    return label


def _kpi_rows(ov: Overview) -> list[tuple[str, str]]:
    k = ov.kpi
    iv = k["index"]
    return [
        (t("dashboard.kpi.answers_total"), fmt_int(k["answers_total"])),
        (t("export.kpi.excluded"), fmt_int(k["excluded_total"])),
        (t("dashboard.kpi.communes_with_answers"),
         f"{fmt_int(k['communes_with_answers'])}/{fmt_int(k['communes_total'])}"),
        (t("dashboard.kpi.visits"), fmt_int(k["visits_total"])),
        (t("dashboard.kpi.ratio"), fmt_float(k["ratio"], 2) if k["ratio"] is not None else "–"),
        (t("export.kpi.band"), f"{fmt_float(ov.campaign.ratio_low, 2)} – "
                               f"{fmt_float(ov.campaign.ratio_high, 2)}"),
        (t("kiosk.col.verified"), f"{fmt_int(k['verified_total'])} ("
         f"{fmt_float(100 * (k['verified_share'] or 0), 1)}%)"),
        (t("export.kpi.reports"), f"{fmt_int(k['reports_total'])}/"
                                  f"{fmt_int(k['reports_expected_total'])}"),
        (t("dashboard.kpi.index"), fmt_float(iv.mean, 1) if iv else "–"),
        (t("dashboard.col.ci"), f"{fmt_float(iv.low, 1)} – {fmt_float(iv.high, 1)}"
         if iv and iv.low is not None else "–"),
        (t("export.kpi.threshold"), fmt_float(ov.campaign.friendly_threshold, 1)),
        (t("export.kpi.min_sample"), fmt_int(ov.campaign.min_sample)),
        (t("export.kpi.ranked"), fmt_int(k["communes_ranked"])),
        (t("dashboard.kpi.friendly"), fmt_int(k["communes_friendly"])),
        (t("export.kpi.not_enough"), fmt_int(k["communes_not_enough"])),
    ]


# ------------------------------------------------------------------------------ PDF
_fonts_registered = False


def chart_png(chart, width: int = 520) -> bytes | None:
    """An Altair chart as PNG through vl-convert (None when it is not installed or fails)."""
    global _fonts_registered
    try:
        import vl_convert as vlc
    except ImportError:
        return None
    try:
        if not _fonts_registered:
            vlc.register_font_directory(str(pdf_setup.FONT_DIR))
            _fonts_registered = True
        from app.monitoring.charts import finish
        spec = finish(chart, width=width).to_json()
        return vlc.vegalite_to_png(spec, scale=2)
    except Exception as exc:  # a chart that cannot be drawn must not lose the whole report
        log.warning("chart rendering failed: %s", exc)
        return None


def _pdf_class():
    from fpdf import FPDF

    class ReportPdf(FPDF):
        def __init__(self, title: str, subtitle: str):
            super().__init__(orientation="P", unit="mm", format="A4")
            self.doc_title = title
            self.subtitle = subtitle
            pdf_setup.set_up(self, title=title, margins=(15, 16, 15), page_break=16)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 8)
            self.set_text_color(100)
            self.set_xy(15, 8)
            self.cell(0, 4, f"{self.doc_title} – {self.subtitle}", align="L")
            self.set_text_color(0)
            self.set_y(16)

        def footer(self) -> None:
            self.set_y(-11)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(100)
            self.cell(0, 4, f"Trang {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)

        def h2(self, text: str, keep: float = 40.0) -> None:
            """A section heading, moved to the next page with what follows unless `keep` mm
            (the heading and the start of its content) fit: never alone at a page foot."""
            pdf_setup.keep_with_next(self, min(keep, self.h - self.t_margin - self.b_margin - 5))
            self.ln(3)
            self.set_font("DejaVu", "B", 12)
            self.set_text_color(150, 30, 25)
            self.multi_cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            self.ln(1)

        def para(self, text: str, size: float = 9.5) -> None:
            self.set_font("DejaVu", "", size)
            self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    return ReportPdf


def _image_height(png: bytes | None, w: float = 180, rows: int = 8) -> float:
    """Height in mm of a chart drawn `w` mm wide (or of `rows` fallback bars)."""
    if png is None:
        return 5.2 * min(rows, 8) + 4
    from PIL import Image
    img = Image.open(io.BytesIO(png))
    return w * img.height / img.width + 2


def _image(pdf, png: bytes | None, fallback: Callable[[], None], w: float = 180) -> None:
    if png is None:
        fallback()
        return
    from PIL import Image
    img = Image.open(io.BytesIO(png))
    h = w * img.height / img.width
    if pdf.get_y() + h > pdf.h - 18:
        pdf.add_page()
    pdf.image(img, x=pdf.l_margin, y=pdf.get_y(), w=w, h=h)
    pdf.set_y(pdf.get_y() + h + 2)


def draw_bars(pdf, items: list[tuple[str, float | None]], max_value: float, *,
              fmt: Callable[[float], str], mark: float | None = None,
              color=(179, 38, 30)) -> None:
    """Horizontal bars with fpdf2 primitives (when vl-convert is not available)."""
    label_w, bar_w, row_h = 62.0, 100.0, 5.2
    pdf.set_font("DejaVu", "", 8)
    for label, value in items:
        if pdf.get_y() + row_h > pdf.h - 18:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_w, row_h, label[:40])
        x0 = pdf.l_margin + label_w
        pdf.set_fill_color(235, 235, 235)
        pdf.rect(x0, y + 0.8, bar_w, row_h - 1.6, style="F")
        if value is not None and max_value > 0:
            pdf.set_fill_color(*color)
            pdf.rect(x0, y + 0.8, bar_w * max(0.0, min(1.0, value / max_value)), row_h - 1.6,
                     style="F")
        if mark is not None and max_value > 0:
            xm = x0 + bar_w * min(1.0, mark / max_value)
            pdf.set_draw_color(0, 0, 0)
            pdf.line(xm, y, xm, y + row_h)
        pdf.set_xy(x0 + bar_w + 2, y)
        pdf.cell(16, row_h, fmt(value) if value is not None else "–")
        pdf.set_y(y + row_h)
    pdf.ln(2)


def build_pdf(scope: Scope, campaign_id: int | None = None, *, district_code: str | None = None,
              progress: Progress = _noop, charts_png: bool = True) -> tuple[bytes, str]:
    """The PDF report "Báo cáo kết quả khảo sát" and its file name."""
    from fpdf.fonts import FontFace

    from app.monitoring import charts
    from app.monitoring.warnings import KINDS, compute_warnings, summary

    _require_export(scope)
    progress(0.02, t("export.step.figures"))
    ov = overview(scope, campaign_id, district_code=district_code)
    report = _engine_report(ov)
    label = _scope_label(ov)
    pdf = _pdf_class()(t("export.pdf_title"), f"{ov.campaign.name} – {label}")
    pdf.add_page()
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 5, t("export.org").upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(0, 9, t("export.pdf_title").upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, ov.campaign.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, f"{label} · {fmt_date(ov.campaign.start_date)} – "
                         f"{fmt_date(ov.campaign.end_date)}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(90)
    pdf.multi_cell(0, 5, t("export.generated_line", time=fmt_datetime(clock.now()),
                           who=scope.name or scope.username), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    if ov.campaign.is_demo:
        pdf.set_text_color(150, 90, 0)
        pdf.multi_cell(0, 5, t("demo.banner"), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)

    pdf.h2(t("export.section.figures"))
    head = FontFace(emphasis="BOLD", fill_color=(240, 240, 240))
    pdf.set_font("DejaVu", "", 9.5)
    with pdf.table(col_widths=(110, 70), text_align=("LEFT", "RIGHT"), headings_style=head,
                   line_height=6) as table:
        table.row([t("export.col.figure"), t("export.col.value")])
        for k, v in _kpi_rows(ov):
            table.row([k, v])
    pdf.ln(2)
    pdf.para(t("export.method", min=fmt_int(ov.campaign.min_sample),
               threshold=fmt_float(ov.campaign.friendly_threshold, 1)), size=8.5)

    per_district = ov.level == "province"
    units = ov.districts if per_district else ov.communes
    ulabel = "district_name" if per_district else "name"
    what = t("dashboard.per_district") if per_district else t("dashboard.per_commune")
    progress(0.2, t("export.step.charts"))
    with_index = units.dropna(subset=["index"]) if len(units) else units
    png = (chart_png(charts.index_bars(with_index, ulabel, ov.campaign.friendly_threshold))
           if charts_png and len(with_index) else None)
    pdf.h2(t("dashboard.chart.index", what=what), keep=24 + _image_height(png, rows=len(units)))
    pdf.para(t("dashboard.chart.index_caption",
               threshold=fmt_float(ov.campaign.friendly_threshold, 1)), size=8.5)
    _image(pdf, png, lambda: draw_bars(
        pdf, sorted([(str(getattr(r, ulabel)), _num(r.index)) for r in with_index.itertuples()],
                    key=lambda x: -(x[1] or 0)), 100.0, fmt=lambda v: fmt_float(v, 1),
        mark=ov.campaign.friendly_threshold, color=(92, 107, 192)))
    progress(0.35, t("export.step.charts"))
    png = chart_png(charts.answers_bars(units, ulabel)) if charts_png and len(units) else None
    pdf.h2(t("dashboard.chart.answers", what=what), keep=14 + _image_height(png, rows=len(units)))
    _image(pdf, png, lambda: draw_bars(
        pdf, sorted([(str(getattr(r, ulabel)), float(r.answers)) for r in units.itertuples()],
                    key=lambda x: -x[1]),
        float(units["answers"].max() or 1) if len(units) else 1.0, fmt=fmt_int))
    progress(0.5, t("export.step.charts"))
    png = chart_png(charts.by_day_chart(ov.by_day)) if charts_png else None
    pdf.h2(t("dashboard.chart.by_day"), keep=14 + _image_height(png, 150, len(ov.by_day)))
    _image(pdf, png, lambda: draw_bars(
        pdf, [(fmt_date(r.day), float(r.answers)) for r in ov.by_day.itertuples()],
        float(ov.by_day["answers"].max() or 1), fmt=fmt_int), w=150)

    progress(0.6, t("export.step.pillars"))
    pdf.h2(t("export.section.pillars"))
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(95, 25, 40, 20), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   headings_style=head, line_height=5.5) as table:
        table.row([t("dashboard.col.pillar"), t("dashboard.col.index"), t("dashboard.col.ci"),
                   t("dashboard.col.n_scored")])
        for pid, name in ov.scores.pillars + [(OVERALL, t("dashboard.overall"))]:
            iv = ov.scores.total.get(pid)
            table.row([name, fmt_float(iv.mean, 1) if iv else "–",
                       f"{fmt_float(iv.low, 1)} – {fmt_float(iv.high, 1)}"
                       if iv and iv.low is not None else "–", fmt_int(iv.n if iv else 0)])

    progress(0.7, t("export.step.ranking"))
    pdf.add_page()
    pdf.h2(t("export.section.ranking"))
    pdf.para(t("export.ranking_note", threshold=fmt_float(ov.campaign.friendly_threshold, 1),
               min=fmt_int(ov.campaign.min_sample)), size=8.5)
    ranked = ov.scores.ranked
    pdf.set_font("DejaVu", "", 8)
    if ranked:
        with pdf.table(col_widths=(12, 45, 35, 16, 14, 24, 34),
                       text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "CENTER", "LEFT"),
                       headings_style=head, line_height=4.6, repeat_headings=1) as table:
            table.row([t("dashboard.col.rank"), t("dashboard.col.commune"), t("dashboard.col.district"),
                       t("dashboard.col.n_scored"), t("dashboard.col.index"), t("dashboard.col.ci"),
                       t("dashboard.col.status")])
            marks = _integrity_marks(scope, ov.campaign.id, report)
            for c in ranked:
                table.row([str(c.rank), c.name, c.district_name, fmt_int(c.n),
                           fmt_float(c.overall.mean, 1),
                           f"{fmt_float(c.overall.low, 1)}–{fmt_float(c.overall.high, 1)}"
                           if c.overall.low is not None else "–",
                           t(f"dashboard.status.{c.status}") + (" *" if c.uncertain else "")
                           + _mark(marks, c.code)])
        pdf.set_font("DejaVu", "", 7.5)
        pdf.multi_cell(0, 4, t("export.uncertain_note"), new_x="LMARGIN", new_y="NEXT")
        if any(c.code in marks for c in ranked):
            pdf.multi_cell(0, 4, t("results.flag_note"), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.para(t("export.no_ranked"))
    rest = [c for c in ov.scores.communes if c.rank is None]
    if rest:
        pdf.h2(t("export.section.not_enough", n=fmt_int(len(rest))))
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(70, 60, 25, 25), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT"),
                       headings_style=head, line_height=4.6, repeat_headings=1) as table:
            table.row([t("dashboard.col.commune"), t("dashboard.col.district"), t("dashboard.col.n_scored"),
                       t("dashboard.col.index")])
            for c in rest:
                table.row([c.name, c.district_name, fmt_int(c.n),
                           fmt_float(c.overall.mean, 1) if c.overall else "–"])

    progress(0.85, t("export.step.warnings"))
    warnings = compute_warnings(scope, ov.campaign.id, district_code=district_code,
                                report=report)
    pdf.h2(t("export.section.warnings"))
    counts = summary(warnings)
    pdf.set_font("DejaVu", "", 9)
    with pdf.table(col_widths=(110, 35, 35), text_align=("LEFT", "RIGHT", "RIGHT"),
                   headings_style=head, line_height=5.5) as table:
        table.row([t("warn.col.kind"), t("warn.col.total"), t("warn.col.open")])
        for kind in KINDS:
            table.row([t(f"warn.kind.{kind}"), fmt_int(counts[kind]["total"]),
                       fmt_int(counts[kind]["open"])])
    serious = [w for w in warnings if w.severity == "high"][:40]
    if serious:
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(40, 45, 95), headings_style=head, line_height=4.4,
                       repeat_headings=1) as table:
            table.row([t("warn.col.kind"), t("dashboard.col.commune"), t("warn.col.reason")])
            for w in serious:
                table.row([w.title + (f" ({t('warn.reviewed_short')})" if w.reviewed else ""),
                           f"{w.commune_name}, {w.district_name}", w.reason])
    progress(0.97, t("export.step.saving"))
    data = bytes(pdf.output())
    progress(1.0, t("export.step.done"))
    return data, file_stem(ov) + ".pdf"


def share_text(v) -> str:
    return fmt_pct(v, 1)
