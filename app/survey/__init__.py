"""The public survey: the questionnaire (definitions, validation, scoring), the one write path
for answers (``responses``), the running tallies and the admission of citizens' runs.

``app.survey`` keeps exporting the write path's public names, so ``from app.survey import
submit_response`` (scripts and checks written for the old flat layout) still works; new code
imports ``app.survey.responses``.
"""
__all__ = ["CLOSED", "CODE_MALFORMED", "CODE_MISSING", "CODE_OK", "CODE_UNKNOWN", "DUPLICATE",
           "INVALID", "STORED", "UNKNOWN_COMMUNE", "DatabaseBusy", "Signals", "SubmitResult",
           "find_by_token", "new_submission_token", "resolve_commune_code", "submit_response"]


def __getattr__(name: str):
    # loaded on first use: app.core.campaigns imports app.survey.questionnaire, and the write
    # path imports app.core.campaigns, so an eager import here would be circular
    if name in __all__:
        from app.survey import responses
        return getattr(responses, name)
    raise AttributeError(f"module 'app.survey' has no attribute {name!r}")
