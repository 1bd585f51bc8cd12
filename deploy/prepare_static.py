#!/usr/bin/env python
"""Write a lightened, precompressed copy of Streamlit's static bundle for nginx to serve.

nginx (deploy/nginx/qcdc.conf.template) serves the page HTML, the favicon and ``/static/``
from this copy instead of asking an app process. The copy differs from the installed
streamlit package in two places, both aimed at a citizen's first visit on mobile data:

1. ``index.html`` without the ``<link rel="preload" as="font">`` of Source Sans (about
   170 KB): the preload no longer competes with the page's scripts at the start of a slow
   connection.
2. The main script (the ``<script type="module">`` of index.html) without its eager
   ``document.fonts.load(`1em "${...materialIcons}"`)``, which downloads the Material Symbols
   font (about 370 KB) on every page, icons or not. The call becomes ``Promise.resolve()``;
   an icon shown on a page still gets the font through the CSS @font-face, on demand.
3. Only when the app's theme draws text in another font (``.streamlit/config.toml``
   ``[theme] font``: the phone's own font, ``system-ui, ...``): the Source Sans @font-face of
   the main stylesheet points to the device's copy (``local()``) instead of the 170 KB
   download. Streamlit draws its first screen (before the app's theme arrives) in Source
   Sans, which alone fetched the font on every first visit; that screen now uses the system
   font too. With the default theme font the stylesheet is left as shipped.

4. ``index.html`` also saves the first visit time (each step measured with
   bench/page_weight.py at "Fast 3G"):
   - ``<link rel="modulepreload">`` for the widgets of the survey form: Streamlit fetches them
     only once the form's first message has arrived, a second wave of requests after the
     websocket. The first question's (st.radio and what it imports) comes with the page's
     scripts;
   - the main script starts the survey widgets' lazy components (radio buttons, check boxes,
     the text area, st.html) as soon as it runs instead of when the form first draws one:
     React otherwise draws a placeholder, then the widget once its import has resolved, and
     holds that second drawing until 500 ms after its last placeholder (React 18's
     throttle), so the first question showed about 0.4 s after the form's last message. The
     other widgets' chunks (about 25 KB) are thereby fetched when the main script runs,
     while the frontend checks its server and opens its websocket, no longer competing
     with the scripts every page waits for;
   - ``window.__streamlit.BACKEND_BASE_URL`` = the site's root: Streamlit's frontend otherwise
     first looks for its server under the page's address (``/survey/_stcore/health``), fails,
     and only then tries the root, one wasted round trip on every page (the copy is only
     served at the site's root, see deploy/nginx/qcdc.conf.template);
   - ``lang="vi"`` (phones no longer offer to translate the page "from English") and the
     app's tab title while the page loads, instead of "Streamlit";
   - "Đang tải…" (``app.loading``) in the page's root element, which React replaces when it
     draws the app: on mobile data the scripts take seconds (about 3 s at "Fast 3G"), and the
     page was blank until they had all arrived;
   - ``<link rel="preload" as="fetch">`` of the two server checks the frontend makes before it
     opens its websocket (``/_stcore/health`` and ``/_stcore/host-config``, at the root where
     the frontend now looks): they used to start only once every script had arrived and run,
     one more round trip before the form; preloaded, they travel with the scripts and the
     frontend's own requests take the answers.
     They come first in ``<head>``, before the scripts: over HTTP/1.1 the browser sends
     requests of the same priority in the page's order on six connections, and behind the
     79 scripts the checks arrived last, the websocket waiting for them (0.5-0.7 s at
     "Fast 3G").

   - on ``/survey``, the websocket opened by the page itself as soon as the preloaded health
     check has set the server's XSRF cookie (``PREOPEN_WEBSOCKET_SCRIPT``), and handed to the
     frontend when its own ``new WebSocket`` asks for the same address and protocols: its
     handshake (one round trip, 0.15-0.2 s at "Fast 3G") happens while the scripts download
     instead of after they have run. Any other socket (a reconnect, another token) is the
     browser's own, as before.

5. The English that Streamlit shows and offers no parameter for, in Vietnamese (``TRANSLATIONS``):
   "Press Ctrl+Enter to submit form", the file uploader's "Upload" and "10MB per file", "Drag
   and drop files here", the drop-down lists' "Select all", "No results", "Choose an option",
   the table toolbar's buttons; and numbers shown with ``format="localized"`` in tables and
   metrics written the Vietnamese way (1.234,5) whatever the browser's language
   (``Intl.NumberFormat`` is given "vi-VN"). Each literal is replaced only where it occurs the
   expected number of times in its chunk; any other count leaves it in English and is listed
   under ``"translations"`` in the summary. What stays English is listed in
   tests/browser/test_english_browser.py (``ALLOWED``), with the reason.

6. The page's main script and the chunks it imports statically (59 files in Streamlit 1.67,
   403 KB with brotli) bundled into one file with esbuild (deploy/bundle_first_load.py): at
   "Fast 3G" every request loses throughput, and the first radio button of the survey came
   0.4-0.5 s later with the separate files. The lazily loaded chunks stay as they are, their
   imports pointed at the bundle; the bundled chunks' own files re-export from it. Without
   esbuild (``npm ci --prefix deploy/esbuild``) the files stay separate, as the summary says
   (``"first_load_bundle"``).

All are found by their content (the minified names change between versions). A pattern that
is not found exactly once leaves the file as shipped and is reported in the summary
(``"patches"``): the bundle is never broken, only heavier. Then every compressible file gets a
``.gz`` beside it (nginx ``gzip_static``) and, when the ``brotli`` package is installed, a
``.br`` (nginx ``brotli_static``, about a fifth smaller than gzip on Streamlit's scripts).

    python deploy/prepare_static.py                         # into /opt/qcdc/static
    python deploy/prepare_static.py --out /tmp/qcdc-static  # elsewhere (tests, benchmarks)
    python deploy/prepare_static.py --check                 # exit 1 if the copy is stale

Run it after every ``pip install`` of streamlit (a new version has new file names; the
old frontend must not talk to a new server). Idempotent: unchanged files are not rewritten;
files that are no longer in the bundle are removed. The folder is only ever written if it is
empty or was made by this script (it holds ``.qcdc-static.json``). Prints one JSON line.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
from pathlib import Path

DEFAULT_OUT = Path("/opt/qcdc/static")  # also the default of deploy/render_nginx.py --static
STAMP = ".qcdc-static.json"
SUFFIXES = {".js", ".css", ".html", ".json", ".svg", ".map", ".txt", ".ttf", ".otf", ".wasm",
            ".mjs", ".xml", ".ico"}
MIN_GZIP_SIZE = 256

# index.html: the main script, and <link> tags (the preload spans several lines)
MAIN_SCRIPT_RE = re.compile(
    r'<script\b[^>]*\btype="module"[^>]*\bsrc="\.?/?(static/js/[^"]+\.js)"', re.S)
LINK_RE = re.compile(r'[ \t]*<link\b[^>]*>[ \t]*\r?\n?', re.S)
# the main script's start-up call that fetches the icon font: document.fonts.load(`1em "${X.materialIcons}"`)
ICON_FONT_LOAD_RE = re.compile(
    r'document\.fonts\.load\(\s*`1em\s+"\$\{[\w$.]*\bmaterialIcons\}"`\s*\)')
ICON_FONT_LOAD_NOOP = "Promise.resolve()"
MAIN_CSS_RE = re.compile(
    r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="\.?/?(static/css/index\.[^"]+\.css)"', re.S)
SOURCE_SANS_FACE_RE = re.compile(r'@font-face\{font-family:\s*"?Source Sans"?;[^}]*\}')
FACE_SRC_RE = re.compile(r'src:[^;}]*')
SOURCE_SANS_LOCAL = 'src:local("Source Sans 3"),local("Source Sans Pro")'
APP_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(APP_ROOT))
sys.path.insert(0, str(APP_ROOT / "deploy"))
from app.core.static_bundle import chunk_named, import_closure  # noqa: E402 (the app's helpers)

APP_CONFIG = APP_ROOT / ".streamlit" / "config.toml"
# index.html: the page language and title, the end of <head>, module preloads
HTML_LANG_RE = re.compile(r'<html\b([^>]*?)\blang="[^"]*"')
TITLE_RE = re.compile(r'<title>[^<]*</title>')
HEAD_END_RE = re.compile(r'</head>')
ROOT_DIV_RE = re.compile(r'<div id="root"></div>')
LOADING_STYLE = "margin:40vh 0 0;text-align:center;font:16px system-ui,sans-serif;color:#666"
MODULEPRELOAD_RE = re.compile(
    r'<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\.?/?(static/js/[^"]+\.js)"[^>]*>[ \t]*\r?\n?')
# a chunk's static imports: import{..}from"./X.js" / import"./X.js" (not import("./X.js"))
# The lazily loaded chunks of the survey form's widgets, by the name before the content hash
# (Streamlit's frontend components: st.radio, st.checkbox, st.text_area, st.html).
SURVEY_WIDGET_CHUNKS = ("Radio", "Checkbox", "TextArea", "Html")
FIRST_QUESTION_CHUNKS = ("Radio",)   # preloaded in <head> even when made ready at start-up
# The main script's lazy component of a chunk: X=(0,R.lazy)(()=>H(()=>import(`./Radio.h.js`),
# __vite__mapDeps([..]),import.meta.url)) (H: the bundler's preload helper)
LAZY_CHUNK_RE = (r'(?P<name>[\w$]+)=(?P<lazy>\(0,[\w$]+\.lazy\)\(\(\)=>[\w$]+\(\(\)=>'
                 r'import\(`\./{chunk}\.[\w-]+\.js`\),__vite__mapDeps\(\[[\d,]*\]\),'
                 r'import\.meta\.url\)\))')
# React's lazy(): {$$typeof, _payload: {_status: -1, _result: factory}, _init} (React 16-19)
REACT_LAZY_RE = re.compile(
    r'\.lazy=function\((\w)\)\{return\{\$\$typeof:[\w$]+,_payload:\{_status:-1,_result:\1\},'
    r'_init:[\w$]+\}\}')
# Starts a lazy component's import at once; React then finds it resolved when it first draws it.
READY_LAZY = "(l=>{{try{{l._init(l._payload)}}catch(e){{}}return l}})({lazy})"

# Where the frontend finds its server: the page's own origin (the copy is served at the root).
SERVER_CHECKS = ("/_stcore/health", "/_stcore/host-config")
PIN_BACKEND_SCRIPT = ('<script>window.__streamlit=Object.assign('
                      '{BACKEND_BASE_URL:window.location.origin+"/"},window.__streamlit)</script>')


# (chunk name before its hash, exact text in the minified chunk, replacement, times expected)
TRANSLATIONS: list[tuple[str, str, str, int]] = [
    ("InputInstructions", "`submit form`", "`gửi biểu mẫu`", 1),
    ("InputInstructions", "`apply`", "`áp dụng`", 1),
    ("InputInstructions", "`Press ${", "`Nhấn ${", 1),
    ("InputInstructions", "+Enter to ${e}`", "+Enter để ${e}`", 1),
    ("InputInstructions", "`Press Enter to ${e}`", "`Nhấn Enter để ${e}`", 1),
    ("FileUploader", "`Drag and drop files here`", "`Kéo thả tệp vào đây`", 1),
    ("FileUploader", "`Drag and drop a file here`", "`Kéo thả một tệp vào đây`", 1),
    ("FileUploader", "`Drag and drop directories here`", "`Kéo thả thư mục vào đây`", 1),
    ("FileUploader", "`Upload`", "`Tải lên`", 1),
    ("FileUploader", "`Upload directories`", "`Tải thư mục lên`", 1),
    ("FileUploader", "`Add files`", "`Thêm tệp`", 1),
    ("FileUploader", " per file`", " mỗi tệp`", 1),
    ("Multiselect", "`Select all`", "`Chọn tất cả`", 1),
    ("Multiselect", "`Clear all`", "`Bỏ chọn tất cả`", 1),
    ("Multiselect", "`No results`", "`Không có kết quả`", 2),
    ("Selectbox", "`No results`", "`Không có kết quả`", 1),
    ("Selectbox", "`Clear value`", "`Xóa lựa chọn`", 1),
    ("utils", "`Choose an option`", "`Chọn…`", 1),
    ("utils", "`Choose options`", "`Chọn…`", 1),
    ("utils", "`No options to select`", "`Không có lựa chọn`", 1),
    ("utils", "`Add an option`", "`Thêm lựa chọn`", 1),
    ("utils", "`Add options`", "`Thêm lựa chọn`", 1),
    ("utils", "`Choose or add an option`", "`Chọn hoặc thêm`", 1),
    ("utils", "`Choose or add options`", "`Chọn hoặc thêm`", 1),
    ("DateInput", "`Select...`", "`Chọn…`", 1),
    ("DateInput", "`Clear date`", "`Xóa ngày`", 1),
    ("DateInput", "`Clear dates`", "`Xóa ngày`", 1),
    ("DataFrame", "placeholder:`Select...`", "placeholder:`Chọn…`", 1),
    ("DataFrame", "label:`Select all`", "label:`Chọn tất cả`", 1),
    ("DataFrame", "label:`Add row`", "label:`Thêm dòng`", 1),
    ("DataFrame", "label:`Delete row(s)`", "label:`Xóa các dòng đã chọn`", 1),
    ("DataFrame", "label:`Download as CSV`", "label:`Tải về (CSV)`", 1),
    ("DataFrame", "label:`Search`", "label:`Tìm`", 1),
    ("DataFrame", "label:`Clear selection`", "label:`Bỏ chọn`", 1),
    ("DataFrame", "label:`Show/hide columns`", "label:`Ẩn/hiện cột`", 1),
    ("Toolbar", "`Fullscreen`", "`Toàn màn hình`", 2),
    ("Toolbar", "`Close fullscreen`", "`Thoát toàn màn hình`", 1),
    ("formatNumber", "let n=navigator.languages", 'let n=["vi-VN"]', 1),
    ("index", "title:e?`Stopping...`:`Stop`", "title:e?`Đang dừng…`:`Dừng`", 1),
]


def translate_chunks(files: dict, source: Path) -> dict:
    """Apply TRANSLATIONS to the JS chunks of `files` (in place); returns the status:
    how many literals were translated and which were not found as expected."""
    js_dir = Path("static") / "js"
    texts: dict[Path, str] = {}
    done, missing = 0, []
    for chunk, old, new, expected in TRANSLATIONS:
        rels = [rel for rel in files if rel.parent == js_dir
                and re.fullmatch(rf"{re.escape(chunk)}\.[\w-]+\.js", rel.name)]
        for rel in rels:
            if rel not in texts:
                item = files[rel]
                texts[rel] = (item.decode("utf-8") if isinstance(item, bytes)
                              else (source / rel).read_text(encoding="utf-8"))
        hits = {rel: texts[rel].count(old) for rel in rels}
        if sum(hits.values()) != expected or len([h for h in hits.values() if h]) != 1:
            missing.append(f"{chunk}: {old} (found {sum(hits.values())}, expected {expected})")
            continue
        rel = next(r for r, h in hits.items() if h)
        texts[rel] = texts[rel].replace(old, new)
        done += 1
    for rel, text in texts.items():
        original = files[rel]
        original = original if isinstance(original, bytes) else (source / rel).read_bytes()
        if text.encode("utf-8") != original:
            files[rel] = text.encode("utf-8")
    return {"translated": done, "of": len(TRANSLATIONS), "not_found": missing}


def theme_uses_source_sans(config: Path = APP_CONFIG) -> bool:
    """True unless the app's theme font names another font first (Streamlit's default font,
    "sans-serif", is Source Sans)."""
    import tomllib
    try:
        theme = tomllib.loads(config.read_text(encoding="utf-8")).get("theme", {})
    except (OSError, ValueError):
        return True
    fonts = [str(theme.get(k) or "") for k in ("font", "headingFont")]
    sidebar = theme.get("sidebar") or {}
    fonts += [str(sidebar.get(k) or "") for k in ("font", "headingFont")]
    for font in fonts:
        first = font.split(",")[0].strip().strip('"\'').lower()
        if first in ("sans-serif", "sans serif", "source sans", "source sans 3"):
            return True
    return not fonts[0]


def streamlit_static_dir() -> Path:
    import streamlit
    return Path(streamlit.__file__).resolve().parent / "static"


def streamlit_version() -> str:
    import streamlit
    return str(streamlit.__version__)


def _is_source_sans_preload(tag: str) -> bool:
    return (re.search(r'\brel="preload"', tag) is not None
            and re.search(r'\bas="font"', tag) is not None
            and re.search(r'\bhref="[^"]*SourceSans[^"]*"', tag) is not None)


def lighten_index(html: str) -> tuple[str, str]:
    """index.html without the Source Sans font preload; (text, status)."""
    hits = [m for m in LINK_RE.finditer(html) if _is_source_sans_preload(m.group(0))]
    if not hits:
        return html, "not found, index.html left as shipped"
    for m in reversed(hits):
        html = html[:m.start()] + html[m.end():]
    return html, f"removed ({len(hits)} link)"


def app_text(key: str) -> str:
    """One of the app's interface strings (app/core/i18n.py)."""
    from app.core.i18n import t
    return t(key)


