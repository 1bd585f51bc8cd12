"""A small client for Streamlit's browser websocket protocol (checked against Streamlit 1.67).

It speaks to ``<base>/_stcore/stream`` the way the browser bundle does, so a test or a load
harness can open a page, read what the script rendered, fill a form and submit it without a
browser. Used by ``bench/survey_load.py``; reusable from pytest::

    async with StreamlitSession("http://127.0.0.1:8501", page="survey",
                                query_string="xa=07201") as s:
        await s.load()                       # first rerun, waits for script_finished
        form = s.find_form()                 # widgets of the (only / largest) st.form
        states = {w.id: random_widget_state(w, rng) for w in form.inputs}
        t0 = await s.submit_form(form, states)
        await s.wait_idle(timeout=30)
        assert s.text_since(t0, "Cảm ơn")

Protocol facts this relies on (read from streamlit/web/server/starlette/starlette_websocket.py,
streamlit/runtime/* and the frontend bundle static/js/index.*.js of 1.67):

* Websocket subprotocol list is ``["streamlit", <xsrf token or "PLACEHOLDER_AUTH_TOKEN">,
  <last session id>]``.  The server reads the list *positionally* (entry 0 = protocol it
  echoes back, 1 = xsrf token, only used for auth cookies, 2 = session id to resume).
  Reconnecting with entry 2 = the old ``new_session.initialize.session_id`` resumes the stored
  AppSession (session_state intact) for ``server.disconnectedSessionTTL`` (120 s default).
* Every frame is a binary protobuf: client -> server ``BackMsg``, server -> client ``ForwardMsg``.
  Text frames make the server close the socket.
* The page is chosen by the first ``rerun_script``: ``page_script_hash=""`` and
  ``page_name=<URL pathname relative to the base>`` (e.g. ``"survey"``); st.navigation matches
  it against each ``st.Page``'s ``url_path``.  Unknown names yield a ``page_not_found`` message
  and the default page runs.  Later reruns send ``page_script_hash`` = the hash from the
  ``navigation`` message (or ``new_session.page_script_hash``) and an empty ``page_name``.
  ``query_string`` is sent on every rerun (without the leading ``?``); ``page_info_changed``
  tells the client the script changed it (st.query_params) and the browser then sends the new one.
* Each script run starts with a ``new_session`` message and ends with ``script_finished``
  (``FINISHED_EARLY_FOR_RERUN`` when a newer rerun request stopped it - ``runner.fastReruns``).
  ``session_status_changed.script_is_running`` brackets runs.  Elements are addressed by
  ``metadata.delta_path``; at the end of a full run the browser drops elements the run did not
  touch, which this client mimics.
* Message cache: the server replaces a large ``new_element`` delta by a ``ref_hash`` message only
  when the client listed its hash in ``ClientState.cached_message_hashes``.  This client keeps a
  cache of ``metadata.cacheable`` messages and advertises it (like the browser) unless
  ``advertise_cache=False``; a ``ref_hash`` is resolved from the cache with the ref's metadata.
* Widget values (WidgetState oneof) in 1.67: radio / selectbox / text_input / text_area /
  color_picker / date & time inputs -> ``string_value`` (radio & selectbox carry the *formatted
  option label*, not an index: an ``int_value`` would be passed through as the raw int);
  multiselect / pills / segmented_control / select_slider -> ``string_array_value`` (labels);
  checkbox / toggle -> ``bool_value``; number_input -> ``double_value``; slider ->
  ``double_array_value``; buttons and form submit buttons -> ``trigger_value=True``.
  Form widgets never cause a rerun by themselves: the browser keeps their values and sends them
  all, plus the submit button's trigger, in the one ``rerun_script`` of the submit.
  (Sending ``int_value`` for a radio in 1.67 crashes the run with a TypeError in
  SessionState.get_serialized.)

Known server behaviour seen with this client (Streamlit 1.67): after a reconnect the Runtime's
flush loop may still hold the old ActiveSessionInfo snapshot and write the next run's messages to
the dead client; they are dropped, so the script runs (a row is stored) but the browser never
sees the result.  A new ``rerun_script`` also discards not-yet-flushed messages of the previous
run (``AppSession._clear_queue``), so impatient re-submits under load can starve every reply.
"""
from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect as ws_connect

