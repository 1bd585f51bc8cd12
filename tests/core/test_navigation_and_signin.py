"""Navigation by role, the sign-in page and the demo banner, through the real entry script."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from app.core import access
from app.core.auth import create_user
from db.engine import session_scope
from db.models import User
from tests.apptest import app_for, texts


def test_anonymous_cannot_open_a_staff_page(demo_db):
    # the page is not even registered in the navigation of an anonymous session
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_for("pages/admin/qr.py")
    at = app_for(None)
    assert not at.sidebar.button  # no menu, no sign-out for citizens


def test_admin_reaches_qr_page_and_sees_its_menu(demo_db):
    at = app_for("pages/admin/qr.py", user="demo.admin")
    assert not at.exception
    assert "Mã QR khảo sát của các xã, phường, thị trấn" in texts(at)
    assert any("Đăng xuất" in str(b.label) for b in at.sidebar.button)


def test_forged_session_user_that_does_not_exist_is_anonymous(demo_db):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_for("pages/admin/qr.py", user="nobody.here")


def test_commune_user_does_not_get_admin_pages(demo_db):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_for("pages/admin/qr.py", user="demo.xa")


def test_sign_in_with_wrong_then_right_password(demo_db):
    at = app_for("pages/public/sign_in.py")
    assert "demo.admin" in str([t.value for t in at.table]) or at.expander
    at.text_input[0].input("demo.tinh")
    at.text_input[1].input("sai-mat-khau1")
    at.button[0].click().run()
    assert "Không đăng nhập được: tên đăng nhập hoặc mật khẩu không đúng" in texts(at)
    at.text_input[1].input("Demo@2024")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["qcdc_user"] == "demo.tinh"
    # straight on to the start page, in the run of the tap
    assert "Tổng quan trực tuyến" in texts(at)
    # which has the browser keep a sign-in cookie the server accepts (a reload stays signed in)
    import html
    import json
    import re

    from app.core.auth import user_from_cookie
    from app.core.settings import load_settings
    kept = [h.value for h in at.get("html") if "data-qcdc-sign-in" in h.value]
    assert len(kept) == 1
    name, token, seconds = json.loads(
        html.unescape(re.search(r"data-qcdc-sign-in='([^']*)'", kept[0])[1]))
    cfg = load_settings()
    assert name == cfg.cookie_name and seconds == int(cfg.session_hours * 3600)
    user, _issued = user_from_cookie(token, cfg.cookie_key, cfg.session_hours)
    assert user.username == "demo.tinh"


def test_demo_accounts_listed_only_in_demo_mode(db):
    at = app_for("pages/public/sign_in.py")
    assert "Tài khoản demo" not in str([e.label for e in at.expander])
    assert "CHẾ ĐỘ DEMO" not in " ".join(h.value for h in at.get("html"))


def test_demo_banner_on_public_and_staff_pages(demo_db):
    for page, user in (("pages/public/survey.py", None), ("pages/public/sign_in.py", None),
                       ("pages/admin/account.py", "demo.xa")):
        at = app_for(page, user=user, query={"xa": "07201"})
        assert "CHẾ ĐỘ DEMO" in " ".join(h.value for h in at.get("html")), page


def test_user_with_generated_password_must_change_it_first(db):
    create_user("moi.tao", "Mới tạo", "Secret123", "province", must_change_password=True)
    at = app_for(None, user="moi.tao")
    assert "Bạn cần đổi mật khẩu trước khi tiếp tục." in texts(at)
    at.text_input[0].input("Secret123")
    at.text_input[1].input("Matkhau2024")
    at.text_input[2].input("Matkhau2024")
    [b for b in at.button if "Đổi mật khẩu" in str(b.label)][0].click().run()
    with session_scope() as s:
        assert not s.exec(select(User).where(User.username == "moi.tao")).one().must_change_password


def test_every_registered_page_file_exists():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    missing = [spec.path for spec in access.PAGES if not (root / spec.path).is_file()]
    assert missing == []


def test_every_page_lives_in_its_section_folder():
    from app.core import access
    for spec in access.PAGES:
        path = Path(spec.path)
        assert path.parts[0] == "pages" and path.parent.name == spec.section, spec.key


def test_every_url_has_its_first_visit_door_and_nothing_else_is_in_pages():
    """The first visits after a server start run in Streamlit's old pages-folder mode, which
    looks the page up by file name directly in pages/: a bookmarked /tong-quan must find
    pages/tong-quan.py (else Streamlit's English "Page not found"), and that door must only run
    the entry script (app/ui/core/entry.py)."""
    from app.core import access
    root = Path(__file__).resolve().parents[2]
    doors = {p.stem: p for p in (root / "pages").glob("*.py")}
    assert sorted(doors) == sorted(s.url_path for s in access.PAGES if s.url_path)
    for stem, path in doors.items():
        code = [ln for ln in path.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
        assert code == ["from app.ui.core.entry import run_entry_script", "run_entry_script()"], stem