def app_tab_title() -> str:
    """The browser tab's title the app sets (app/core/i18n.py), shown while the page loads."""
    return app_text("app.tab_title")


def loading_screen(html: str, text: str) -> tuple[str, str]:
    """index.html showing `text` in the root element until React draws the app (React
    replaces the element's content); (text, status)."""
    import html as html_lib
    hits = list(ROOT_DIV_RE.finditer(html))
    if len(hits) != 1:
        return html, f"empty root element found {len(hits)} times, expected once: left as shipped"
    m = hits[0]
    inner = f'<p role="status" style="{LOADING_STYLE}">{html_lib.escape(text)}</p>'
    return html[:m.start()] + f'<div id="root">{inner}</div>' + html[m.end():], "shown"


def localise_index(html: str, title: str) -> tuple[str, str]:
    """index.html in Vietnamese: lang="vi" and the app's tab title; (text, status)."""
    import html as html_lib
    html, langs = HTML_LANG_RE.subn(r'<html\1lang="vi"', html, count=1)
    html, titles = TITLE_RE.subn(lambda m: f"<title>{html_lib.escape(title)}</title>", html,
                                 count=1)
    done = [name for name, n in (("lang", langs), ("title", titles)) if n]
    return html, ("set " + " and ".join(done)) if done else "not found, index.html left as shipped"


