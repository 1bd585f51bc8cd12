"""deploy/prepare_static.py: the lightened copy of Streamlit's bundle that nginx serves.

The real bundle is checked end to end in tests/browser/test_light_pages_browser.py; here, small
made-up bundles check what must hold whatever Streamlit ships: a pattern that is not found
leaves the file as shipped (and says so), the step is idempotent, --check sees a stale copy,
and a folder the script did not make is never written.
"""
from __future__ import annotations

import gzip
import json
import re
import sys

import brotli
import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "deploy"))
from prepare_static import PIN_BACKEND_SCRIPT, STAMP, main, prepare  # noqa: E402


@pytest.fixture(autouse=True)
def _separate_files(monkeypatch):
    """The made-up bundles here are checked as separate files; the one-file bundle of the
    first-load scripts is tests/test_bundle_first_load.py's."""
    import bundle_first_load
    monkeypatch.setattr(bundle_first_load, "find_esbuild", lambda: None)

INDEX = """<!DOCTYPE html>
<html><head>
    <link rel="shortcut icon" href="./favicon.png" />
    <link
      rel="preload"
      href="./static/media/SourceSansVF-Upright.ttf.X1.woff2"
      as="font"
      type="font/woff2"
      crossorigin
    />
    <script type="module" crossorigin src="./static/js/index.H4sh.js"></script>
    <link rel="modulepreload" crossorigin href="./static/js/react-dom.Y2.js">
</head><body><div id="root"></div></body></html>
"""
MAIN_JS = ("var a=1;" * 40 + "function OA(){document.fonts.load(`1em \"${Ve.materialIcons}\"`)"
           ".catch(e=>{DA.warn(`Failed`,e)})}var kA=Date.now();OA();" + "var b=2;" * 40)


def _bundle(root, index=INDEX, main_js=MAIN_JS):
    (root / "static" / "js").mkdir(parents=True)
    (root / "static" / "media").mkdir()
    (root / "index.html").write_text(index)
    (root / "favicon.png").write_bytes(b"\x89PNG" + b"\0" * 300)
    (root / "static" / "js" / "index.H4sh.js").write_text(main_js)
    (root / "static" / "js" / "react-dom.Y2.js").write_text("x" * 1000)
    (root / "static" / "media" / "SourceSansVF-Upright.ttf.X1.woff2").write_bytes(b"w" * 500)
    return root


def test_drops_both_font_preloads_and_compresses(tmp_path):
    src, out = _bundle(tmp_path / "src"), tmp_path / "out"
    info = prepare(src, out)
    assert info["patches"]["source_sans_preload"].startswith("removed")
    assert info["patches"]["material_symbols_preload"].startswith("neutralised")
    html = (out / "index.html").read_text()
    assert "SourceSans" not in html and 'as="font"' not in html
    assert 'rel="shortcut icon"' in html and "index.H4sh.js" in html and "react-dom" in html
    js = (out / "static/js/index.H4sh.js").read_text()
    assert "document.fonts.load" not in js
    assert "function OA(){Promise.resolve().catch(" in js and js.endswith("var b=2;")
    assert gzip.decompress((out / "index.html.gz").read_bytes()).decode() == html
    assert brotli.decompress((out / "index.html.br").read_bytes()).decode() == html
    assert (out / "static/js/react-dom.Y2.js.gz").exists()
    assert not (out / "static/media/SourceSansVF-Upright.ttf.X1.woff2.gz").exists()
    assert (src / "index.html").read_text() == INDEX  # the package itself is untouched
    assert not list(src.rglob("*.gz"))


def test_unknown_bundle_is_copied_as_shipped_and_reported(tmp_path):
    index = INDEX.replace("SourceSansVF", "InterVF")
    main_js = MAIN_JS.replace("document.fonts.load", "loadFonts")
    src, out = _bundle(tmp_path / "src", index, main_js), tmp_path / "out"
    info = prepare(src, out)
    assert "not found" in info["patches"]["source_sans_preload"]
    assert "not found" in info["patches"]["material_symbols_preload"]
    assert info["patches"]["loading_text"] == "shown"
    # (the other steps still apply: here only the frontend's server address and its checks,
    # which come first, before the scripts)
    checks = "".join(f'<link rel="preload" href="{u}" as="fetch" crossorigin>\n    '
                     for u in ("/_stcore/health", "/_stcore/host-config"))
    loading = re.search(r'<div id="root">(<p role="status".*?</p>)</div>',
                        (out / "index.html").read_text()).group(1)
    from prepare_static import PREOPEN_WEBSOCKET_SCRIPT
    assert (out / "index.html").read_text().replace(
        "  " + PIN_BACKEND_SCRIPT + PREOPEN_WEBSOCKET_SCRIPT + "\n  ", "").replace(
            checks, "").replace(loading, "") == index
    assert (out / "static/js/index.H4sh.js").read_text() == main_js


