"""Old module paths of the flat layout (before issue 11), kept importable.

Scripts, notebooks and acceptance checks written against ``app.campaigns``, ``app.roster``,
``app.ui.session`` ... keep working: ``MOVED`` maps each old path to its new home, and a finder
installed by ``app/__init__.py`` answers an import of an old path with the very module object of
the new one (``app.campaigns is app.core.campaigns``; monkeypatching either patches both).

New code uses the new paths: ``tests/core/test_layout.py`` fails on an old path in app/, pages/,
tests/, bench/, deploy/ or streamlit_app.py. ``app.survey`` and ``app.cli`` kept their names (now
packages; ``app.survey`` re-exports the write path's public names).
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

MOVED: dict[str, str] = {
    "app.access": "app.core.access",
    "app.auth": "app.core.auth",
    "app.config": "app.core.settings",
    "app.clock": "app.core.clock",
    "app.fmt": "app.core.fmt",
    "app.i18n": "app.core.i18n",
    "app.audit": "app.core.audit",
    "app.sanitize": "app.core.spreadsheet",
    "app.sheets": "app.core.spreadsheet",
    "app.reference": "app.core.reference",
    "app.campaigns": "app.core.campaigns",
    "app.bootstrap": "app.core.startup",
    "app.demo": "app.core.demo",
    "app.seed": "app.core.seed",
    "app.questionnaire": "app.survey.questionnaire",
    "app.tally": "app.survey.tally",
    "app.admission": "app.survey.admission",
    "app.roster": "app.operations.roster",
    "app.inspectors": "app.operations.inspectors",
    "app.reports": "app.operations.daily_reports",
    "app.photos": "app.operations.photos",
    "app.completeness": "app.operations.completeness",
    "app.excel_io": "app.operations.workbooks",
    "app.stats": "app.monitoring.stats",
    "app.scoring": "app.monitoring.scoring",
    "app.anomalies": "app.monitoring.warnings",
    "app.charts": "app.monitoring.charts",
    "app.geo": "app.monitoring.geo",
    "app.exports": "app.monitoring.exports",
    "app.nominations": "app.board.nominations",
    "app.users_admin": "app.admin.users",
    "app.campaign_admin": "app.admin.campaigns",
    "app.questionnaire_admin": "app.admin.questionnaire_builder",
    "app.xlsform": "app.admin.xlsform",
    "app.audit_view": "app.admin.audit_log",
    "app.qr": "app.admin.qr",
    "app.qr_service": "app.admin.qr_bundle",
    "app.backup": "app.admin.backup",
    "app.admin_cli": "app.cli.admin",
    "app.stats_cli": "app.cli.stats",
    "app.ui.entry": "app.ui.core.entry",
    "app.ui.menu": "app.ui.core.menu",
    "app.ui.session": "app.ui.core.session",
    "app.ui.layout": "app.ui.core.layout",
    "app.ui.text": "app.ui.core.text",
    "app.ui.auth_view": "app.ui.core.auth_view",
    "app.ui.streamlit_fixes": "app.ui.core.streamlit_fixes",
    "app.ui.gate": "app.ui.survey.gate",
    "app.ui.survey_page": "app.ui.survey.survey_page",
    "app.ui.survey_form": "app.ui.survey.survey_form",
    "app.ui.picker": "app.ui.survey.commune_picker",
    "app.ui.ops_view": "app.ui.operations.ops_view",
    "app.ui.dashboard": "app.ui.monitoring.dashboard",
    "app.ui.overview_view": "app.ui.monitoring.overview_view",
    "app.ui.map_view": "app.ui.monitoring.map_view",
    "app.ui.results_view": "app.ui.monitoring.results_view",
    "app.ui.warnings_view": "app.ui.monitoring.warnings_view",
    "app.ui.admin_widgets": "app.ui.admin.widgets",
    "app.ui.questionnaire_builder": "app.ui.admin.questionnaire_builder_view",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)  # the new module itself, not a copy

    def exec_module(self, module) -> None:
        pass  # already executed under its new name


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
