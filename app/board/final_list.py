"""The final list of nominations (3-5 approved ones) and its Excel and PDF exports."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from app.board.rules import FINAL_MAX, FINAL_MIN, VIEW_ROLES, NominationError, _require, get_campaign
from app.board.workflow import NominationView, as_view
from app.core import audit, clock
from app.core.auth import Scope
from app.core.fmt import fmt_date
from app.core.i18n import t
from db.engine import session_scope
from db.models import Nomination


@dataclass
class FinalList:
    campaign_id: int
    campaign_name: str
    campaign_year: int
    approved: list[NominationView]

    @property
    def count(self) -> int:
        return len(self.approved)

    @property
    def ok(self) -> bool:
        return FINAL_MIN <= self.count <= FINAL_MAX

    @property
    def message(self) -> str:
        n = self.count
        if n < FINAL_MIN:
            return t("nominations.final.too_few", n=n, min=FINAL_MIN, max=FINAL_MAX, more=FINAL_MIN - n)
        if n > FINAL_MAX:
            return t("nominations.final.too_many", n=n, min=FINAL_MIN, max=FINAL_MAX, less=n - FINAL_MAX)
        return t("nominations.final.ok", n=n, min=FINAL_MIN, max=FINAL_MAX)


def final_list(scope: Scope, campaign_id: int) -> FinalList:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        c = get_campaign(s, campaign_id)
        rows = s.exec(select(Nomination).where(Nomination.campaign_id == campaign_id,
                                               Nomination.status == "approved")
                      .order_by(Nomination.kind, Nomination.decided_at, Nomination.id)).all()
        return FinalList(c.id, c.name, c.year, [as_view(n) for n in rows])


def _checked_final(scope: Scope, campaign_id: int) -> FinalList:
    fl = final_list(scope, campaign_id)
    if not fl.ok:
        raise NominationError(t("nominations.err.export_range", n=fl.count, min=FINAL_MIN, max=FINAL_MAX))
    return fl



def _rows(fl: FinalList) -> list[list[str]]:
    rows = []
    for i, n in enumerate(fl.approved, start=1):
        place = ", ".join(x for x in (n.commune_name, n.district_name) if x)
        rows.append([str(i), t(f"nominations.kind.{n.kind}"), n.name,
                     "; ".join(x for x in (n.unit, place) if x), n.achievements,
                     n.evidence_text])
    return rows


def export_excel(scope: Scope, campaign_id: int) -> bytes:
    """The final list as an .xlsx workbook (refused unless it holds 3–5 approved nominations)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from app.core.spreadsheet import append_row
    fl = _checked_final(scope, campaign_id)
    wb = Workbook()
    ws = wb.active
    ws.title = t("nominations.export.sheet")
    headers = [t("nominations.col.no"), t("nominations.col.kind"), t("nominations.col.name"), t("nominations.col.unit"),
               t("nominations.col.achievements"), t("nominations.col.evidence")]
    append_row(ws, [t("nominations.export.title").upper()])
    append_row(ws, [t("nominations.export.subtitle", campaign=fl.campaign_name)])
    ws.append([])
    append_row(ws, headers)
    for r in _rows(fl):
        append_row(ws, r)
    ws.append([])
    append_row(ws, [t("nominations.export.made", date=fmt_date(clock.today()), by=scope.name)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="999999")
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=4, max_row=4 + fl.count):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for col, width in zip("ABCDEF", (6, 12, 30, 34, 60, 60)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    buf = io.BytesIO()
    wb.save(buf)
    _audit_export(scope, campaign_id, "xlsx", fl.count)
    return buf.getvalue()


def export_pdf(scope: Scope, campaign_id: int) -> bytes:
    """The final list as a PDF in the form of an administrative document: the issuing body and
    the national heading side by side, place and date, the title, the list, the recipients and
    the signature block (kept on the page of the list's end), the demo banner in demo mode."""
    import unicodedata

    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from app.core import pdf as pdf_setup
    from app.core.settings import read_settings
    fl = _checked_final(scope, campaign_id)
    with session_scope() as s:
        demo = get_campaign(s, campaign_id).is_demo or read_settings().demo_mode

    def nfc(x: str) -> str:
        return unicodedata.normalize("NFC", x or "")

    today = clock.today()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf_setup.set_up(pdf, title=t("nominations.export.title"), margins=(15, 12, 15),
                     page_break=15, author=nfc(scope.name))
    pdf.add_page()
    left_w, right_w = 100.0, 130.0
    right_x = pdf.w - pdf.r_margin - right_w
    top = pdf.get_y()
    # issuing body (left) and national heading (right), each centred in its column
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(left_w, 5.5, nfc(t("nominations.doc.parent")), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(left_w, 5.5, nfc(t("nominations.doc.body")), align="C",
             new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 0.8
    pdf.line(pdf.l_margin + left_w / 2 - 14, y, pdf.l_margin + left_w / 2 + 14, y)
    pdf.set_y(y + 1.5)
    pdf.set_font("DejaVu", "", 10.5)
    pdf.cell(left_w, 5.5, nfc(t("nominations.doc.number")), align="C")
    pdf.set_xy(right_x, top)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(right_w, 5.5, nfc(t("nominations.doc.nation")), align="C",
             new_x="LEFT", new_y="NEXT")
    motto = nfc(t("nominations.doc.motto"))
    pdf.set_font("DejaVu", "B", 11.5)
    pdf.cell(right_w, 5.5, motto, align="C", new_x="LEFT", new_y="NEXT")
    y = pdf.get_y() + 0.8
    half = pdf.get_string_width(motto) / 2
    pdf.line(right_x + right_w / 2 - half, y, right_x + right_w / 2 + half, y)
    pdf.set_xy(right_x, y + 1.5)
    pdf.set_font("DejaVu", "I", 10.5)
    pdf.cell(right_w, 5.5, nfc(t("nominations.doc.place_date", day=f"{today.day:02d}",
                                 month=f"{today.month:02d}", year=today.year)), align="C")
    pdf.set_y(top + 26)
    if demo:
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.set_text_color(150, 90, 0)
        pdf.multi_cell(0, 5, nfc(t("demo.banner")), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.ln(1)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 7, nfc(t("nominations.doc.title")), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11.5)
    pdf.multi_cell(0, 6, nfc(t("nominations.export.subtitle", campaign=fl.campaign_name)),
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    headers = [t("nominations.col.no"), t("nominations.col.kind"), t("nominations.col.name"),
               t("nominations.col.unit"), t("nominations.col.achievements"),
               t("nominations.col.evidence")]
    rows = _rows(fl)

    def table(part: list[list[str]], target=pdf) -> None:
        target.set_font("DejaVu", "", 9)
        with target.table(col_widths=(11, 19, 40, 45, 80, 72), text_align="LEFT",
                          line_height=4.6, padding=1.2, repeat_headings=1,
                          headings_style=FontFace(emphasis="BOLD",
                                                  fill_color=(230, 236, 245))) as tbl:
            row = tbl.row()
            for h in headers:
                row.cell(nfc(h))
            for r in part:
                row = tbl.row()
                for v in r:
                    row.cell(nfc(v))

    closing_h = 62.0  # the "made by" line, recipients and signature
    with pdf.offset_rendering() as trial:
        table(rows, trial)
        fits = trial.get_y() + closing_h <= trial.h - trial.b_margin
    if fits or len(rows) < 2:
        table(rows)
    else:
        # the signature must not stand alone on the last page: the last row goes with it
        table(rows[:-1])
        pdf.add_page()
        table(rows[-1:])
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 4.6, nfc(t("nominations.export.made", date=fmt_date(today), by=scope.name)),
                   new_x="LMARGIN", new_y="NEXT")
    pdf_setup.keep_with_next(pdf, 52)
    pdf.ln(3)
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(left_w, 5, nfc(t("nominations.doc.recipients")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for line in t("nominations.doc.recipient_lines").split("\n"):
        pdf.cell(left_w, 4.6, nfc(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(right_x, top)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(right_w, 5.5, nfc(t("nominations.doc.sign_for")), align="C",
             new_x="LEFT", new_y="NEXT")
    pdf.cell(right_w, 5.5, nfc(t("nominations.doc.sign_title")), align="C",
             new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "I", 9.5)
    pdf.cell(right_w, 5, nfc(t("nominations.doc.sign_hint")), align="C",
             new_x="LEFT", new_y="NEXT")
    out = bytes(pdf.output())
    _audit_export(scope, campaign_id, "pdf", fl.count)
    return out


def _audit_export(scope: Scope, campaign_id: int, fmt: str, count: int) -> None:
    with session_scope() as s:
        audit.record(s, scope.username, "nomination.export", "campaign", campaign_id,
                     after={"format": fmt, "approved": count})