def test_idempotent_check_and_prune(tmp_path, capsys):
    src, out = _bundle(tmp_path / "src"), tmp_path / "out"
    first = prepare(src, out)
    assert first["written"] == 5 and first["compressed"] == 6  # a .gz and a .br each
    again = prepare(src, out)
    assert (again["written"], again["compressed"], again["removed"]) == (0, 0, 0)
    assert main(["--source", str(src), "--out", str(out), "--check"]) == 0
    # a new streamlit: a file renamed, another changed
    (src / "static/js/react-dom.Y2.js").rename(src / "static/js/react-dom.Z3.js")
    (src / "favicon.png").write_bytes(b"\x89PNG" + b"\1" * 300)
    capsys.readouterr()
    assert main(["--source", str(src), "--out", str(out), "--check"]) == 1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["stale"] >= 3
    third = prepare(src, out)
    assert third["removed"] == 3  # react-dom.Y2.js, its .gz and its .br
    assert not (out / "static/js/react-dom.Y2.js").exists()
    assert (out / "static/js/react-dom.Z3.js.gz").exists()
    assert main(["--source", str(src), "--out", str(out), "--check"]) == 0


def test_never_writes_into_a_folder_it_did_not_make(tmp_path):
    src = _bundle(tmp_path / "src")
    foreign = tmp_path / "etc"
    foreign.mkdir()
    (foreign / "important.conf").write_text("keep me")
    with pytest.raises(SystemExit):
        prepare(src, foreign)
    assert [p.name for p in foreign.iterdir()] == ["important.conf"]
    with pytest.raises(SystemExit):
        prepare(src, src / "static")  # inside the package
    prepare(src, tmp_path / "out")
    assert (tmp_path / "out" / STAMP).exists()


CSS = ('body{margin:0}@font-face{font-family:Source Sans;font-weight:100 900;font-style:normal;'
       'src:url(../media/SourceSansVF-Upright.ttf.X1.woff2)format("woff2")}'
       '@font-face{font-family:Source Code;src:url(../media/SourceCode.woff2)format("woff2")}'
       + "p{color:red}" * 30)


def _with_css(root):
    (root / "static" / "css").mkdir(parents=True)
    (root / "static" / "css" / "index.C55.css").write_text(CSS)
    return root


def test_source_sans_is_taken_from_the_device_only_when_the_theme_uses_another_font(tmp_path):
    from prepare_static import plan, theme_uses_source_sans
    index = INDEX.replace("</head>", '<link rel="stylesheet" crossorigin href="./static/css/index.C55.css">\n</head>')
    src = _with_css(_bundle(tmp_path / "src", index=index))
    files, patches = plan(src, use_theme_font=True)
    assert patches["source_sans_font"].startswith("local only (1 faces)")
    css = files[next(p for p in files if p.name == "index.C55.css")].decode()
    assert "SourceSansVF" not in css and 'src:local("Source Sans 3")' in css
    assert "SourceCode.woff2" in css and css.endswith("p{color:red}")   # the rest untouched
    files, patches = plan(src, use_theme_font=False)
    assert patches["source_sans_font"].startswith("the theme draws text in Source Sans")
    assert not isinstance(files[next(p for p in files if p.name == "index.C55.css")], bytes)
    # the theme setting decides
    cfg = tmp_path / "config.toml"
    cfg.write_text('[theme]\nfont = "sans-serif"\n')
    assert theme_uses_source_sans(cfg)
    cfg.write_text('[theme]\nbase = "light"\n')
    assert theme_uses_source_sans(cfg)
    cfg.write_text('[theme]\nfont = "system-ui, Roboto, sans-serif"\n')
    assert not theme_uses_source_sans(cfg)
    cfg.write_text('[theme]\nfont = "system-ui, Roboto, sans-serif"\n[theme.sidebar]\nfont = "sans-serif"\n')
    assert theme_uses_source_sans(cfg)
    assert not theme_uses_source_sans()   # the app's own .streamlit/config.toml


