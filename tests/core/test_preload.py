"""The sign-in page has the browser fetch the start pages' script chunks while the user types
(app/ui/core/preload.py, page_scripts.PRELOAD); no other page does."""
from __future__ import annotations

import html
import json
import re

from app.ui.core import page_scripts
from app.ui.core.preload import START_PAGE_ELEMENTS, start_page_chunks, static_dir
from tests.apptest import app_for


def _write(root, index: str, chunks: dict[str, str]):
    js = root / "static" / "js"
    js.mkdir(parents=True)
    (root / "index.html").write_text(index, encoding="utf-8")
    for name, text in chunks.items():
        (js / name).write_text(text, encoding="utf-8")
    return root


def test_chunks_of_the_installed_streamlit_exist_and_include_the_charts():
    chunks = start_page_chunks()
    js = static_dir() / "static" / "js"
    assert chunks and all((js / name).is_file() for name in chunks)
    assert all(re.fullmatch(r"[\w.-]+\.js", name) for name in chunks)
    assert len(set(chunks)) == len(chunks)
    for element in ("ArrowVegaLiteChart", "embed", "Metric", "Selectbox"):
        assert any(name.startswith(element + ".") for name in chunks), element
    # what index.html loads by itself is not named again
    index = (static_dir() / "index.html").read_text(encoding="utf-8")
    assert not [name for name in chunks if f"static/js/{name}" in index]


def test_imports_are_followed_and_the_page_own_chunks_left_out(tmp_path):
    root = _write(tmp_path, (
        '<link rel="modulepreload" crossorigin href="./static/js/shared.AAA.js">'
        '<script type="module" crossorigin src="./static/js/index.BBB.js"></script>'), {
        "index.BBB.js": "",
        "shared.AAA.js": "",
        "ArrowVegaLiteChart.CCC.js": 'import{a}from"./shared.AAA.js";import"./vega-dep.DDD.js";'
                                     'import{b}from"./gone.EEE.js";'
                                     'const l=()=>import(`./lazy-only.FFF.js`);',
        "vega-dep.DDD.js": 'import{c}from"./deeper.GGG.js";',
        "deeper.GGG.js": 'import{a}from"./shared.AAA.js";',
        "lazy-only.FFF.js": "",
        "Metric.HHH.js": "",
        "Metricx.III.js": "",  # not Metric's chunk
    })
    start_page_chunks.cache_clear()
    try:
        chunks = start_page_chunks(root)
    finally:
        start_page_chunks.cache_clear()
    assert chunks == ("Metric.HHH.js", "ArrowVegaLiteChart.CCC.js", "vega-dep.DDD.js",
                      "deeper.GGG.js")
    assert "Metric" in START_PAGE_ELEMENTS


def test_no_bundle_means_nothing_preloaded(tmp_path):
    start_page_chunks.cache_clear()
    try:
        assert start_page_chunks(tmp_path / "nowhere") == ()
    finally:
        start_page_chunks.cache_clear()


def _preload_lists(at) -> list[list[str]]:
    found = []
    for h in at.get("html"):
        m = re.search(r"data-qcdc-preload='([^']*)'", h.value)
        if m:
            assert page_scripts.PRELOAD in h.value  # the constant script, allowed by its hash
            found.append(json.loads(html.unescape(m[1])))
    return found


def test_only_the_sign_in_page_preloads(demo_db):
    at = app_for("pages/public/sign_in.py")
    assert not at.exception
    assert _preload_lists(at) == [list(start_page_chunks())]
    for page, user in (("pages/public/survey.py", None), ("pages/public/home.py", None),
                       ("pages/monitor/overview.py", "demo.tinh"),
                       ("pages/commune/report.py", "demo.xa")):
        at = app_for(page, user=user, query={"xa": "07201"} if user is None else None)
        assert not at.exception, page
        assert _preload_lists(at) == [], page
