"""One script instead of dozens: the main script of Streamlit's frontend and every chunk it
imports statically, bundled into one file with esbuild (deploy/prepare_static.py).

Streamlit's frontend is a Vite build of ES modules: the page's main script imports about 60
chunks statically (``<link rel="modulepreload">`` in index.html), and every element type is a
chunk loaded lazily (``import()``) when first drawn. At "Fast 3G" the emulated link loses
throughput on every request, and the 60 scripts of every first visit took 2.8-2.9 s instead of
about 2.0-2.3 s as one file (docs/PERFORMANCE.md).

A module runs once per URL: the lazy chunks import from the first-load chunks (React, the
protobuf classes, the main script's exports) and must get the very objects the bundle holds,
never a second copy of a chunk (React twice is a broken page). So:

1. esbuild bundles a made-up entry that re-exports every export of every first-load chunk
   under a name of its own (``q<chunk number>_<export>``), main script first (the page runs
   in the order it always did); the lazy chunks stay external (``import()`` of the same
   relative names: the bundle sits in one folder with them, so relative URLs, and
   ``import.meta.url`` with them, resolve as before).
2. Each lazy chunk's static imports of first-load chunks are rewritten to import the same
   objects from the bundle (``import{a as b}from"./X.js"`` -> ``import{q3_a as b}from
   "./<bundle>"``); Vite's preload lists (``__vite__mapDeps``) name the bundle instead.
3. Each first-load chunk's file becomes a facade re-exporting its objects from the bundle, for
   whatever still names it (an ``import()`` or a namespace import that was not rewritten, a
   stale page): correct, only one more request.
4. index.html loads the bundle as its main script, without the chunks' modulepreload links.
5. All of it (every file of ``static/js``, changed or not) is written to a folder named after
   its contents, ``static/js-<hash>``; ``static/js`` stays as it was (see bundle_first_load).

Anything unexpected (esbuild missing or failing, an export that is not a plain name, an
imported name the chunk does not export) leaves every file as it was, with the reason in the
status. esbuild comes from npm, pinned in deploy/esbuild/package.json:

    npm ci --prefix deploy/esbuild      # once per checkout (or an esbuild on PATH)
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCAL_ESBUILD = HERE / "esbuild" / "node_modules" / ".bin" / "esbuild"
BUNDLE_PREFIX = "first-load"
JS_DIR = Path("static") / "js"
NAME_RE = re.compile(r"[A-Za-z_$][\w$]*")
# import{a as b,c}from"./X.js" / export{a as b}from"./X.js" / import d from"./X.js" /
# import d,{a as b}from"./X.js" / import"./X.js" (the minified forms Vite writes)
STATIC_IMPORT_STMT_RE = re.compile(
    r'\b(?P<kw>import|export)\s*(?:(?P<default>[A-Za-z_$][\w$]*)\s*,?\s*)?'
    r'(?:\{(?P<names>[^{}]*)\}\s*)?(?:from\s*)?"\./(?P<file>[^"/]+\.js)"')
PRELOAD_ENTRY_RE = r'(?<=[\[,])"\./{file}"(?=[,\]])'


def find_esbuild() -> str | None:
    """The esbuild executable: deploy/esbuild's npm install, or one on PATH."""
    for candidate in (str(LOCAL_ESBUILD), shutil.which("esbuild")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _text(files: dict, source: Path, rel: Path) -> str:
    item = files[rel]
    return (item if isinstance(item, bytes) else (source / rel).read_bytes()).decode("utf-8")


def _exports(esbuild: str, work: Path, names: list[str]) -> dict[str, list[str]]:
    """The export names of each chunk, read by esbuild's own parser (a metafile of a plain
    transform of the chunks)."""
    out = work / "exports"
    meta = work / "exports.json"
    _run([esbuild, *names, "--format=esm", f"--outdir={out}", f"--metafile={meta}",
          "--log-level=error"], cwd=work / "js")
    outputs = json.loads(meta.read_text(encoding="utf-8"))["outputs"]
    found = {}
    for path, info in outputs.items():
        found[Path(path).name] = list(info.get("exports", []))
    missing = [n for n in names if n not in found]
    if missing:
        raise BundleError(f"no exports read for {', '.join(missing)}")
    return found


class BundleError(Exception):
    pass


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise BundleError(f"esbuild failed: {(proc.stderr or proc.stdout).strip()[:500]}")


def _alias(index: int, name: str) -> str:
    return f"q{index}_{name}"


def _rewrite_imports(text: str, first: dict[str, int], exports: dict[str, list[str]],
                     bundle: str) -> tuple[str, int]:
    """A lazy chunk with its static imports of first-load chunks taken from the bundle;
    (text, statements rewritten). BundleError if it imports a name the chunk lacks."""
    count = 0

    def repl(m: re.Match) -> str:
        nonlocal count
        file = m.group("file")
        if file not in first:
            return m.group(0)
        index, have = first[file], set(exports[file])
        kw, default, names = m.group("kw"), m.group("default"), m.group("names")
        if kw == "export" and default:
            return m.group(0)
        if default == "from" or (default and names is None and "from" not in m.group(0)):
            return m.group(0)  # not a statement this pattern knows: the facade serves it
        specs = []
        if default:
            if "default" not in have:
                raise BundleError(f"{file} has no default export")
            specs.append(f"{_alias(index, 'default')} as {default}")
        if names is not None:
            for spec in (s.strip() for s in names.split(",")):
                if not spec:
                    continue
                parts = spec.split()
                if len(parts) == 1:
                    imported, local = parts[0], parts[0]
                elif len(parts) == 3 and parts[1] == "as":
                    imported, local = parts[0], parts[2]
                else:
                    raise BundleError(f"unexpected import specifier {spec!r} of {file}")
                if imported not in have:
                    raise BundleError(f"{file} does not export {imported!r}")
                specs.append(f"{_alias(index, imported)} as {local}")
        count += 1
        if not specs and names is None:
            return f'{kw}"./{bundle}"'
        return f'{kw}{{{",".join(specs)}}}from"./{bundle}"'

    text = STATIC_IMPORT_STMT_RE.sub(repl, text)
    return text, count


def bundle_first_load(files: dict, source: Path, html: str, main: str,
                      first_load: list[str], esbuild: str | None = None) -> tuple[str, str]:
    """Bundle `main` and the chunks of `first_load` (its static import closure, main first) in
    `files` (in place: a new folder ``static/js-<hash>`` beside ``static/js`` with the bundle,
    the chunks as facades and the lazy chunks importing the bundle; ``static/js`` left as it
    was); returns (index.html, status). On any failure `files` is left as it was.

    A new folder, because nginx lets browsers keep ``/static/`` files for a year under their
    names: a browser that had a chunk before the bundle (the staff, every day) would otherwise
    run its old copy, importing the old separate chunks beside the bundle (React twice). Relative
    addresses (the chunks' imports, ``../css/``, ``../media/``) resolve the same one level
    down; ``static/js`` stays for pages opened before the copy changed."""
    esbuild = esbuild or find_esbuild()
    if esbuild is None:
        return html, "esbuild not installed (npm ci --prefix deploy/esbuild): not bundled"
    if not first_load or first_load[0] != main:
        return html, "main script not found: not bundled"
    try:
        changes, html = _plan_bundle(files, source, html, first_load, esbuild)
    except (BundleError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
        return html, f"left as separate files: {e}"
    files.update(changes)
    return html, f"{len(first_load)} chunks in one file ({html_dir(html)})"


def html_dir(html: str) -> str:
    m = re.search(r'<script\b[^>]*\btype="module"[^>]*\bsrc="\.?/?static/([\w-]+)/', html)
    return f"static/{m.group(1)}" if m else "?"


def _plan_bundle(files: dict, source: Path, html: str, first_load: list[str],
                 esbuild: str) -> tuple[dict, str]:
    first = {name: i for i, name in enumerate(first_load)}
    js_files = sorted(rel.name for rel in files if rel.parent == JS_DIR and rel.suffix == ".js")
    lazy = [n for n in js_files if n not in first]
    with tempfile.TemporaryDirectory(prefix="qcdc-bundle-") as tmp:
        work = Path(tmp)
        (work / "js").mkdir()
        for name in first_load:
            (work / "js" / name).write_text(_text(files, source, JS_DIR / name), encoding="utf-8")
        exports = _exports(esbuild, work, first_load)
        lines = []
        for name in first_load:
            names = exports[name]
            bad = [n for n in names if not NAME_RE.fullmatch(n)]
            if bad:
                raise BundleError(f"{name} exports {bad[:3]}: not plain names")
            specs = ",".join(f"{n} as {_alias(first[name], n)}" for n in names)
            lines.append(f'export{{{specs}}}from"./{name}";' if names else f'import"./{name}";')
        entry = work / "js" / "__qcdc_first_load.js"
        entry.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = work / "out.js"
        _run([esbuild, entry.name, "--bundle", "--format=esm", "--minify", "--charset=utf8",
              "--log-level=error", f"--outfile={out}",
              *(f"--external:./{n}" for n in lazy)], cwd=work / "js")
        text = out.read_text(encoding="utf-8")
    bundle = f"{BUNDLE_PREFIX}.{hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]}.js"
    if (JS_DIR / bundle) in files:
        raise BundleError(f"{bundle} already in the bundle")
    changes: dict[Path, bytes] = {}
    for name in first_load:  # Vite's preload lists in the bundle: the chunks are in it
        text = re.sub(PRELOAD_ENTRY_RE.format(file=re.escape(name)), f'"./{bundle}"', text)
    changes[JS_DIR / bundle] = text.encode("utf-8")
    for name in first_load:
        specs = ",".join(f"{_alias(first[name], n)} as {n}" for n in exports[name])
        facade = f'export{{{specs}}}from"./{bundle}";\n' if specs else f'import"./{bundle}";\n'
        changes[JS_DIR / name] = facade.encode("utf-8")
    for name in lazy:
        old = _text(files, source, JS_DIR / name)
        new, _count = _rewrite_imports(old, first, exports, bundle)
        for dep in first_load:
            new = re.sub(PRELOAD_ENTRY_RE.format(file=re.escape(dep)), f'"./{bundle}"', new)
        if new != old:
            changes[JS_DIR / name] = new.encode("utf-8")
    html = _index_with_bundle(html, first_load, bundle)
    # everything of static/js, changed or not, in a folder named after the contents
    moved: dict[Path, bytes | Path] = {}
    digest = hashlib.sha256()
    in_js = {r for r in files if r.parent == JS_DIR} | set(changes)
    for rel in sorted(in_js, key=lambda r: r.name):
        item = changes[rel] if rel in changes else files[rel]
        data = item if isinstance(item, bytes) else (source / rel).read_bytes()
        digest.update(rel.name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        moved[rel] = item
    folder = Path("static") / f"js-{digest.hexdigest()[:10]}"
    html, n = re.subn(r'(["\']\.?/?)static/js/', lambda m: f"{m.group(1)}{folder.as_posix()}/", html)
    if not n:
        raise BundleError("index.html names no static/js file")
    return {folder / rel.name: item for rel, item in moved.items()}, html


def _index_with_bundle(html: str, first_load: list[str], bundle: str) -> str:
    main = first_load[0]
    script = re.compile(r'(<script\b[^>]*\btype="module"[^>]*\bsrc="\.?/?static/js/)'
                        + re.escape(main) + '"')
    html, n = script.subn(lambda m: m.group(1) + bundle + '"', html, count=1)
    if n != 1:
        raise BundleError("main script tag not found in index.html")
    for name in first_load[1:]:
        html = re.sub(r'[ \t]*<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\.?/?static/js/'
                      + re.escape(name) + r'"[^>]*>[ \t]*\r?\n?', "", html)
    return html