def pin_backend(html: str) -> tuple[str, str]:
    """index.html telling the frontend its server is at the site's root; (text, status)."""
    if "__streamlit" in html:
        return html, "index.html already configures window.__streamlit: left as shipped"
    hits = list(HEAD_END_RE.finditer(html))
    if len(hits) != 1:
        return html, "no single </head>, index.html left as shipped"
    at = hits[0].start()
    return html[:at] + "  " + PIN_BACKEND_SCRIPT + "\n  " + html[at:], "the site's root"


# Opens the survey's websocket as soon as the preloaded health check has set the server's XSRF
# cookie (a cookie left by an earlier visit is replaced by it; after 3 s without it nothing is
# opened early) and hands it to the frontend when its own `new WebSocket` asks for the
# same address and protocols; anything else (another address or token, a message already
# received, a closed socket) gets a socket of its own, as without this script. The frontend's
# listeners come after the socket opened: it is told "open" again once they are attached.
PREOPEN_WEBSOCKET_SCRIPT = (
    '<script>(()=>{const W=window.WebSocket;if(!W||location.pathname!=="/survey")return;'
    'const url=(location.protocol==="https:"?"wss://":"ws://")+location.host+"/_stcore/stream";'
    'const norm=u=>{try{return new URL(u,location.href).href}catch(e){return""}};'
    'let pre=null,token=null,heard=false,tries=0;'
    'const drop=()=>{if(pre){try{pre.close()}catch(e){}pre=null}};'
    'const xsrf=()=>{const m=document.cookie.match(/\\b_streamlit_xsrf=([^;]*)\\b/);'
    'return m?m[1]:null};const checked=()=>performance.getEntriesByType("resource")'
    '.some(e=>e.name===location.origin+"/_stcore/health");'
    'const start=()=>{const t=checked()?xsrf():null;if(t===null){if(++tries<150)setTimeout(start,20);'
    'return}token=t;pre=new W(url,["streamlit",token]);pre.binaryType="arraybuffer";'
    'pre.addEventListener("message",()=>{heard=true});setTimeout(drop,30000)};'
    'function Q(u,p){if(pre&&norm(u)===norm(url)){'
    'if(Array.isArray(p)&&p.length===2&&p[0]==="streamlit"&&p[1]===token&&pre.readyState<2&&!heard){'
    'const s=pre,open=s.readyState===1;pre=null;'
    'if(open)setTimeout(()=>s.dispatchEvent(new Event("open")),0);return s}drop()}'
    'return p===undefined?new W(u):new W(u,p)}'
    'Q.prototype=W.prototype;for(const k of["CONNECTING","OPEN","CLOSING","CLOSED"])Q[k]=W[k];'
    'window.WebSocket=Q;start()})()</script>')


