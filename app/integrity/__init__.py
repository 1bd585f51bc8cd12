"""The integrity engine: scores every answer sheet and every group of sheets of a campaign
against baselines taken from the campaign's own data, and explains itself in Vietnamese.

Light to import (the survey page imports ``app.integrity.keys`` and ``app.integrity.signals``
on every submit); the engine itself (numpy, scipy) is imported on first use of ``evaluate``.

- ``keys``: the per-installation secret and the keyed hashes of the signals;
- ``signals``: the coarse client facts and the answer pattern stored with each sheet;
- ``data``: the campaign's rows, read in one query into arrays;
- ``baselines``: what is usual in this campaign (time of day, time on form, user agents,
  client facts, answer patterns, shares per device);
- ``rules``: the groups of sheets (browser, session, fingerprint, network per commune and day;
  copies; excess over the reported visits) and their scores;
- ``explain``: reasons as structured data and plain Vietnamese;
- ``engine``: ``evaluate(campaign_id, scope=None) -> IntegrityReport`` and ``flagged_json``.
"""
from __future__ import annotations

__all__ = ["evaluate", "flagged_json", "IntegrityReport", "Cluster", "SheetFlag"]


def __getattr__(name: str):
    if name in __all__:
        from app.integrity import engine
        return getattr(engine, name)
    raise AttributeError(name)
