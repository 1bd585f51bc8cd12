"""Every UI string the code asks for exists, with the placeholders the code fills."""
from __future__ import annotations

import ast
import string

from app.core.i18n import VI
from tests.apptest import ROOT

SOURCES = ("app", "pages", "streamlit_app.py")


def _calls():
    """(file, line, key, keyword names or None when **values are passed) of every t("...")."""
    for name in SOURCES:
        path = ROOT / name
        for f in [path] if path.is_file() else sorted(path.rglob("*.py")):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "t" and node.args
                        and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)):
                    kws = None if any(k.arg is None for k in node.keywords) \
                        else {k.arg for k in node.keywords}
                    yield f"{f.relative_to(ROOT)}:{node.lineno}", node.args[0].value, kws


def _placeholders(text: str) -> set[str]:
    return {field.split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(text) if field}


def test_the_scan_finds_the_calls():
    assert sum(1 for _ in _calls()) > 500


def test_every_literal_key_exists():
    missing = [f"{where}: {key}" for where, key, _ in _calls() if key not in VI]
    assert not missing, "keys missing from app/core/i18n.py:\n" + "\n".join(missing)


def test_placeholders_match_the_values_given():
    problems = []
    for where, key, given in _calls():
        if key not in VI or given is None:
            continue
        wanted = _placeholders(VI[key])
        if wanted != given:
            problems.append(f"{where}: {key} has {sorted(wanted)}, given {sorted(given)}")
    assert not problems, "\n".join(problems)
