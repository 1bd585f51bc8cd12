"""SQLModel tables of QCDC Survey.

All timestamps are naive local times in Vietnam (Asia/Ho_Chi_Minh, UTC+7): the campaign is run by
local days and every user reads local clocks. JSON payloads (answers, definitions, audit values)
are stored as text so that SQLite and PostgreSQL behave the same.
"""
from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class District(SQLModel, table=True):
    __tablename__ = "district"
    code: str = Field(primary_key=True, max_length=3)
    name: str
    full_name: str


class Commune(SQLModel, table=True):
    __tablename__ = "commune"
    code: str = Field(primary_key=True, max_length=5)
    name: str
    type: str  # Xã, Phường, Thị trấn
    full_name: str
    district_code: str = Field(foreign_key="district.code", index=True)
    lat: float
    lon: float
    coord_quality: str = "centroid"
    has_farmers_association: bool = True


class Questionnaire(SQLModel, table=True):
    """A versioned questionnaire definition. A version that has answers is never edited."""
    __tablename__ = "questionnaire"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_questionnaire_code_version"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True)
    version: int
    title: str
    definition: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    created_at: NaiveDatetime
    created_by: str | None = None


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    year: int
    start_date: date
    end_date: date
    roster_deadline: date
    report_cutoff: str = "20:00"  # local time of day after which a day's report is read-only
    ratio_low: float = 0.3   # answers / visits below this is "too low"
    ratio_high: float = 1.2  # answers / visits above this is "too high"
    min_sample: int = 30
    friendly_threshold: float = 80.0
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    base_url: str = "http://localhost:8501"
    is_active: bool = False
    is_demo: bool = False
    created_at: NaiveDatetime | None = None