FINISHED_SUCCESSFULLY = ForwardMsg.FINISHED_SUCCESSFULLY
FINISHED_WITH_COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
FINISHED_EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FINISHED_FRAGMENT_RUN_SUCCESSFULLY = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY

# Element kinds this client knows how to fill.
INPUT_KINDS = {
    "radio", "selectbox", "multiselect", "checkbox", "text_area", "text_input",
    "number_input", "slider", "button_group", "color_picker",
}
WIDGET_KINDS = INPUT_KINDS | {
    "button", "download_button", "date_input", "time_input", "date_time_input", "file_uploader",
    "camera_input", "audio_input", "chat_input", "feedback", "menu_button", "pagination",
    "data_editor",
}


class ProtocolError(Exception):
    """The server sent something this client cannot make sense of."""


def assert_loopback_url(url: str) -> None:
    """Refuse anything but a loopback target (load tests must stay on this machine)."""
    host = urlsplit(url).hostname
    if not host:
        raise ValueError(f"no host in URL {url!r}")
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve {host!r}: {exc}") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if not ip.is_loopback:
            raise ValueError(f"refusing non-loopback target {host} ({ip})")


def ws_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/")
    return f"{scheme}://{parts.netloc}{path}/_stcore/stream"


@dataclass
class Widget:
    id: str
    kind: str
    label: str
    form_id: str
    path: tuple[int, ...]
    options: list[str] = field(default_factory=list)
    is_submit: bool = False
    disabled: bool = False
    required: bool = False
    max_selections: int = 0
    proto: Any = None

    def __repr__(self) -> str:  # compact
        return f"Widget({self.kind}, {self.label[:30]!r}, form={self.form_id!r}, n_opts={len(self.options)})"


@dataclass
class Form:
    form_id: str
    widgets: list[Widget]

    @property
    def submit_buttons(self) -> list[Widget]:
        return [w for w in self.widgets if w.is_submit]

    @property
    def inputs(self) -> list[Widget]:
        return [w for w in self.widgets if not w.is_submit and w.kind in INPUT_KINDS]


@dataclass
class RunInfo:
    index: int
    started_at: float
    script_run_id: str = ""
    page_script_hash: str = ""
    finished_at: float | None = None
    status: int | None = None


def widget_from_element(el: Element, path: tuple[int, ...]) -> Widget | None:
    kind = el.WhichOneof("type")
    if kind not in WIDGET_KINDS:
        return None
    p = getattr(el, kind)
    wid = getattr(p, "id", "")
    if not wid:
        return None
    w = Widget(
        id=wid,
        kind=kind,
        label=getattr(p, "label", ""),
        form_id=getattr(p, "form_id", ""),
        path=path,
        disabled=bool(getattr(p, "disabled", False)),
        proto=p,
    )
    if kind in ("radio", "selectbox", "multiselect"):
        w.options = list(p.options)
    elif kind == "button_group":
        w.options = [o.content for o in p.options]
    elif kind == "slider":
        w.options = list(p.options)  # select_slider has string options, st.slider none
    if kind == "button":
        w.is_submit = bool(p.is_form_submitter)
    if kind == "multiselect":
        w.max_selections = int(p.max_selections)
    if kind == "text_area" or kind == "text_input":
        w.required = bool(getattr(p, "required", False))
    return w


