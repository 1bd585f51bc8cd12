"""QR codes: the PNGs and the PDF must decode to the right survey link and show readable Vietnamese."""
from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
import zipfile
from collections import namedtuple
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from PIL import Image

from app.admin import qr

zxingcpp = pytest.importorskip("zxingcpp")

BASE = "http://example.org/"  # trailing slash on purpose: survey_url must strip it


@dataclass
class FakeCommune:
    code: str
    full_name: str
    district_full_name: str


CommuneTuple = namedtuple("CommuneTuple", "code full_name district_full_name")

COMMUNES = [
    FakeCommune("07201", "Phường Thọ Xương", "Thành phố Bắc Giang"),
    # Lots of stacked diacritics, and a name long enough to need wrapping.
    SimpleNamespace(code="07582", full_name="Thị trấn Nông trường Yên Thế Xương Giang Hưởng Ưởng",
                    district_full_name="Huyện Lục Ngạn"),
    CommuneTuple("07390", "Xã Đồng Việt", "Huyện Yên Dũng"),
]


def decode(img: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(img)]


def test_survey_url():
    assert qr.survey_url("http://example.org/", "07201") == "http://example.org/survey?xa=07201"
    assert qr.survey_url("http://example.org", "07201") == "http://example.org/survey?xa=07201"
    assert qr.survey_url("https://a.b/qcdc//", "1") == "https://a.b/qcdc/survey?xa=1"


def test_write_pngs_decode_to_survey_url(tmp_path):
    calls = []
    paths = qr.write_pngs(BASE, COMMUNES, tmp_path / "qr", progress=lambda d, t: calls.append((d, t)))
    assert [p.name for p in paths] == ["07201.png", "07582.png", "07390.png"]
    assert calls == [(1, 3), (2, 3), (3, 3)]
    for c, p in zip(COMMUNES, paths):
        img = Image.open(p)
        assert img.format == "PNG"
        assert 560 <= img.width <= 700, img.size
        assert img.height > img.width  # room for the label under the code
        assert decode(img) == [f"http://example.org/survey?xa={c.code}"]


def test_png_has_text_under_the_code_only():
    png = qr.qr_png(BASE, COMMUNES[0])
    img = Image.open(io.BytesIO(png)).convert("L")
    side = img.width
    label = img.crop((0, side, side, img.height))
    # The label area has dark pixels (the printed text) ...
    assert label.getextrema()[0] < 64
    # ... and the QR symbol alone still decodes.
    assert decode(img.crop((0, 0, side, side))) == ["http://example.org/survey?xa=07201"]
    # Different names give different labels (text is really drawn from the commune).
    other = qr.qr_png(BASE, FakeCommune("07201", "Xã Khác Hẳn", "Huyện Tân Yên"))
    assert other != png


def test_invalid_or_duplicate_codes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        qr.qr_png(BASE, FakeCommune("../etc", "x", "y"))
    with pytest.raises(ValueError):
        qr.write_pngs(BASE, [COMMUNES[0], COMMUNES[0]], tmp_path)
    assert not list(tmp_path.iterdir())


def test_zip_pngs_names_and_content():
    data = qr.zip_pngs(BASE, COMMUNES)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == ["07201.png", "07390.png", "07582.png"]
        img = Image.open(io.BytesIO(zf.read("07390.png")))
        assert decode(img) == ["http://example.org/survey?xa=07390"]
        assert zf.read("07201.png") == qr.qr_png(BASE, COMMUNES[0])


def _many(n: int) -> list[FakeCommune]:
    districts = ["Thành phố Bắc Giang", "Huyện Lục Ngạn"]
    return [FakeCommune(f"{i:05d}", f"Xã Thử Nghiệm Số {i}", districts[i % 2]) for i in range(n)]


def test_pdf_basics():
    calls = []
    pdf = qr.qr_pdf(BASE, COMMUNES, progress=lambda d, t: calls.append((d, t)))
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"DejaVu" in pdf  # the TrueType font is embedded
    assert b"/FontFile2" in pdf
    assert calls[-1] == (3, 3) and len(calls) == 3


def test_export_all_writes_pngs_and_pdf(tmp_path):
    calls = []
    paths, pdf_path = qr.export_all(BASE, COMMUNES, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert sorted(p.name for p in paths) == ["07201.png", "07390.png", "07582.png"]
    assert pdf_path == tmp_path / "qr_codes.pdf" and pdf_path.read_bytes().startswith(b"%PDF")
    assert [d for d, _ in calls] == list(range(1, 7)) and {t for _, t in calls} == {6}


def test_pdf_empty_list_still_valid():
    pdf = qr.qr_pdf(BASE, [])
    assert pdf.startswith(b"%PDF")


needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)


def _pdftotext(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                         check=True, capture_output=True)
    return out.stdout.decode("utf-8")


@needs_poppler
def test_pdf_text_is_extractable_vietnamese(tmp_path):
    pdf = qr.qr_pdf(BASE, COMMUNES)
    text = _pdftotext(pdf, tmp_path)
    assert "Phường Thọ Xương" in text
    assert "Xã Đồng Việt" in text
    assert "Mã QR khảo sát PKS 03 theo xã, phường, thị trấn" in text
    assert "example.org/survey?xa=07201" in text
    assert "Mã: 07390" in text
    # One page per district here, with "Trang x/N" footers.
    for district in ("Thành phố Bắc Giang", "Huyện Lục Ngạn", "Huyện Yên Dũng"):
        assert district in text
    assert "Trang 1/3" in text and "Trang 3/3" in text


@needs_poppler
def test_pdf_grouped_by_district_with_pages(tmp_path):
    communes = _many(30)  # 15 per district -> 2 pages each (12 per page)
    pdf = qr.qr_pdf(BASE, communes, title="Tiêu đề thử")
    text = _pdftotext(pdf, tmp_path)
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) == 4
    assert "Trang 4/4" in pages[3]
    assert "Tiêu đề thử" in pages[0]
    assert "Thành phố Bắc Giang (15 đơn vị)" in pages[0]
    assert "Thành phố Bắc Giang (tiếp theo)" in pages[1]
    assert "Huyện Lục Ngạn (15 đơn vị)" in pages[2]
    # Districts in input order, communes of one district never mixed into another's page.
    assert "Xã Thử Nghiệm Số 1\n" not in pages[0] + pages[1]
    assert "Mã: 00001" in pages[2]


@needs_poppler
def test_pdf_codes_scan_when_printed(tmp_path):
    """Rasterise the first page (as a printer would) and decode every QR on it."""
    communes = _many(12)
    pdf = qr.qr_pdf(BASE, communes)
    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png")))
    found = sorted(decode(page))
    # Page 1 holds the 6 communes of the first district (even codes).
    assert found == sorted(f"http://example.org/survey?xa={c.code}" for c in communes[0::2])


@needs_poppler
def test_decomposed_input_is_normalised(tmp_path):
    """Names stored in NFD (combining marks) must print like the precomposed (NFC) form."""
    nfd = FakeCommune("07201", unicodedata.normalize("NFD", "Phường Thọ Xương"),
                      unicodedata.normalize("NFD", "Thành phố Bắc Giang"))
    assert qr.qr_png(BASE, nfd) == qr.qr_png(BASE, COMMUNES[0])
    text = _pdftotext(qr.qr_pdf(BASE, [nfd]), tmp_path)
    assert "Phường Thọ Xương" in text  # NFC literal
    assert "Thành phố Bắc Giang" in text
