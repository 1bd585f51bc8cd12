"""One settings object for every QCDC_* variable, each documented for operators."""
from __future__ import annotations

import re

from app.core import settings
from tests.apptest import ROOT

RUNTIME_SOURCES = ("app", "db", "deploy", "streamlit_app.py")
NAME = re.compile(r"\bQCDC_[A-Z0-9_]+\b")


def _files():
    for name in RUNTIME_SOURCES:
        path = ROOT / name
        for f in [path] if path.is_file() else sorted(path.rglob("*")):
            if f.is_file() and f.suffix in (".py", ".example", ".service", ".template", ".toml"):
                yield f


def _configuration_doc() -> str:
    """The README and the document it links for configuration, if any."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = [readme]
    for link in re.findall(r"\]\((docs/[A-Z_]+\.md)\)", readme):
        docs.append((ROOT / link).read_text(encoding="utf-8"))
    return "\n".join(docs)


def test_every_qcdc_variable_is_a_setting_and_documented():
    known = {v[0] for v in settings.VARIABLES}
    used = {m for f in _files() for m in NAME.findall(f.read_text(encoding="utf-8"))}
    assert used <= known, f"not in app/core/settings.py VARIABLES: {sorted(used - known)}"
    doc = _configuration_doc()
    undocumented = sorted(n for n in known if f"`{n}`" not in doc)
    assert not undocumented, f"not in the README's configuration table: {undocumented}"


def test_only_the_settings_module_reads_qcdc_variables_from_the_environment():
    reads = re.compile(r"(environ(\.get)?[\[(]|getenv\()\s*[\"']QCDC_")
    offenders = [str(f.relative_to(ROOT)) for f in _files()
                 if f.suffix == ".py" and f.name != "settings.py"
                 and reads.search(f.read_text(encoding="utf-8"))]
    assert offenders == []


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.setenv("QCDC_MAX_PHOTO_MB", "3")
    monkeypatch.setenv("QCDC_SURVEY_MAX_WAIT", "-5")  # below the floor: 0
    monkeypatch.setenv("QCDC_SURVEY_CONCURRENCY", "abc")  # not a number: the default
    s = settings.read_settings()
    assert (s.max_photo_mb, s.survey_max_wait_s, s.survey_concurrency) == (3, 0.0, 1)


def test_a_missing_ui_string_raises_under_test():
    import pytest

    from app.core.i18n import t
    with pytest.raises(KeyError):
        t("no.such.key")