def random_widget_state(
    w: Widget,
    rng: random.Random,
    texts: Iterable[str] = ("", "Tốt", "Cán bộ nhiệt tình", "Không có ý kiến"),
    checkbox: str = "true",
) -> WidgetState | None:
    """A plausible random answer for one input widget, encoded as 1.67's frontend does."""
    ws = WidgetState(id=w.id)
    p = w.proto
    k = w.kind
    if k in ("radio", "selectbox"):
        if not w.options:
            return None
        ws.string_value = rng.choice(w.options)
    elif k == "multiselect":
        if not w.options:
            ws.string_array_value.data[:] = []
            return ws
        hi = len(w.options) if not w.max_selections else min(w.max_selections, len(w.options))
        n = rng.randint(1, hi)
        ws.string_array_value.data.extend(rng.sample(w.options, n))
    elif k == "button_group":
        if not w.options:
            return None
        multi = int(getattr(p, "click_mode", 0)) == 1  # 0 single-select, 1 multi-select
        if multi:
            ws.string_array_value.data.extend(rng.sample(w.options, rng.randint(1, len(w.options))))
        else:
            ws.string_array_value.data.append(rng.choice(w.options))
    elif k == "checkbox":
        ws.bool_value = True if checkbox == "true" else bool(rng.getrandbits(1))
    elif k in ("text_area", "text_input"):
        pool = [t for t in texts if t] if w.required else list(texts)
        txt = rng.choice(pool or ["Ý kiến"])
        if getattr(p, "max_chars", 0):
            txt = txt[: p.max_chars]
        ws.string_value = txt
    elif k == "number_input":
        lo = p.min if p.has_min else 0
        hi = p.max if p.has_max else lo + 10
        ws.double_value = float(rng.randint(int(lo), int(hi))) if p.data_type == p.INT else rng.uniform(lo, hi)
    elif k == "slider":
        if w.options:  # select_slider: labels
            ws.string_array_value.data.append(rng.choice(w.options))
        else:
            ws.double_array_value.data.append(
                float(rng.randint(int(p.min), int(p.max))) if p.data_type in (p.INT,)
                else rng.uniform(p.min, p.max))
    elif k == "color_picker":
        ws.string_value = f"#{rng.randrange(0x1000000):06x}"
    else:
        return None
    return ws