WIDGETS = {  # made-up lazy chunks: Radio imports a helper and an already preloaded chunk
    "Radio.R1.js": 'import{t as e}from"./useField.U1.js";import"./react-dom.Y2.js";var r=1;',
    "useField.U1.js": 'import{o as e}from"./runtime.Q1.js";var u=2;',
    "runtime.Q1.js": "var q=3;",
    "TextArea.T1.js": 'import{t as e}from"./useField.U1.js";const l=()=>import("./Lazy.L1.js");',
    "Lazy.L1.js": "var lazy=4;",
    "Radio.old.js.map": "{}",
}


def _with_widgets(root):
    for name, text in WIDGETS.items():
        (root / "static" / "js" / name).write_text(text)
    return root


def test_index_is_vietnamese_finds_its_server_at_the_root_and_preloads_the_survey_widgets(
        tmp_path):
    from prepare_static import plan
    index = INDEX.replace("<html>", '<html lang="en">').replace(
        "<head>", "<head>\n    <title>Streamlit</title>")
    src = _with_widgets(_bundle(tmp_path / "src", index=index))
    files, patches = plan(src)
    html = files[next(p for p in files if p.name == "index.html")].decode()
    assert patches["document"] == "set lang and title"
    assert '<html lang="vi">' in html and "<title>Khảo sát QCDC Bắc Giang</title>" in html
    # "Đang tải…" in the root element until React draws the app
    assert patches["loading_text"] == "shown"
    assert re.search(r'<div id="root"><p role="status" style="[^"<>]*">Đang tải…</p></div>', html)
    assert patches["backend_base_url"] == "the site's root"
    assert 'window.__streamlit=Object.assign({BACKEND_BASE_URL:window.location.origin+"/"}' in html
    assert html.index("window.__streamlit") < html.index("</head>")
    # the frontend's two server checks travel with the scripts
    assert patches["server_checks_preload"] == "preloaded 2"
    for check in ("/_stcore/health", "/_stcore/host-config"):
        link = f'<link rel="preload" href="{check}" as="fetch" crossorigin>'
        assert link in html
        # first in the queue: over HTTP/1.1 the browser asks in the page's order
        assert html.index(link) < html.index('<script type="module"') < html.index("modulepreload")
    # the widgets and what they import, once each, after the page's own preloads; not what is
    # preloaded already, not what a chunk loads lazily (import("...")), not a widget that is
    # not in the bundle (Checkbox, Html)
    preloads = re.findall(r'rel="modulepreload" crossorigin href="\./static/js/([^"]+)"', html)
    assert preloads == ["react-dom.Y2.js", "Radio.R1.js", "TextArea.T1.js", "useField.U1.js",
                        "runtime.Q1.js"], preloads
    assert patches["survey_widgets_preload"] == "added 4 chunks (not found: Checkbox, Html)"
    assert "Lazy.L1.js" not in html


REACT_JS = ("e.forwardRef=function(e){return{$$typeof:c,render:e}},e.lazy=function(e){return{"
            "$$typeof:d,_payload:{_status:-1,_result:e},_init:N}},e.memo=function(){}")


def _lazy(name, chunk, deps="1,2"):
    return (f"{name}=(0,U.lazy)(()=>H(()=>import(`./{chunk}`),__vite__mapDeps([{deps}]),"
            "import.meta.url))")


