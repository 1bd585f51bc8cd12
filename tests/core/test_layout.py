"""The code layout keeps its promises: old module paths still import (to the very same module
objects), and no file of the project uses them any more (app/_moved.py)."""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from app._moved import MOVED
from tests.apptest import ROOT

SOURCES = ("app", "pages", "tests", "bench", "deploy", "db", "streamlit_app.py")


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_module_path_imports_the_new_module_itself(old):
    assert importlib.import_module(old) is importlib.import_module(MOVED[old])


def test_old_paths_work_for_scripts_written_against_the_flat_layout():
    """In a fresh interpreter, the way a script of the old layout imports."""
    code = (
        "import app.campaigns, app.core.campaigns\n"
        "from app.campaigns import active_campaign\n"
        "from app import nominations, reports\n"
        "from app.survey import (submit_response, Signals, SubmitResult, find_by_token,\n"
        "    new_submission_token, resolve_commune_code, STORED, DUPLICATE, CODE_OK)\n"
        "import app.survey.responses as r\n"
        "assert app.campaigns is app.core.campaigns\n"
        "assert active_campaign is app.core.campaigns.active_campaign\n"
        "assert submit_response is r.submit_response and Signals is r.Signals\n"
        "import app.board.nominations, app.operations.daily_reports\n"
        "assert nominations is app.board.nominations and reports is app.operations.daily_reports\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def _python_files():
    for name in SOURCES:
        path = ROOT / name
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def _old_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in MOVED]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module in MOVED:
                found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names
                      if f"{node.module}.{a.name}" in MOVED]
    return found


def test_no_project_file_imports_an_old_module_path():
    problems = []
    for path in _python_files():
        if path.name == "_moved.py":
            continue
        for old in _old_imports(ast.parse(path.read_text(encoding="utf-8"))):
            problems.append(f"{path.relative_to(ROOT)}: {old} -> {MOVED[old]}")
    assert not problems, "use the new module paths:\n" + "\n".join(problems)


def test_the_check_would_see_an_old_import():
    tree = ast.parse("from app import campaigns\nimport app.roster\nfrom app.ui.session import x\n")
    assert _old_imports(tree) == ["app.campaigns", "app.roster", "app.ui.session"]