class StreamlitSession:
    """One simulated browser tab. Not thread-safe; one asyncio task drives it."""

    def __init__(
        self,
        base_url: str,
        *,
        page: str = "",
        query_string: str = "",
        open_timeout: float = 15.0,
        advertise_cache: bool = True,
        send_origin: bool = True,
        user_agent: str = "Mozilla/5.0 (Linux; Android 10) QCDC-bench/1.0",
        context_info: dict[str, Any] | None = None,
        on_message: Callable[[ForwardMsg, float], None] | None = None,
        check_loopback: bool = True,
        offer_compression: bool = True,
        headers: dict[str, str] | None = None,
    ) -> None:
        if check_loopback:
            assert_loopback_url(base_url)
        self.base_url = base_url.rstrip("/")
        self.page = page.strip("/")
        self.query_string = query_string.lstrip("?")
        self.open_timeout = open_timeout
        self.advertise_cache = advertise_cache
        self.send_origin = send_origin
        self.user_agent = user_agent
        self.context_info = context_info or {
            "timezone": "Asia/Bangkok", "timezone_offset": -420, "locale": "vi-VN",
            "is_embedded": False, "color_scheme": "light",
        }
        self.on_message = on_message
        self.offer_compression = offer_compression
        self.headers = dict(headers or {})  # e.g. {"Cookie": "qcdc_route=..."} behind nginx

        self.ws = None
        self._reader: asyncio.Task | None = None
        self._cond = asyncio.Condition()
        self.closed_reason: str | None = None

        # state learned from the server
        self.session_id: str | None = None
        self.session_ids: list[str] = []
        self.page_script_hash: str = ""
        self.main_script_hash: str = ""
        self.app_pages: list[Any] = []
        self.script_running = False
        self.runs: list[RunInfo] = []
        self.page_not_found: list[str] = []
        self.exceptions: list[str] = []
        self.elements: dict[tuple[int, ...], tuple[int, float, Element]] = {}
        self.blocks: dict[tuple[int, ...], tuple[int, Any]] = {}
        self.committed: dict[str, WidgetState] = {}  # non-form widget values the "browser" holds
        self.msg_cache: dict[str, ForwardMsg] = {}
        self.msgs_received = 0
        self.bytes_received = 0
        self.connections = 0
        self.cache_misses = 0

    # ----------------------------------------------------------------- connection
    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def connect(self, resume_session_id: str | None = None) -> None:
        """Open the websocket. ``resume_session_id`` = reconnect to that AppSession."""
        subprotocols = ["streamlit", "PLACEHOLDER_AUTH_TOKEN"]
        if resume_session_id:
            subprotocols.append(resume_session_id)
        parts = urlsplit(self.base_url)
        origin = f"{parts.scheme}://{parts.netloc}" if self.send_origin else None
        self.ws = await ws_connect(
            ws_url(self.base_url),
            subprotocols=subprotocols,
            origin=origin,
            proxy=None,              # never go through an env proxy
            # Browsers always offer permessage-deflate; the server accepts it only when
            # server.enableWebsocketCompression is on. Offer it the same way.
            compression="deflate" if self.offer_compression else None,
            open_timeout=self.open_timeout,
            ping_interval=None,      # browsers don't ping; the server may
            max_size=None,
            max_queue=None,
            user_agent_header=self.user_agent,
            additional_headers=self.headers or None,
        )
        self.connections += 1
        self.closed_reason = None
        self._reader = asyncio.create_task(self._read_loop(self.ws))

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None and self.closed_reason is None:
            self.closed_reason = "closed by client"
        if ws is not None:
            try:
                await asyncio.wait_for(ws.close(), 5)
            except Exception:
                pass
        await self._stop_reader()

    async def drop(self) -> None:
        """Lose the connection like a phone going out of coverage (no close handshake)."""
        ws, self.ws = self.ws, None
        if ws is not None and self.closed_reason is None:
            self.closed_reason = "dropped by client"
        if ws is not None:
            try:
                ws.transport.abort()
            except Exception:
                pass
        await self._stop_reader()

    async def reconnect(self) -> None:
        """Reconnect with the last session id as the browser's ConnectionManager does.

        Like the browser, no rerun is sent when the last run had finished: the page stays
        as it was and the next user action (e.g. the submit) carries the widget states.
        """
        await self.drop()
        await self.connect(resume_session_id=self.session_id)

    async def _stop_reader(self) -> None:
        t, self._reader = self._reader, None
        if t is not None and not t.done():
            t.cancel()
            try:
                await t
            except BaseException:
                pass

    async def _read_loop(self, ws: Any) -> None:
        try:
            async for data in ws:
                now = time.monotonic()
                if isinstance(data, str):
                    raise ProtocolError("text frame from server")
                self.bytes_received += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                async with self._cond:
                    self._handle(msg, now)
                    self._cond.notify_all()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # connection closed or protocol problem
            self.closed_reason = self.closed_reason or f"{type(exc).__name__}: {exc}"[:200]
        else:
            self.closed_reason = self.closed_reason or f"closed by server (code {ws.close_code})"
        async with self._cond:
            self._cond.notify_all()

    # ----------------------------------------------------------------- messages
    def _handle(self, msg: ForwardMsg, now: float) -> None:
        self.msgs_received += 1
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self.msg_cache.get(msg.ref_hash)
            if cached is None:
                self.cache_misses += 1
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.msg_cache[msg.hash] = msg
        if self.on_message is not None:
            self.on_message(msg, now)

        if kind == "new_session":
            ns = msg.new_session
            sid = ns.initialize.session_id
            if sid:
                self.session_id = sid
                if sid not in self.session_ids:
                    self.session_ids.append(sid)
            if ns.page_script_hash:
                self.page_script_hash = ns.page_script_hash
            self.main_script_hash = ns.main_script_hash or self.main_script_hash
            if len(ns.app_pages):
                self.app_pages = list(ns.app_pages)
            self.runs.append(RunInfo(
                index=len(self.runs), started_at=now,
                script_run_id=msg.metadata.run.script_run_id,
                page_script_hash=ns.page_script_hash,
            ))
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
            self.app_pages = list(msg.navigation.app_pages)
        elif kind == "delta":
            d = msg.delta
            path = tuple(msg.metadata.delta_path)
            run = len(self.runs) - 1
            dk = d.WhichOneof("type")
            if dk == "new_element":
                self.elements[path] = (run, now, d.new_element)
                if d.new_element.WhichOneof("type") == "exception":
                    self.exceptions.append(d.new_element.exception.message[:300])
            elif dk == "add_block":
                self.blocks[path] = (run, d.add_block)
                # a new block at this path replaces whatever element was there
                self.elements.pop(path, None)
        elif kind == "script_finished":
            status = msg.script_finished
            if self.runs and self.runs[-1].finished_at is None:
                self.runs[-1].finished_at = now
                self.runs[-1].status = status
            if status == FINISHED_SUCCESSFULLY and self.runs:
                self._clear_stale(len(self.runs) - 1)
        elif kind == "session_status_changed":
            self.script_running = msg.session_status_changed.script_is_running
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.page_not_found.append(msg.page_not_found.page_name or self.page)
        elif kind == "session_event":
            ev = msg.session_event
            if ev.WhichOneof("type") == "script_compilation_exception":
                self.exceptions.append(ev.script_compilation_exception.message[:300])

    def _clear_stale(self, run: int) -> None:
        self.elements = {p: v for p, v in self.elements.items() if v[0] >= run}
        self.blocks = {p: v for p, v in self.blocks.items() if v[0] >= run}

    # ----------------------------------------------------------------- sending
    def _client_state(self, widget_states: Iterable[WidgetState] | None, *, first: bool) -> ClientState:
        cs = ClientState(query_string=self.query_string)
        if first or not self.page_script_hash:
            cs.page_script_hash = ""
            cs.page_name = self.page
        else:
            cs.page_script_hash = self.page_script_hash
        if widget_states:
            cs.widget_states.widgets.extend(widget_states)
        if self.advertise_cache and self.msg_cache:
            cs.cached_message_hashes.extend(self.msg_cache.keys())
        ci = cs.context_info
        ci.timezone = self.context_info["timezone"]
        ci.timezone_offset = self.context_info["timezone_offset"]
        ci.locale = self.context_info["locale"]
        ci.url = f"{self.base_url}/{self.page}" + (f"?{self.query_string}" if self.query_string else "")
        ci.is_embedded = self.context_info["is_embedded"]
        ci.color_scheme = self.context_info["color_scheme"]
        return cs

    async def send_backmsg(self, bm: BackMsg) -> float:
        if self.ws is None:
            raise ConnectionError("not connected")
        payload = bm.SerializeToString()
        t = time.monotonic()
        await self.ws.send(payload)
        return t

    async def rerun(self, widget_states: Iterable[WidgetState] | None = None, *, first: bool = False) -> float:
        bm = BackMsg()
        bm.rerun_script.CopyFrom(self._client_state(widget_states, first=first))
        return await self.send_backmsg(bm)

    # ----------------------------------------------------------------- waiting
    async def wait_for(self, pred: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``pred()`` holds (checked after every message). False on timeout/close."""
        async def _w() -> bool:
            async with self._cond:
                while True:
                    if pred():
                        return True
                    if self._reader is None or self._reader.done():
                        return pred()
                    await self._cond.wait()
        try:
            return await asyncio.wait_for(_w(), timeout)
        except TimeoutError:
            return False

    def last_run_done(self, since_run: int = 0) -> bool:
        """A full run that started at index >= since_run finished (not superseded)."""
        for r in self.runs[since_run:]:
            if r.finished_at is not None and r.status != FINISHED_EARLY_FOR_RERUN:
                return not self.script_running or r is self.runs[-1]
        return False

    async def wait_idle(self, timeout: float, since_run: int = 0) -> bool:
        return await self.wait_for(lambda: self.last_run_done(since_run) and not self.script_running, timeout)

    async def load(self, timeout: float = 60.0) -> bool:
        """Send the browser's first rerun (page by URL path) and wait for the run to finish."""
        n = len(self.runs)
        await self.rerun(None, first=True)
        return await self.wait_idle(timeout, since_run=n)

    # ----------------------------------------------------------------- page content
    def sorted_elements(self) -> list[tuple[tuple[int, ...], Element]]:
        return [(p, v[2]) for p, v in sorted(self.elements.items())]

    def widgets(self) -> list[Widget]:
        out = []
        for path, el in self.sorted_elements():
            w = widget_from_element(el, path)
            if w is not None:
                out.append(w)
        return out

    def forms(self) -> dict[str, Form]:
        forms: dict[str, Form] = {}
        for _path, (_, blk) in sorted(self.blocks.items()):
            if blk.WhichOneof("type") == "form":
                forms.setdefault(blk.form.form_id, Form(blk.form.form_id, []))
        for w in self.widgets():
            if w.form_id:
                forms.setdefault(w.form_id, Form(w.form_id, [])).widgets.append(w)
        return forms

    def find_form(self, hint: str | None = None) -> Form | None:
        """The form to fill: the one whose id contains ``hint``, else the one with a submit
        button and the most inputs."""
        forms = [f for f in self.forms().values() if f.submit_buttons]
        if hint:
            forms = [f for f in forms if hint in f.form_id] or forms
        if not forms:
            return None
        return max(forms, key=lambda f: len(f.inputs))

    def text_since(self, t0: float, needle: str) -> float | None:
        """Arrival time of the first current element received at/after t0 containing needle."""
        nb = needle.encode("utf-8")
        best = None
        for _, (_, t, el) in self.elements.items():
            if t >= t0 and nb in el.SerializeToString():
                best = t if best is None else min(best, t)
        return best

    def has_text(self, needle: str) -> bool:
        nb = needle.encode("utf-8")
        return any(nb in el.SerializeToString() for _, (_, _, el) in self.elements.items())

    # ----------------------------------------------------------------- forms
    def build_submit(self, form: Form, values: dict[str, WidgetState],
                     submit: Widget | None = None) -> list[WidgetState]:
        """Widget states the browser sends when the form is submitted: its committed
        (non-form) widget values, every form widget's value, and the submit trigger."""
        submit = submit or (form.submit_buttons[0] if form.submit_buttons else None)
        states: dict[str, WidgetState] = dict(self.committed)
        for wid, ws in values.items():
            states[wid] = ws
        if submit is not None:
            states[submit.id] = WidgetState(id=submit.id, trigger_value=True)
        return list(states.values())

    async def submit_form(
        self,
        form: Form,
        values: dict[str, WidgetState],
        *,
        repeat: int = 1,
        gap_s: float = 0.005,
    ) -> float:
        """Send the submit rerun (``repeat`` times, ``gap_s`` apart = double tap).
        Returns the monotonic time the first one was sent."""
        states = self.build_submit(form, values)
        bm = BackMsg()
        bm.rerun_script.CopyFrom(self._client_state(states, first=False))
        t0 = await self.send_backmsg(bm)
        for _ in range(repeat - 1):
            await asyncio.sleep(gap_s)
            await self.send_backmsg(bm)
        submit_ids = {w.id for w in form.submit_buttons}
        for wid, ws in values.items():
            if wid not in submit_ids:
                self.committed[wid] = ws
        return t0
