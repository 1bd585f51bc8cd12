"""One public address (QCDC_PUBLIC_URL) for everything printed: without it, outside demo mode,
no QR code, poster or share link is made and the pages say why; in demo mode the address the
browser used stands in (checked in Chromium: tests/browser/test_dayuse_browser.py)."""
from __future__ import annotations

import pytest

from app.admin.poster import poster_pdf
from app.core.auth import create_user
from app.core.public_url import FROM_BROWSER, FROM_SETTING, browser_origin, public_address
from app.core.reference import geography
from tests.apptest import app_for, texts
from tests.pdf_helpers import pdf_page_image, pdf_pages


def test_the_setting_wins_the_browser_only_in_demo_mode(monkeypatch):
    monkeypatch.setenv("QCDC_DEMO", "0")
    monkeypatch.delenv("QCDC_PUBLIC_URL", raising=False)
    assert public_address("http://10.0.0.5:8501") is None
    monkeypatch.setenv("QCDC_PUBLIC_URL", "https://khaosat.bacgiang.gov.vn/")
    a = public_address("http://10.0.0.5:8501")
    assert (a.url, a.source) == ("https://khaosat.bacgiang.gov.vn", FROM_SETTING)
    assert a.link("survey", xa="07201") == "https://khaosat.bacgiang.gov.vn/survey?xa=07201"
    monkeypatch.setenv("QCDC_PUBLIC_URL", "khaosat.bacgiang.gov.vn")  # not an address
    assert public_address("http://10.0.0.5:8501") is None
    monkeypatch.setenv("QCDC_DEMO", "1")
    monkeypatch.delenv("QCDC_PUBLIC_URL")
    a = public_address("http://10.0.0.5:8501")
    assert (a.url, a.source) == ("http://10.0.0.5:8501", FROM_BROWSER)


@pytest.mark.parametrize("url,base,expected", [
    ("http://127.0.0.1:8501/ma-qr", "", "http://127.0.0.1:8501"),
    ("https://khaosat.vn/qcdc/ma-qr", "qcdc", "https://khaosat.vn/qcdc"),
    ("javascript:alert(1)", "", None),
    (None, "", None),
])
def test_browser_origin(url, base, expected):
    assert browser_origin(url, base) == expected


def _admin(db_dir):
    create_user("quantri", "Quản trị", "Matkhau2024", "admin")
    return "quantri"


def test_production_without_the_setting_prints_nothing_and_says_why(db, monkeypatch):
    monkeypatch.delenv("QCDC_PUBLIC_URL", raising=False)
    at = app_for("pages/admin/qr.py", user=_admin(db), timeout=60)
    assert not at.exception
    body = texts(at)
    assert "Chưa có địa chỉ công khai" in body and "QCDC_PUBLIC_URL" in body
    assert [b.key for b in at.button] == ["qcdc_logout"]  # nothing to make
    assert not at.download_button and not at.get("imgs")
    # the campaigns page says it too
    at.switch_page("pages/admin/campaigns.py").run()
    assert "Chưa có địa chỉ công khai" in texts(at)


def test_production_with_the_setting_prints_it(db, monkeypatch):
    monkeypatch.setenv("QCDC_PUBLIC_URL", "https://khaosat.bacgiang.gov.vn")
    at = app_for("pages/admin/qr.py", user=_admin(db), timeout=60)
    assert not at.exception
    body = texts(at)
    assert "Địa chỉ công khai (QCDC_PUBLIC_URL): https://khaosat.bacgiang.gov.vn" in body
    assert "https://khaosat.bacgiang.gov.vn/survey?xa=" in body
    assert "localhost" not in body


def test_commune_share_link_needs_the_address(db, monkeypatch):
    create_user("xa.07201", "Tổ công tác", "Matkhau2024", "commune", commune_code="07201")
    monkeypatch.delenv("QCDC_PUBLIC_URL", raising=False)
    at = app_for("pages/commune/roster.py", user="xa.07201", timeout=60)
    assert "Đường dẫn chia sẻ chưa có" in texts(at)
    assert not [c for c in at.code if "lich-truc" in c.value]
    monkeypatch.setenv("QCDC_PUBLIC_URL", "https://khaosat.bacgiang.gov.vn")
    at.run()
    assert [c.value for c in at.code if "lich-truc" in c.value] == [
        "https://khaosat.bacgiang.gov.vn/lich-truc?xa=07201"]


def test_posters_one_page_per_commune_with_the_code_and_the_call(db):
    import zxingcpp
    communes = geography().communes_of("213")[:3]
    data = poster_pdf("https://khaosat.bacgiang.gov.vn", communes)
    pages = pdf_pages(data)
    assert len(pages) == 3
    assert communes[0].full_name.upper() in pages[0] and "Mời bà con cho ý kiến" in pages[0]
    assert "khaosat.bacgiang.gov.vn/survey?xa=" + communes[0].code in pages[0]
    assert communes[1].full_name.upper() in pages[1] and "BẢN DEMO" not in pages[0]
    found = zxingcpp.read_barcodes(pdf_page_image(data, 2, dpi=100))
    assert [b.text for b in found] == [
        f"https://khaosat.bacgiang.gov.vn/survey?xa={communes[1].code}"]
    demo = pdf_pages(poster_pdf("http://10.0.0.5:8501", communes[:1], demo=True))
    assert "BẢN DEMO" in demo[0]