def test_the_survey_widgets_are_made_ready_when_the_main_script_runs(tmp_path):
    """The main script's lazy components of the survey widgets are started at once (React
    then finds them resolved when it first draws one); the first question's widget is still
    preloaded with the page, the others are left to the main script."""
    from prepare_static import READY_LAZY, plan
    lazies = [_lazy("Ag", "Radio.R1.js"), _lazy("yg", "TextArea.T1.js", "3"),
              _lazy("Zz", "Slider.S1.js")]
    main_js = MAIN_JS + "var " + ",".join(lazies) + ";"
    src = _with_widgets(_bundle(tmp_path / "src", main_js=main_js))
    (src / "static" / "js" / "react.E1.js").write_text(REACT_JS)
    files, patches = plan(src)
    js = files[next(p for p in files if p.name == "index.H4sh.js")].decode()
    assert patches["survey_widgets_ready"] == (
        "2 of 4 started at once (not found once: Checkbox (0), Html (0))")
    for name, lazy in zip(("Ag", "yg"), lazies):
        assert name + "=" + READY_LAZY.format(lazy=lazy[len(name) + 1:]) in js
    assert _lazy("Zz", "Slider.S1.js") in js                  # other elements: as shipped
    assert "document.fonts.load" not in js                     # the other patch still applies
    html = files[next(p for p in files if p.name == "index.html")].decode()
    preloads = re.findall(r'rel="modulepreload" crossorigin href="\./static/js/([^"]+)"', html)
    # the radio buttons and what they import, not the text area (started by the main script)
    assert preloads == ["react-dom.Y2.js", "Radio.R1.js", "useField.U1.js", "runtime.Q1.js"]
    # React's lazy() not in its known shape: nothing is started, everything preloaded
    (src / "static" / "js" / "react.E1.js").write_text(REACT_JS.replace("_init:", "_load:"))
    files, patches = plan(src)
    assert patches["survey_widgets_ready"].startswith("React.lazy found 0 times")
    assert "_init(l._payload)" not in files[
        next(p for p in files if p.name == "index.H4sh.js")].decode()
    html = files[next(p for p in files if p.name == "index.html")].decode()
    assert "TextArea.T1.js" in html


def test_the_widgets_started_by_the_main_script_are_compressed_as_first_load_files(
        tmp_path, monkeypatch):
    import prepare_static
    main_js = MAIN_JS + "var " + _lazy("yg", "TextArea.T1.js", "3") + ";"
    src = _with_widgets(_bundle(tmp_path / "src", main_js=main_js))
    (src / "static" / "js" / "react.E1.js").write_text(REACT_JS)
    textarea = src / "static" / "js" / "TextArea.T1.js"
    textarea.write_text(textarea.read_text() + "var pad=1;" * 40)   # big enough to compress
    other = src / "static" / "js" / "Slider.S1.js"
    other.write_text("var slider=1;" * 40)
    first_load: dict[bytes, bool] = {}

    def compress(data: bytes, first: bool) -> bytes:
        first_load[data] = first
        return gzip.compress(data)

    monkeypatch.setattr(prepare_static, "encoders", lambda: {".gz": (compress, gzip.decompress)})
    prepare(src, tmp_path / "out")
    assert "TextArea.T1.js" not in (tmp_path / "out" / "index.html").read_text()
    assert first_load[textarea.read_bytes()] is True
    assert first_load[(src / "static" / "js" / "react-dom.Y2.js").read_bytes()] is True
    assert first_load[other.read_bytes()] is False   # not on the survey's first visit


def test_the_ready_widgets_run_in_a_javascript_engine(tmp_path):
    """The rewritten lazy component is valid JavaScript that starts React's initializer once
    and returns the same object (checked with node when it is installed)."""
    import shutil
    import subprocess

    from prepare_static import READY_LAZY
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    script = ("let calls=0;const lazy={_payload:{_status:-1},_init(p){calls++;p._status=0;"
              "throw Promise.resolve()}};const got=" + READY_LAZY.format(lazy="lazy") +
              ";if(got!==lazy||calls!==1||lazy._payload._status!==0)process.exit(1);"
              "const other=" + READY_LAZY.format(lazy="{}") + ";console.log('ok')")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out


def test_the_loading_text_is_escaped_and_needs_the_empty_root_element():
    from prepare_static import loading_screen
    html, status = loading_screen(INDEX, "<Đang tải>")
    assert status == "shown" and "&lt;Đang tải&gt;</p></div>" in html
    busy = INDEX.replace('<div id="root"></div>', '<div id="root">x</div>')
    assert loading_screen(busy, "Đang tải…") == (
        busy, "empty root element found 0 times, expected once: left as shipped")


def test_index_that_already_configures_the_frontend_is_left_alone(tmp_path):
    from prepare_static import pin_backend, preload_server_checks, preload_survey_widgets
    html = INDEX.replace("</head>", "<script>window.__streamlit={HOST_CONFIG:{}}</script></head>")
    assert pin_backend(html) == (html, "index.html already configures window.__streamlit: "
                                       "left as shipped")
    assert preload_server_checks(html)[0] == html   # not pinned here: nothing preloaded
    src = _bundle(tmp_path / "src")  # no widget chunks at all
    assert preload_survey_widgets(INDEX, src / "static" / "js") == (
        INDEX, "no survey widget chunk found, index.html left as shipped")