def preopen_websocket(html: str) -> tuple[str, str]:
    """index.html opening the survey's websocket while the scripts download (one round trip
    less once they have run); (text, status). Only with the frontend pointed at the site's
    root (``pin_backend``), whose websocket address the script knows."""
    if PIN_BACKEND_SCRIPT not in html:
        return html, "the frontend's server is not pinned at the root: not opened early"
    at = html.index(PIN_BACKEND_SCRIPT) + len(PIN_BACKEND_SCRIPT)
    return html[:at] + PREOPEN_WEBSOCKET_SCRIPT + html[at:], "opened early on /survey"


def preload_server_checks(html: str) -> tuple[str, str]:
    """index.html fetching the frontend's server checks with the page; (text, status). Only
    with the frontend pointed at the site's root (``pin_backend``), where they are asked for."""
    if PIN_BACKEND_SCRIPT not in html:
        return html, "the frontend's server is not pinned at the root: not preloaded"
    main = MAIN_SCRIPT_RE.search(html)
    hits = list(HEAD_END_RE.finditer(html))
    if len(hits) != 1:
        return html, "no single </head>, index.html left as shipped"
    if main is None or main.start() > hits[0].start():  # first in the queue: before the scripts
        return html, "no main script in <head>, index.html left as shipped"
    at = main.start()
    links = "".join(f'<link rel="preload" href="{u}" as="fetch" crossorigin>\n    '
                    for u in SERVER_CHECKS)
    return html[:at] + links + html[at:], f"preloaded {len(SERVER_CHECKS)}"


