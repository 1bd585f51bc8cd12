"""Reading Streamlit's frontend bundle (its ``static/js`` folder of hashed chunks): a chunk by
the name before its content hash, and what a chunk imports statically.

Shared by the sign-in page's preload of the start pages' chunks (app/ui/core/preload.py) and the
lightened copy nginx serves (deploy/prepare_static.py). Imports nothing of Streamlit."""
from __future__ import annotations

import re
from pathlib import Path

# a chunk's static imports: import{..}from"./X.js" / import"./X.js" (not the lazy import(`./X.js`))
STATIC_IMPORT_RE = re.compile(r'(?:\bfrom|\bimport)\s*"\./([^"/]+\.js)"')


def chunk_named(js_dir: Path, name: str) -> str | None:
    """The file of chunk `name` (``Radio`` -> ``Radio.h4sh.js``), or None unless exactly one."""
    found = sorted(p.name for p in js_dir.glob(f"{name}.*.js")
                   if re.fullmatch(rf"{re.escape(name)}\.[\w-]+\.js", p.name))
    return found[0] if len(found) == 1 else None


def static_imports(js_dir: Path, name: str) -> list[str]:
    text = (js_dir / name).read_text(encoding="utf-8", errors="replace")
    return STATIC_IMPORT_RE.findall(text)


def import_closure(js_dir: Path, roots: list[str], have: set[str]) -> list[str]:
    """`roots` and every chunk they import statically, in load order, except those in `have`
    (and files that are not there)."""
    wanted: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop(0)
        if name in have or name in wanted or not (js_dir / name).is_file():
            continue
        wanted.append(name)
        todo.extend(static_imports(js_dir, name))
    return wanted