def test_a_damaged_brotli_copy_is_seen_as_stale_and_rewritten(tmp_path):
    src, out = _bundle(tmp_path / "src"), tmp_path / "out"
    prepare(src, out)
    (out / "static/js/react-dom.Y2.js.br").write_bytes(b"not brotli")
    assert prepare(src, out, check=True)["stale"] == 1
    again = prepare(src, out)
    assert again["compressed"] == 1
    assert brotli.decompress((out / "static/js/react-dom.Y2.js.br").read_bytes()) == b"x" * 1000


def test_english_streamlit_offers_no_parameter_for_is_translated_where_found(tmp_path):
    from prepare_static import TRANSLATIONS
    src = _bundle(tmp_path / "src")
    js = src / "static" / "js"
    (js / "InputInstructions.Ab1.js").write_text(
        "let e=a?`submit form`:`apply`;f(`Press ${r()?`⌘`:`Ctrl`}+Enter to ${e}`);"
        "f(`Press Enter to ${e}`)" + ";" * 300)
    (js / "FileUploader.Cd2.js").write_text(
        "[`${T(t,D.Byte,0)} per file`];r(B,{children:l?`Drag and drop directories here`:t?"
        "`Drag and drop files here`:`Drag and drop a file here`});`Upload`;`Upload directories`;"
        "`Add files`" + ";" * 300)
    # a chunk where a literal is not where it was: left as shipped, and said so
    (js / "Selectbox.Ef3.js").write_text("`No results`;`No results`;`Clear value`" + ";" * 300)
    info = prepare(src, tmp_path / "out")
    status = info["patches"]["translations"]
    out = tmp_path / "out" / "static" / "js"
    instr = (out / "InputInstructions.Ab1.js").read_text()
    assert "`Nhấn ${r()?`⌘`:`Ctrl`}+Enter để ${e}`" in instr and "`gửi biểu mẫu`" in instr
    assert "Press" not in instr and "submit" not in instr
    upload = (out / "FileUploader.Cd2.js").read_text()
    assert "} mỗi tệp`" in upload and "`Tải lên`" in upload and "`Kéo thả tệp vào đây`" in upload
    assert "Upload`" not in upload and "Drag" not in upload
    sel = (out / "Selectbox.Ef3.js").read_text()
    assert sel.count("`No results`") == 2 and "`Xóa lựa chọn`" in sel
    assert any(m.startswith("Selectbox: `No results` (found 2, expected 1)")
               for m in status["not_found"])
    assert status["of"] == len(TRANSLATIONS) and status["translated"] == 13
    assert (src / "static/js/FileUploader.Cd2.js").read_text().count("Upload") == 2  # untouched


def test_every_translation_is_found_in_the_installed_streamlit(tmp_path):
    """After a Streamlit upgrade this names the literals to look for again."""
    from prepare_static import streamlit_static_dir
    info = prepare(streamlit_static_dir(), tmp_path / "out")
    assert info["patches"]["translations"]["not_found"] == []


def test_the_survey_websocket_is_opened_early_only_with_the_frontend_pinned_at_the_root():
    from prepare_static import PREOPEN_WEBSOCKET_SCRIPT, pin_backend, preopen_websocket
    pinned, _ = pin_backend(INDEX)
    html, status = preopen_websocket(pinned)
    assert status == "opened early on /survey"
    # right after the pin, before the page's module script runs
    assert html.index(PIN_BACKEND_SCRIPT) < html.index(PREOPEN_WEBSOCKET_SCRIPT) < html.index(
        "</head>")
    assert preopen_websocket(INDEX) == (
        INDEX, "the frontend's server is not pinned at the root: not opened early")