def preload_survey_widgets(html: str, js_dir: Path,
                           ready: tuple[str, ...] = ()) -> tuple[str, str]:
    """index.html with modulepreload links for the survey widgets' chunks and everything they
    import that the page does not preload already; (text, status). The widgets in `ready`
    (made ready by the main script at start-up, ``ready_survey_widgets``) are left to it,
    except the first question's (``FIRST_QUESTION_CHUNKS``)."""
    preloads = list(MODULEPRELOAD_RE.finditer(html))
    if not preloads:
        return html, "no modulepreload in index.html, left as shipped"
    have = {Path(m.group(1)).name for m in preloads}
    main = MAIN_SCRIPT_RE.search(html)
    if main:
        have.add(Path(main.group(1)).name)
    roots, missing = [], []
    for widget in SURVEY_WIDGET_CHUNKS:
        name = chunk_named(js_dir, widget)
        if name is None:
            missing.append(widget)
        elif widget in FIRST_QUESTION_CHUNKS or widget not in ready:
            roots.append(name)
    if not roots and missing:
        return html, "no survey widget chunk found, index.html left as shipped"
    wanted = import_closure(js_dir, roots, have)
    at = preloads[-1].end()
    links = "".join(f'    <link rel="modulepreload" crossorigin href="./static/js/{n}">\n'
                    for n in wanted)
    status = f"added {len(wanted)} chunks"
    if missing:
        status += f" (not found: {', '.join(missing)})"
    return html[:at] + links + html[at:], status