class Response(SQLModel, table=True):
    """One citizen's answer sheet. `submission_token` makes a submission idempotent."""
    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_campaign_commune_day", "campaign_id", "commune_code", "day"),
        Index("ix_response_campaign_device", "campaign_id", "device_hash"),
        Index("ix_response_campaign_answer_hash", "campaign_id", "answer_hash"),
        # covering: verified sheets per commune and day (app/survey/kiosk.py)
        Index("ix_response_campaign_verified", "campaign_id", "verified", "commune_code", "day",
              "excluded"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    commune_code: str = Field(foreign_key="commune.code")
    questionnaire_id: int = Field(foreign_key="questionnaire.id")
    answers: str = Field(sa_column=Column(Text, nullable=False))  # JSON {question_id: value}
    scores: str = Field(sa_column=Column(Text, nullable=False, default="{}"))  # JSON {pillar: 0-100}
    submitted_at: NaiveDatetime
    day: date
    hour: int
    submission_token: str = Field(unique=True, max_length=64)
    # anonymous integrity signals (hashes, never raw identifiers)
    session_hash: str | None = Field(default=None, max_length=64)
    device_hash: str | None = Field(default=None, max_length=64)
    network_hash: str | None = Field(default=None, max_length=64)
    answer_hash: str | None = Field(default=None, max_length=64)
    duration_s: float | None = None
    excluded: bool = False
    is_demo: bool = False
    # integrity engine (app/integrity): keyed hashes of the browser (a cookie surviving reloads)
    # and of the user agent alone; coarse client facts; the closed answers as a short pattern
    browser_hash: str | None = Field(default=None, max_length=64)
    agent_hash: str | None = Field(default=None, max_length=64)
    client_tz: str | None = Field(default=None, max_length=64)
    client_tz_offset: int | None = None
    client_locale: str | None = Field(default=None, max_length=35)
    answer_pattern: str | None = Field(default=None, max_length=128)
    # sent with a one-time code of the commune's office screen, opened on this sheet's phone
    # and used by no other sheet (app/survey/kiosk.py): the citizen stood at the counter
    verified: bool = False


class CommuneHourTally(SQLModel, table=True):
    """Running count of responses per commune and local hour, kept in the submit transaction."""
    __tablename__ = "commune_hour_tally"
    # covering index: the overview sums answers per day and hour without sorting (app/monitoring/stats.py)
    __table_args__ = (Index("ix_commune_hour_tally_day_hour", "campaign_id", "day", "hour", "n"),)
    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    commune_code: str = Field(primary_key=True, foreign_key="commune.code")
    day: date = Field(primary_key=True)
    hour: int = Field(primary_key=True)
    n: int = 0
    n_excluded: int = 0


class OptionTally(SQLModel, table=True):
    """Running count of each chosen option per commune and question (distribution charts)."""
    __tablename__ = "option_tally"
    # covering index: the overview sums each option over communes without sorting (app/monitoring/stats.py)
    __table_args__ = (Index("ix_option_tally_question", "campaign_id", "questionnaire_id",
                            "question_id", "option_value", "n"),)
    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    commune_code: str = Field(primary_key=True, foreign_key="commune.code")
    questionnaire_id: int = Field(primary_key=True, foreign_key="questionnaire.id")
    question_id: str = Field(primary_key=True)
    option_value: str = Field(primary_key=True)
    n: int = 0


class ScoreTally(SQLModel, table=True):
    """Running sum and sum of squares of per-response pillar scores (index and its interval)."""
    __tablename__ = "score_tally"
    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    commune_code: str = Field(primary_key=True, foreign_key="commune.code")
    pillar: str = Field(primary_key=True)
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    name: str
    email: str | None = None
    password_hash: str
    role: str  # admin, province, farmers, district, commune, screen (office screen only)
    district_code: str | None = Field(default=None, foreign_key="district.code")
    commune_code: str | None = Field(default=None, foreign_key="commune.code")
    active: bool = True
    must_change_password: bool = False
    failed_attempts: int = 0
    locked_until: NaiveDatetime | None = None
    is_demo: bool = False
    # created, or its password, role, unit or state changed, while the app ran in demo mode
    # (where anybody could sign in as demo.admin): disabled when the app starts in production
    # until an administrator resets its password there (app/core/auth.py, app/core/demo.py)
    made_in_demo: bool = False
    created_at: NaiveDatetime | None = None
    last_login_at: NaiveDatetime | None = None
    # sessions (and sign-in cookies) issued at or before this local time are refused: set on
    # sign-out, password change or reset, and when the account is disabled
    sessions_revoked_at: NaiveDatetime | None = None


class RosterEntry(SQLModel, table=True):
    """A helper on a commune's duty schedule (one row per person, days as a JSON list)."""
    __tablename__ = "roster_entry"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    commune_code: str = Field(foreign_key="commune.code", index=True)
    full_name: str
    position: str = ""
    organisation: str
    phone: str
    duty_days: str = Field(sa_column=Column(Text, nullable=False, default="[]"))  # JSON ["2024-05-06"]
    shift: str  # sang, chieu, ca_ngay
    updated_at: NaiveDatetime | None = None
    updated_by: str | None = None


class RosterStatus(SQLModel, table=True):
    """When a commune submitted / published its roster for a campaign."""
    __tablename__ = "roster_status"
    campaign_id: int = Field(primary_key=True, foreign_key="campaign.id")
    commune_code: str = Field(primary_key=True, foreign_key="commune.code")
    submitted_at: NaiveDatetime | None = None
    published: bool = False
    contact_name: str | None = None
    contact_phone: str | None = None


class Inspector(SQLModel, table=True):
    """A leader or cadre assigned to direct, inspect and supervise some communes on some days."""
    __tablename__ = "inspector"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    full_name: str
    position: str = ""
    organisation: str = ""
    phone: str = ""
    district_code: str | None = Field(default=None, foreign_key="district.code")
    commune_codes: str = Field(sa_column=Column(Text, nullable=False, default="[]"))  # JSON list
    days: str = Field(sa_column=Column(Text, nullable=False, default="[]"))  # JSON list of ISO dates
    created_by: str | None = None
    updated_at: NaiveDatetime | None = None


class DailyReport(SQLModel, table=True):
    __tablename__ = "daily_report"
    __table_args__ = (UniqueConstraint("campaign_id", "commune_code", "day",
                                       name="uq_daily_report_commune_day"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    commune_code: str = Field(foreign_key="commune.code", index=True)
    day: date
    visits: int = 0
    guided: int = 0
    helpers_on_duty: int = 0
    publicity: str = Field(sa_column=Column(Text, nullable=False, default="[]"))  # JSON list
    difficulties: str = Field(sa_column=Column(Text, nullable=False, default=""))
    proposals: str = Field(sa_column=Column(Text, nullable=False, default=""))
    created_at: NaiveDatetime | None = None
    updated_at: NaiveDatetime | None = None
    updated_by: str | None = None
    is_demo: bool = False


class DossierCount(SQLModel, table=True):
    """The one-stop office's own count of dossiers received by a commune on a day, imported by
    district or province staff from the one-stop software (an independent count of visits:
    the daily report's visits come from the team whose answers are judged)."""
    __tablename__ = "dossier_count"
    __table_args__ = (UniqueConstraint("campaign_id", "commune_code", "day",
                                       name="uq_dossier_count_commune_day"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    commune_code: str = Field(foreign_key="commune.code", index=True)
    day: date
    dossiers: int = 0
    imported_at: NaiveDatetime | None = None
    imported_by: str | None = None
    source: str = ""              # the imported file's name


class ReportPhoto(SQLModel, table=True):
    __tablename__ = "report_photo"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="daily_report.id", index=True)
    path: str
    thumb_path: str
    width: int = 0
    height: int = 0
    caption: str = ""
    uploaded_at: NaiveDatetime | None = None


class Nomination(SQLModel, table=True):
    __tablename__ = "nomination"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    kind: str  # collective, individual
    name: str
    unit: str = ""
    commune_code: str | None = Field(default=None, foreign_key="commune.code")
    district_code: str | None = Field(default=None, foreign_key="district.code")
    achievements: str = Field(sa_column=Column(Text, nullable=False, default=""))
    evidence: str = Field(sa_column=Column(Text, nullable=False, default="{}"))  # JSON snapshot
    status: str = "proposed"  # proposed, shortlisted, approved, rejected
    proposed_by: str | None = None
    proposed_at: NaiveDatetime | None = None
    decided_by: str | None = None
    decided_at: NaiveDatetime | None = None
    history: str = Field(sa_column=Column(Text, nullable=False, default="[]"))  # JSON steps


class WarningReview(SQLModel, table=True):
    """A reviewer's mark on a computed warning (warnings themselves are computed, not stored)."""
    __tablename__ = "warning_review"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    warning_key: str = Field(index=True)
    reviewed_by: str
    reviewed_at: NaiveDatetime
    note: str = ""


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False, default=""))


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(index=True)
    actor: str
    action: str = Field(index=True)
    entity: str
    entity_id: str | None = None
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ApiToken(SQLModel, table=True):
    """A token of the read API (app/api, docs/API.md) for one named consumer, with a role
    (province, district) and unit. Only a hash of the token is stored; ``prefix`` is its public
    part, shown in lists. Use is counted in memory and added here every few seconds."""
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    prefix: str = Field(unique=True, index=True, max_length=16)
    token_hash: str = Field(max_length=64)
    role: str  # province, district
    district_code: str | None = Field(default=None, foreign_key="district.code")
    created_at: NaiveDatetime
    created_by: str
    expires_at: NaiveDatetime | None = None
    revoked_at: NaiveDatetime | None = None
    revoked_by: str | None = None
    last_used_at: NaiveDatetime | None = None
    use_count: int = 0


class KioskCode(SQLModel, table=True):
    """A one-time code shown as a QR by a commune's office screen (app/survey/kiosk.py). Only a
    hash of the code is stored. Opened on a phone, it is bound to that phone's sheet (a hash of
    the sheet's submission token); the sheet sent with it is stored verified and the code marked
    used in the same transaction. ``day`` is the local day it was shown (counts per day)."""
    __tablename__ = "kiosk_code"
    __table_args__ = (Index("ix_kiosk_code_campaign_commune_day", "campaign_id", "commune_code",
                            "day"),)
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, max_length=64)
    campaign_id: int = Field(foreign_key="campaign.id")
    commune_code: str = Field(foreign_key="commune.code")
    screen_session: str = Field(max_length=64)  # a random id of the screen page's session
    day: date
    created_at: NaiveDatetime
    expires_at: NaiveDatetime  # an unopened code cannot be opened after this
    opened_at: NaiveDatetime | None = None
    sheet_token_hash: str | None = Field(default=None, max_length=64)
    used_at: NaiveDatetime | None = None
    response_id: int | None = Field(default=None, foreign_key="response.id")
