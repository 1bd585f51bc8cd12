"""The docs name files and modules that exist: a moved file must take its mentions along."""
from __future__ import annotations

import importlib
import re

from tests.apptest import ROOT

DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"`((?:app|pages|db|tests|bench|deploy|docs|assets|\.streamlit|\.ci)/[^`\s]*)`")
CREATED_BY_OPERATORS = {".streamlit/secrets.toml"}  # named by the docs, made on the server
MODULE = re.compile(r"`((?:app|db)\.[A-Za-z_][\w.]*)(?:\(\))?`")


def _exists(path: str) -> bool:
    if any(c in path for c in "<*{"):
        return True  # a pattern, not a file
    path = path.split("::")[0].rstrip(",.")
    if path in CREATED_BY_OPERATORS:
        return True
    if (ROOT / path).exists():
        return True
    # "app/ui/survey/gate.storing_answers": a module file and a name in it
    head, _, name = path.rpartition(".")
    return bool(head) and (ROOT / f"{head}.py").is_file() and \
        name in (ROOT / f"{head}.py").read_text(encoding="utf-8")


def _importable(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_file_path_in_the_docs_exists():
    missing = [f"{doc}: {p}" for doc in DOCS
               for p in PATH.findall((ROOT / doc).read_text(encoding="utf-8")) if not _exists(p)]
    assert not missing, "\n".join(missing)


def test_every_module_named_in_the_docs_imports():
    missing = [f"{doc}: {m}" for doc in DOCS
               for m in MODULE.findall((ROOT / doc).read_text(encoding="utf-8"))
               if not _importable(m)]
    assert not missing, "\n".join(missing)


def test_the_check_sees_a_missing_path():
    assert not _exists("app/no_such_module.py") and _exists("app/core/access.py")
    assert _exists("app/ui/survey/gate.storing_answers")
    assert not _importable("app.core.auth.NoSuchThing") and _importable("app.core.auth.Scope")