# The early websocket's script in node, with a made-up WebSocket, cookie and resource timing.
EARLY_WEBSOCKET_CHECK = r"""
const sleep = ms => new Promise(r => setTimeout(r, ms));
class FakeWS extends EventTarget {
  constructor(url, protocols) { super(); this.url = url; this.protocols = protocols;
    this.readyState = 0; FakeWS.made.push(this); }
  close() { this.readyState = 3; this.closed = true; }
}
FakeWS.made = []; FakeWS.OPEN = 1;
globalThis.window = globalThis;
window.WebSocket = FakeWS;
globalThis.location = {pathname: process.argv[2], protocol: "http:", host: "h:81",
                       origin: "http://h:81", href: "http://h:81/survey?xa=1"};
globalThis.document = {cookie: "_streamlit_xsrf=2|old|x|1"};   // left by an earlier visit
let entries = [];
globalThis.performance = {getEntriesByType: () => entries};
const out = {};
(async () => {
  eval(process.argv[1]);
  await sleep(60);
  out.before_check = FakeWS.made.length;            // the old cookie is not used
  document.cookie = "_streamlit_xsrf=2|ab|cd|9; other=1";
  entries = [{name: "http://h:81/_stcore/health"}];
  await sleep(60);
  out.early = FakeWS.made.map(s => [s.url, s.protocols]);
  const pre = FakeWS.made[0];
  if (pre) pre.readyState = 1;                       // opened before the frontend asks
  // the frontend's own socket, as Streamlit builds it (host:port in the address)
  const got = new window.WebSocket("ws://h:81/_stcore/stream", ["streamlit", "2|ab|cd|9"]);
  let opened = 0;
  got.addEventListener("open", () => opened++);
  await sleep(20);
  out.same = got === pre; out.opened = opened; out.constant = window.WebSocket.OPEN;
  // a reconnect (with its session id) gets a socket of its own
  const again = new window.WebSocket("ws://h:81/_stcore/stream", ["streamlit", "2|ab|cd|9", "s1"]);
  out.reconnect_new = again !== pre && FakeWS.made.length === 2;
  console.log(JSON.stringify(out));
  process.exit(0);   // the early socket's 30 s timer
})();
"""
EARLY_WEBSOCKET_MISMATCH = r"""
const sleep = ms => new Promise(r => setTimeout(r, ms));
class FakeWS extends EventTarget {
  constructor(url, protocols) { super(); this.protocols = protocols; this.readyState = 0;
    FakeWS.made.push(this); }
  close() { this.readyState = 3; this.closed = true; }
}
FakeWS.made = [];
globalThis.window = globalThis;
window.WebSocket = FakeWS;
globalThis.location = {pathname: "/survey", protocol: "https:", host: "h", origin: "https://h",
                       href: "https://h/survey"};
globalThis.document = {cookie: "_streamlit_xsrf=2|ab|cd|9"};
globalThis.performance = {getEntriesByType: () => [{name: "https://h/_stcore/health"}]};
(async () => {
  eval(process.argv[1]);
  await sleep(30);
  const pre = FakeWS.made[0];
  // another token than the early socket's (e.g. a host's auth token): not handed over
  const got = new window.WebSocket("wss://h:/_stcore/stream", ["streamlit", "other"]);
  console.log(JSON.stringify({early: FakeWS.made.length >= 1, closed: !!(pre && pre.closed),
                              fresh: got !== pre, protocols: got.protocols}));
  process.exit(0);
})();
"""


def _node_or_skip():
    import shutil
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    return node


def test_the_early_websocket_is_handed_to_the_frontend_once(tmp_path):
    """The early socket waits for the page's own health check (which sets the XSRF cookie the
    frontend sends), is handed to the frontend's first `new WebSocket` of the same address and
    protocols with its "open" told again, and every other socket is the browser's own."""
    import subprocess

    from prepare_static import PREOPEN_WEBSOCKET_SCRIPT
    node = _node_or_skip()
    script = PREOPEN_WEBSOCKET_SCRIPT.removeprefix("<script>").removesuffix("</script>")
    run = subprocess.run([node, "-e", EARLY_WEBSOCKET_CHECK, script, "/survey"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "before_check": 0, "early": [["ws://h:81/_stcore/stream", ["streamlit", "2|ab|cd|9"]]],
        "same": True, "opened": 1, "constant": 1, "reconnect_new": True}
    # other pages: nothing opened, the browser's WebSocket untouched
    run = subprocess.run([node, "-e", EARLY_WEBSOCKET_CHECK, script, "/dang-nhap"],
                         capture_output=True, text=True, timeout=30)
    got = json.loads(run.stdout)
    assert got["before_check"] == 0 and got["early"] == [] and got["same"] is False
    run = subprocess.run([node, "-e", EARLY_WEBSOCKET_MISMATCH, script],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"early": True, "closed": True, "fresh": True,
                                      "protocols": ["streamlit", "other"]}
