"""Live parts of a page end with the session: every rerun of every fragment checks the session
as a full run does.

The overview and the map redraw their figures in ``st.fragment(run_every=30 s)``: the browser
asks for the fragment's rerun itself (``rerun_script`` with the fragment's id), without a full
run of the page. Probed over Streamlit's websocket protocol as a tab left open would: signed in,
the overview open, then the account disabled, its password changed elsewhere, or the session
expired; the fragment's next rerun must serve no figures and the tab must show the sign-in page.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import sys
import time

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.conftest import ROOT, _use_dir

sys.path.insert(0, str(ROOT / "bench"))

SESSION_HOURS = 0.0125  # 45 s: the "expired" tab waits that long
FIGURE = "Tổng số phiếu"  # a key figure of the overview (and of the map's fragment)


@pytest.fixture(scope="module")
def short_sessions_server(_templates, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("frag")
    shutil.copy(_templates["demo"] / "qcdc.db", data_dir / "qcdc.db")
    server = start_server(data_dir, env_extra={"QCDC_SESSION_HOURS": str(SESSION_HOURS)})
    yield server
    stop_server(server)


class Tab:
    """A browser tab over the websocket protocol that records the fragments' auto-reruns."""

    def __init__(self, url: str):
        from st_protocol import StreamlitSession
        self.fragments: list[str] = []
        self.s = StreamlitSession(url, page="dang-nhap", on_message=self._on_message)

    def _on_message(self, msg, _now) -> None:
        if msg.WhichOneof("type") == "auto_rerun":
            self.fragments.append(msg.auto_rerun.fragment_id)

    async def sign_in_and_open(self, username: str, password: str,
                               page: str) -> tuple[float, float]:
        """Signs in, opens `page`; the times before and after the server signed the user in."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        s = self.s
        await s.connect()
        assert await s.load(60)
        form = s.find_form("login")
        values = {w.id: WidgetState(id=w.id, string_value=username if "Tên" in w.label
                                    else password) for w in form.inputs}
        n = len(s.runs)
        signed_at = time.time()
        await s.submit_form(form, values)
        assert await s.wait_idle(60, since_run=n)
        signed_by = time.time()
        s.page = page
        assert await s.load(60) and s.has_text(FIGURE), f"{page} did not open"
        assert self.fragments, "no live fragment on the page"
        return signed_at, signed_by

    async def fragment_rerun(self) -> float:
        """What the browser sends when the fragment's timer fires; waits for the answer."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        s = self.s
        cs = s._client_state(list(s.committed.values()), first=False)
        cs.fragment_id = self.fragments[-1]
        cs.is_auto_rerun = True
        bm = BackMsg()
        bm.rerun_script.CopyFrom(cs)
        n = len(s.runs)
        t0 = await s.send_backmsg(bm)
        assert await s.wait_for(lambda: len(s.runs) > n and s.last_run_done(n)
                                and not s.script_running, 60)
        return t0

    def sign_in_page_shown(self) -> bool:
        return any(w.kind == "text_input" and "Mật khẩu" in w.label for w in self.s.widgets())


def _in_thread(coroutine_function):
    """Run an asyncio scenario in a thread of its own (pytest's may hold Playwright's loop)."""
    import threading
    box: dict = {}

    def target() -> None:
        try:
            box["out"] = asyncio.run(coroutine_function())
        except BaseException as exc:
            box["exc"] = exc
    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def _revoke(kind: str, username: str) -> None:
    from sqlmodel import select

    from app.admin import users as ua
    from app.core.auth import Scope, change_password
    from db.engine import session_scope
    from db.models import User
    with session_scope() as s:
        uid = s.exec(select(User.id).where(User.username == username)).one()
    if kind == "disabled":
        ua.set_active(Scope("demo.admin", "Quản trị", "admin"), uid, False)
    elif kind == "password":  # changed on another device
        change_password(username, "Secret123", "Newpass123", "Newpass123")


def test_a_fragment_rerun_after_revocation_serves_no_figures(short_sessions_server):
    """Six tabs at once (the overview and the map, each disabled / password changed /
    expired), so the whole test waits for one session lifetime."""
    from app.core.auth import create_user
    _use_dir(short_sessions_server.data_dir, demo=True)  # this process changes the accounts
    tabs_wanted = [(page, kind) for page in ("tong-quan", "ban-do")
                   for kind in ("disabled", "password", "expired")]
    names = {tw: f"{tw[0].replace('-', '')}.{tw[1]}" for tw in tabs_wanted}
    for name in names.values():
        create_user(name, name, "Secret123", "province")

    async def scenario() -> dict:
        tabs = {tw: Tab(short_sessions_server.url) for tw in tabs_wanted}
        signed = dict(zip(tabs_wanted, await asyncio.gather(
            *(tabs[tw].sign_in_and_open(names[tw], "Secret123", tw[0]) for tw in tabs_wanted))))
        for tw, tab in tabs.items():  # the test is not blind: a rerun serves fresh figures
            t0 = await tab.fragment_rerun()
            assert tab.s.text_since(t0, FIGURE) is not None, f"{tw}: no figures before"
        for tw in tabs_wanted:
            if tw[1] != "expired":
                await asyncio.to_thread(_revoke, tw[1], names[tw])
        out = {}
        for tw in sorted(tabs_wanted, key=lambda tw: tw[1] == "expired"):  # expired ones last
            if tw[1] == "expired":
                wait = signed[tw][1] + SESSION_HOURS * 3600 + 1 - time.time()
                await asyncio.sleep(max(0.0, wait))
            tab = tabs[tw]
            t0 = await tab.fragment_rerun()
            # the runs that follow (the whole app, then the switch to the sign-in page), or
            # the fragment's figures
            await tab.s.wait_for(lambda t=tab, t0=t0: not t.s.script_running and (
                t.sign_in_page_shown() or t.s.text_since(t0, FIGURE) is not None), 30)
            out[tw] = (tab.s.text_since(t0, FIGURE), tab.sign_in_page_shown())
            if tw[1] != "expired":  # revoked, not merely expired
                assert time.time() < signed[tw][0] + SESSION_HOURS * 3600, f"{tw}: too slow"
        for tab in tabs.values():
            await tab.s.close()
        return out

    for tw, (figures_at, sign_in_shown) in _in_thread(scenario).items():
        assert figures_at is None, f"{tw}: the fragment served figures after revocation"
        assert sign_in_shown, f"{tw}: the tab does not show the sign-in page"


def test_every_fragment_goes_through_the_session_check():
    """A fragment (st.fragment, and st.dialog, which is one) reruns without the entry script:
    only ``app.ui.core.session.live_fragment`` checks the session on each of those reruns."""
    allowed = ROOT / "app" / "ui" / "core" / "session.py"
    offenders = []
    for path in [ROOT / "streamlit_app.py", *(ROOT / "app").rglob("*.py"),
                 *(ROOT / "pages").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if path != allowed and re.search(r"\bst\.(fragment|dialog|experimental_fragment)\b",
                                         text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"use session.live_fragment instead of st.fragment in {offenders}"
    assert "live_fragment" in (ROOT / "app/ui/monitoring/dashboard.py").read_text()