def ready_survey_widgets(js: str, js_dir: Path) -> tuple[str, tuple[str, ...], str]:
    """The main script with the survey widgets' lazy components started at once; (text, the
    widgets made ready, status).

    Streamlit draws each element type with React.lazy: the first time one is drawn, React
    shows a placeholder and draws the element once its import has resolved, even when the
    chunk is already loaded (an import() always resolves later), and React 18 holds that
    second drawing until 500 ms after the last placeholder it showed. Started when the main
    script runs, the lazy components are resolved before the form's first message arrives,
    and the form is drawn as its messages come. Only with React's lazy() in its known shape
    (checked in the bundle); a widget whose lazy component is not found once is left as is."""
    shapes = sum(len(REACT_LAZY_RE.findall(p.read_text(encoding="utf-8", errors="replace")))
                 for p in sorted(js_dir.glob("*.js")))
    if shapes != 1:
        return js, (), f"React.lazy found {shapes} times in its known shape, expected once: left as shipped"
    ready, missing = [], []
    for widget in SURVEY_WIDGET_CHUNKS:
        hits = list(re.finditer(LAZY_CHUNK_RE.format(chunk=re.escape(widget)), js))
        if len(hits) != 1:
            missing.append(f"{widget} ({len(hits)})")
            continue
        m = hits[0]
        js = (js[:m.start()] + m.group("name") + "=" + READY_LAZY.format(lazy=m.group("lazy"))
              + js[m.end():])
        ready.append(widget)
    status = f"{len(ready)} of {len(SURVEY_WIDGET_CHUNKS)} started at once"
    if missing:
        status += f" (not found once: {', '.join(missing)})"
    return js, tuple(ready), status


def lighten_main_js(js: str) -> tuple[str, str]:
    """The main script without the eager Material Symbols load; (text, status)."""
    hits = list(ICON_FONT_LOAD_RE.finditer(js))
    if len(hits) != 1:
        return js, (f"found {len(hits)} times, expected once: main script left as shipped"
                    if hits else "not found, main script left as shipped")
    m = hits[0]
    return js[:m.start()] + ICON_FONT_LOAD_NOOP + js[m.end():], "neutralised"


def lighten_main_css(css: str) -> tuple[str, str]:
    """The main stylesheet with Source Sans taken from the device only; (text, status)."""
    hits = list(SOURCE_SANS_FACE_RE.finditer(css))
    if not hits:
        return css, "not found, stylesheet left as shipped"
    for m in reversed(hits):
        face = FACE_SRC_RE.sub(SOURCE_SANS_LOCAL, m.group(0), count=1)
        css = css[:m.start()] + face + css[m.end():]
    return css, f"local only ({len(hits)} faces)"


def _source_files(root: Path) -> list[Path]:
    """Relative paths of the bundle's files (leftover .gz/.br and temporary files excluded)."""
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp"):
            continue
        if path.suffix in (".gz", ".br") and path.with_suffix("").is_file():
            continue  # written by an older in-place precompress step
        out.append(path.relative_to(root))
    return out


