"""Nominations (đề xuất khen thưởng): data-backed suggestions, the approval workflow, the final list.

Suggestions are computed from the campaign's data, never typed in:

- collectives (commune working groups), per commune, over the campaign days so far:
  ``reported_every_day`` (a DailyReport for each day), ``ratio_in_band`` (answers / visits inside
  the campaign's band on every reported day with visits; answers from CommuneHourTally, visits
  from DailyReport), ``mobilisation`` (answers per visit over the campaign, the higher the better
  while inside the band), ``roster_on_time`` (RosterStatus.submitted_at on or before the roster
  deadline);
- individuals: helpers of the rosters (RosterEntry) with the most duty shifts (a whole-day duty
  counts two shifts, a morning or afternoon one).

A nomination keeps a JSON **evidence snapshot** of those figures, computed on the server when it
is proposed; later data never changes it.

Workflow and permissions (who may propose, shortlist, approve, reject and reopen, enforced
whatever the page shows), the history and audit of every step, and the final list of 3-5
approved nominations: ``app/board/workflow.py``.
"""
from __future__ import annotations

# The public names of the three parts, so pages and scripts say ``nominations.propose`` etc.:
# evidence (figures, suggestions, snapshots), workflow (proposal -> shortlist -> approve/reject),
# final list (3-5 approved, exports); the shared rules in app/board/rules.py.
from app.board.evidence import (  # noqa: F401
                                CommuneFigures,
                                IndividualFigures,
                                Suggestions,
                                commune_figures,
                                draft_achievements,
                                evidence_summary,
                                suggestions,
)
from app.board.final_list import FinalList, export_excel, export_pdf, final_list  # noqa: F401
from app.board.rules import (  # noqa: F401
                                FINAL_MAX,
                                FINAL_MIN,
                                KINDS,
                                MAX_NAME,
                                MAX_TEXT,
                                NOTE_REQUIRED,
                                PROPOSE_ROLES,
                                REVIEW_ROLES,
                                SHIFT_WEIGHT,
                                STATUSES,
                                TRANSITIONS,
                                VIEW_ROLES,
                                NominationError,
)
from app.board.workflow import (  # noqa: F401
                                NominationView,
                                allowed_actions,
                                blocked_actions,
                                get_nomination,
                                list_nominations,
                                propose,
                                transition,
                                update_nomination,
)
