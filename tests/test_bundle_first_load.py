"""deploy/bundle_first_load.py: the first-load scripts of Streamlit's frontend in one file.

A made-up ES-module bundle is bundled and then run in node: every chunk is evaluated once
(a lazy chunk, a facade and the bundle share one copy of each module), Vite's preload lists
name the bundle; and the installed Streamlit is bundled with every lazy chunk importing the
bundle, not a facade. The real page runs behind nginx in
tests/browser/test_light_pages_browser.py.

esbuild comes from ``npm ci --prefix deploy/esbuild`` (.ci/run); without it these tests are
skipped on a developer's machine and fail in CI.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "deploy"))
from bundle_first_load import BUNDLE_PREFIX, find_esbuild  # noqa: E402
from prepare_static import plan, prepare, streamlit_static_dir  # noqa: E402


def _need_esbuild() -> None:
    if find_esbuild() is None:
        if os.environ.get("CI"):
            pytest.fail("esbuild not installed: npm ci --prefix deploy/esbuild (.ci/run does)")
        pytest.skip("esbuild not installed (npm ci --prefix deploy/esbuild)")


INDEX = """<!DOCTYPE html>
<html><head>
    <script type="module" crossorigin src="./static/js/index.M1.js"></script>
    <link rel="modulepreload" crossorigin href="./static/js/react.R1.js">
    <link rel="modulepreload" crossorigin href="./static/js/shared.S1.js">
</head><body><div id="root"></div></body></html>
"""
CHUNKS = {
    # counts its evaluations: a second copy of "React" would show
    "react.R1.js": ("globalThis.__evals=(globalThis.__evals||0)+1;let n=0;function c(){return ++n}"
                    "var o={id:1};export{c as a,o as b};"),
    "shared.S1.js": 'import{b as x}from"./react.R1.js";const s={react:x};export{s as t};',
    "index.M1.js": ('const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["./Lazy.L1.js",'
                    '"./react.R1.js","./shared.S1.js"])))=>i.map(i=>d[i]);'
                    'import{b as r,a as inc}from"./react.R1.js";import{t as s}from"./shared.S1.js";'
                    'globalThis.__main={r,s,inc,lazy:()=>import(`./Lazy.L1.js`),'
                    'deps:__vite__mapDeps([0,1,2]),url:import.meta.url};export{r as x};'),
    "Lazy.L1.js": ('import{b as r,a}from"./react.R1.js";import{x as m}from"./index.M1.js";'
                   'import"./shared.S1.js";export default{r,m,a};'),
    # a namespace import is not rewritten: the facade serves it
    "Other.O1.js": 'import*as ns from"./react.R1.js";export{ns};',
}
CHECK = """
const dir = process.argv[1];
const html = process.argv[2];
await import(dir + '/' + html);
const main = globalThis.__main;
const lazy = (await main.lazy()).default;
const other = await import(dir + '/Other.O1.js');
const facade = await import(dir + '/react.R1.js');
main.inc(); lazy.a(); facade.a();
console.log(JSON.stringify({
  evals: globalThis.__evals,
  same: lazy.r === main.r && lazy.m === main.r && other.ns.b === main.r && facade.b === main.r
        && main.s.react === main.r,
  counter: main.inc(),
  deps: main.deps,
}));
"""


def _made_up(root):
    (root / "static" / "js").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    for name, text in CHUNKS.items():
        (root / "static" / "js" / name).write_text(text)
    return root


def test_a_made_up_bundle_runs_each_module_once(tmp_path):
    _need_esbuild()
    node = shutil.which("node") or shutil.which("nodejs")
    src, out = _made_up(tmp_path / "src"), tmp_path / "out"
    info = prepare(src, out, bundle=True)
    status = info["patches"]["first_load_bundle"]
    assert re.fullmatch(r"3 chunks in one file \(static/js-\w{10}\)", status), status
    html = (out / "index.html").read_text()
    folder, bundle = re.search(
        r'src="\./static/(js-\w+)/(' + BUNDLE_PREFIX + r'\.\w+\.js)"', html).groups()
    assert "modulepreload" not in html and "static/js/" not in html, html
    js = out / "static" / folder
    # the lazy chunk imports the bundle itself
    assert "react.R1.js" not in (js / "Lazy.L1.js").read_text()
    assert bundle in (js / "Lazy.L1.js").read_text()
    assert (js / "Other.O1.js").read_text() == CHUNKS["Other.O1.js"]
    # static/js as without the bundle, for pages opened before (browsers keep /static/ files
    # for a year by name: the bundled chunks have a folder of their own)
    for name, text in CHUNKS.items():
        assert (out / "static" / "js" / name).read_text() == text
    if node is None:
        pytest.skip("node is not installed")
    (js / "package.json").write_text('{"type": "module"}')
    run = subprocess.run([node, "--input-type=module", "-e", CHECK, str(js), bundle],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got == {"evals": 1, "same": True, "counter": 4,
                   "deps": ["./Lazy.L1.js", f"./{bundle}", f"./{bundle}"]}, got


def test_a_bundle_that_fails_leaves_the_separate_files(tmp_path):
    _need_esbuild()
    src = _made_up(tmp_path / "src")
    (src / "static" / "js" / "shared.S1.js").write_text("this is not JavaScript(")
    files, patches = plan(src, bundle=True)
    assert patches["first_load_bundle"].startswith("left as separate files: esbuild failed")
    assert not any(p.name.startswith(BUNDLE_PREFIX) for p in files)
    assert "index.M1.js" in files[next(p for p in files if p.name == "index.html")].decode()
    # a lazy chunk asking a name its chunk does not export: not bundled either
    src2 = _made_up(tmp_path / "src2")
    (src2 / "static" / "js" / "Lazy.L1.js").write_text(
        'import{zz as r}from"./react.R1.js";export default r;')
    _, patches = plan(src2, bundle=True)
    assert patches["first_load_bundle"] == (
        "left as separate files: react.R1.js does not export 'zz'"), patches


def test_the_installed_streamlit_is_bundled_and_its_lazy_chunks_import_the_bundle():
    _need_esbuild()
    files, patches = plan(streamlit_static_dir(), bundle=True)
    assert re.fullmatch(r"\d+ chunks in one file \(static/js-\w{10}\)",
                        patches["first_load_bundle"]), patches
    html = files[next(p for p in files if p.name == "index.html")].decode("utf-8")
    scripts = re.findall(r'<script type="module"[^>]*src="\./static/(js-\w+)/([^"]+)"', html)
    assert len(scripts) == 1 and scripts[0][1].startswith(BUNDLE_PREFIX + "."), scripts
    folder, main = scripts[0]
    texts = {p.name: (v if isinstance(v, bytes) else v.read_bytes()).decode("utf-8")
             for p, v in files.items() if p.suffix == ".js" and p.parent.name == folder}
    assert len(texts) == len([p for p in files if p.parent.name == "js"]) + 1
    facades = {n for n, t in texts.items()
               if re.fullmatch(r'(export\{[^}]*\}from|import)"\./' + re.escape(main)
                               + r'";\n', t)}
    assert len(facades) == int(patches["first_load_bundle"].split()[0])
    # no preloaded chunk of the page is a facade, and no lazy chunk imports one statically
    preloaded = re.findall(r'rel="modulepreload"[^>]*href="\./static/' + folder + '/([^"]+)"', html)
    assert preloaded and not set(preloaded) & facades
    static_import = re.compile(r'\b(?:from|import)\s*"\./([^"/]+\.js)"')
    for name, text in texts.items():
        if name not in facades:
            assert not set(static_import.findall(text)) & facades, name