def plan(source: Path, use_theme_font: bool | None = None,
         bundle: bool | None = None) -> tuple[dict[Path, bytes | Path], dict]:
    """What the copy must hold: relative path -> new content (bytes) or the source file to
    copy as is; plus the patch statuses. `bundle`: the first-load scripts in one file
    (deploy/bundle_first_load.py); None: when esbuild is installed."""
    if use_theme_font is None:
        use_theme_font = not theme_uses_source_sans()
    files: dict[Path, bytes | Path] = {rel: source / rel for rel in _source_files(source)}
    patches = {}
    index = Path("index.html")
    if index not in files:
        raise SystemExit(f"{source} has no index.html: not a Streamlit static folder")
    html = (source / index).read_text(encoding="utf-8")
    new_html, patches["source_sans_preload"] = lighten_index(html)
    new_html, patches["document"] = localise_index(new_html, app_tab_title())
    new_html, patches["loading_text"] = loading_screen(new_html, app_text("app.loading"))
    new_html, patches["backend_base_url"] = pin_backend(new_html)
    new_html, patches["server_checks_preload"] = preload_server_checks(new_html)
    new_html, patches["websocket_early"] = preopen_websocket(new_html)
    js_dir = source / "static" / "js"
    ready: tuple[str, ...] = ()

    def lighten_and_ready(js: str) -> tuple[str, str]:
        nonlocal ready
        js, status = lighten_main_js(js)
        js, ready, patches["survey_widgets_ready"] = ready_survey_widgets(js, js_dir)
        return js, status

    patches["survey_widgets_ready"] = "main script not found, left as shipped"
    _patch_linked(files, source, html, MAIN_SCRIPT_RE, "main script", lighten_and_ready,
                  patches, "material_symbols_preload")
    new_html, patches["survey_widgets_preload"] = preload_survey_widgets(
        new_html, js_dir, ready)
    patches["translations"] = translate_chunks(files, source)
    if bundle is False:
        patches["first_load_bundle"] = "not asked for: separate files"
    else:
        new_html, patches["first_load_bundle"] = _bundle_first_load(files, source, new_html)
    if new_html != html:
        files[index] = new_html.encode("utf-8")
    if use_theme_font:
        _patch_linked(files, source, html, MAIN_CSS_RE, "main stylesheet", lighten_main_css,
                      patches, "source_sans_font")
    else:
        patches["source_sans_font"] = "the theme draws text in Source Sans: stylesheet left as shipped"
    return files, patches


def _bundle_first_load(files: dict, source: Path, html: str) -> tuple[str, str]:
    """The main script and its static imports in one file (deploy/bundle_first_load.py);
    (index.html, status)."""
    from bundle_first_load import bundle_first_load
    m = MAIN_SCRIPT_RE.search(html)
    if m is None:
        return html, "main script not found in index.html: not bundled"
    main = Path(m.group(1)).name
    first_load = import_closure(source / "static" / "js", [main], set())
    return bundle_first_load(files, source, html, main, first_load)


def _patch_linked(files: dict, source: Path, html: str, link_re: re.Pattern, what: str,
                  lighten, patches: dict, name: str) -> None:
    """Apply `lighten` to the file index.html links with `link_re`; record the status."""
    m = link_re.search(html)
    rel = Path(m.group(1)) if m else None
    if rel is None or rel not in files:
        patches[name] = f"{what} not found in index.html, left as shipped"
        return
    text = (source / rel).read_text(encoding="utf-8")
    new, status = lighten(text)
    patches[name] = f"{status} ({rel.as_posix()})"
    if new != text:
        files[rel] = new.encode("utf-8")


def _gzip(data: bytes) -> bytes:
    import io
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def _brotli_module():
    try:
        import brotli
    except ImportError:  # optional: without it nginx sends the .gz files
        return None
    return brotli


def encoders() -> dict[str, tuple]:
    """Precompressed siblings written beside each compressible file: suffix ->
    (compress(data, first_load), decompress). Brotli only when the `brotli` package is
    installed: its best quality (11) for the files of every first visit (8 % smaller than
    quality 9 on Streamlit's main scripts, but 20 times slower), quality 9 for the rest."""
    out = {".gz": (lambda data, first_load: _gzip(data), gzip.decompress)}
    brotli = _brotli_module()
    if brotli is not None:
        out[".br"] = (lambda data, first_load: brotli.compress(
            data, quality=11 if first_load else 9), brotli.decompress)
    return out


def first_load_files(html: str) -> set[Path]:
    """The bundle files index.html names (its scripts, preloads and stylesheet, and the
    chunks its inline script preloads)."""
    return {Path(m) for m in re.findall(r'"\.?/?(static/[^"]+)"', html)}


def _matches(packed: Path, data: bytes, decompress) -> bool:
    try:
        return decompress(packed.read_bytes()) == data
    except Exception:  # missing, truncated or not in that format: written again
        return False


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)  # nginx (www-data) reads the copy whatever the umask
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def _check_out_dir(source: Path, out: Path) -> None:
    src, dst = source.resolve(), out.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise SystemExit(f"--out {out} must be outside the streamlit package ({source})")
    if dst.exists() and (not dst.is_dir() or (any(dst.iterdir()) and not (dst / STAMP).exists())):
        raise SystemExit(f"--out {out} exists and was not made by this script "
                         f"(no {STAMP}): refusing to write there")


def prepare(source: Path, out: Path, check: bool = False, bundle: bool | None = None) -> dict:
    _check_out_dir(source, out)
    files, patches = plan(source, bundle=bundle)
    packers = encoders()
    index = files[Path("index.html")]
    html_text = (index if isinstance(index, bytes) else index.read_bytes()).decode("utf-8")
    first_load = first_load_files(html_text)
    # and the survey widgets' chunks, preloaded or started by the main script
    js_dir = source / "static" / "js"
    widgets = [n for n in (chunk_named(js_dir, w) for w in SURVEY_WIDGET_CHUNKS) if n]
    main = re.search(r'<script\b[^>]*\btype="module"[^>]*\bsrc="\.?/?(static/[\w-]+)/', html_text)
    page_js = Path(main.group(1)) if main else Path("static/js")  # static/js-<hash> when bundled
    first_load |= {page_js / n for n in import_closure(js_dir, widgets, set())}
    written = unchanged = compressed = stale = 0
    size = 0
    packed_size = dict.fromkeys(packers, 0)
    wanted: set[Path] = set()
    # index.html last: a browser never gets a page that names files not written yet
    order = sorted(files, key=lambda rel: (rel == Path("index.html"), rel.as_posix()))
    for rel in order:
        item = files[rel]
        data = item if isinstance(item, bytes) else item.read_bytes()
        dest = out / rel
        wanted.add(rel)
        same = dest.is_file() and dest.stat().st_size == len(data) and dest.read_bytes() == data
        if check:
            stale += 0 if same else 1
        elif same:
            unchanged += 1
        else:
            _write(dest, data)
            written += 1
        size += len(data)
        if rel.suffix.lower() not in SUFFIXES or len(data) < MIN_GZIP_SIZE:
            continue
        for suffix, (compress, decompress) in packers.items():
            packed_rel = rel.with_name(rel.name + suffix)
            wanted.add(packed_rel)
            target = out / packed_rel
            if _matches(target, data, decompress):
                packed_size[suffix] += target.stat().st_size
            elif check:
                stale += 1
            else:
                packed = compress(data, rel in first_load)
                _write(target, packed)
                compressed += 1
                packed_size[suffix] += len(packed)
    extra = [p for p in sorted(out.rglob("*")) if p.is_file() and p.name != STAMP
             and p.relative_to(out) not in wanted] if out.is_dir() else []
    stamp = {"streamlit": streamlit_version(), "source": str(source), "patches": patches}
    if check:
        stale += len(extra)
        try:
            old = json.loads((out / STAMP).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        stale += 0 if old == stamp else 1
    else:
        for p in extra:
            p.unlink()
        for d in sorted((d for d in out.rglob("*") if d.is_dir()), reverse=True):
            if not any(d.iterdir()):
                d.rmdir()
        _write(out / STAMP, (json.dumps(stamp, indent=1) + "\n").encode("utf-8"))
    info = {"source": str(source), "out": str(out), "streamlit": stamp["streamlit"],
            "patches": patches}
    if check:
        info["stale"] = stale
    else:
        info.update(written=written, unchanged=unchanged, removed=len(extra),
                    compressed=compressed)
    info.update(files=len(files), bytes=size, gz_bytes=packed_size[".gz"],
                br_bytes=packed_size.get(".br"))
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=None,
                   help="Streamlit's static folder (default: the installed streamlit package)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if the copy is missing, stale or incomplete")
    p.add_argument("--no-bundle", action="store_true",
                   help="keep the page's scripts as separate files (no esbuild step)")
    args = p.parse_args(argv)
    info = prepare(args.source or streamlit_static_dir(), args.out, check=args.check,
                   bundle=False if args.no_bundle else None)
    print(json.dumps(info, ensure_ascii=False))
    return 1 if args.check and info["stale"] else 0


if __name__ == "__main__":
    sys.exit(main())
