"""Streamlit glue shared by the dashboard pages: campaign and unit pickers, live refresh, caches.

The district and commune pickers are kept in step with the address (``?huyen=213&xa=07213``), so
a link from a warning or a bookmark opens the same drill-down; their options are only the units the
signed-in user may see, and the services check the scope again.
"""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

from app.core.auth import Scope
from app.core.campaigns import active_campaign, list_campaigns
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import geography

KEY_CAMPAIGN = "dash_campaign"
KEY_DISTRICT = "huyen"
KEY_COMMUNE = "xa"
KEY_LIVE = "dash_live"
KEY_URL_SYNCED = "dash_url_synced"
REFRESH_SECONDS = 30
CACHE_SECONDS = 10


def wide_page() -> None:
    st.set_page_config(layout="wide")


def dashboard_page(key: str, intro: str | None = None) -> tuple[Scope, int]:
    """The common head of the dashboard pages: role check (``require_page``), wide layout,
    title, optional intro caption and the campaign picker. Stops the run when there is no
    campaign to show (the picker says so)."""
    from app.ui.core.session import require_page
    scope = require_page(key)
    wide_page()
    st.title(t(f"nav.{key}"))
    if intro:
        st.caption(intro)
    campaign_id = campaign_picker()
    if campaign_id is None:
        st.stop()
    return scope, campaign_id


def _scope_key(scope: Scope) -> tuple:
    return (scope.username, scope.role, scope.district_code, scope.commune_code)


def _scope_of(key: tuple) -> Scope:
    username, role, dcode, ccode = key
    return Scope(username=username, name=username, role=role, district_code=dcode,
                 commune_code=ccode)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=200)
def _overview(scope_key: tuple, campaign_id: int, district: str | None, commune: str | None):
    from app.monitoring.stats import overview
    return overview(_scope_of(scope_key), campaign_id, district_code=district,
                    commune_code=commune)


def cached_overview(scope: Scope, campaign_id: int, district: str | None,
                    commune: str | None):
    """The overview for this scope and drill-down, shared between users for a few seconds."""
    return _overview(_scope_key(scope), campaign_id, district, commune)


REPORT_SECONDS = 60


@st.cache_data(ttl=REPORT_SECONDS, show_spinner=False, max_entries=8)
def _report(campaign_id: int):
    from app.monitoring.warnings import engine_report
    return engine_report(campaign_id)


def cached_report(campaign_id: int):
    """The integrity engine's judgement of the whole campaign, shared by every user and page
    for a minute (its baselines are the campaign's; each page narrows it to the user's scope);
    a review or an exclusion clears it at once."""
    return _report(campaign_id)


@st.cache_data(ttl=30, show_spinner=False, max_entries=100)
def _warnings(scope_key: tuple, campaign_id: int, district: str | None, commune: str | None):
    from app.monitoring.warnings import compute_warnings
    return compute_warnings(_scope_of(scope_key), campaign_id, district_code=district,
                            commune_code=commune, report=cached_report(campaign_id))


def cached_warnings(scope: Scope, campaign_id: int, district: str | None = None,
                    commune: str | None = None):
    """Warnings for this scope and drill-down, cached 30 s (keyed by campaign and scope)."""
    return _warnings(_scope_key(scope), campaign_id, district, commune)


@st.cache_data(ttl=30, show_spinner=False, max_entries=100)
def _open_high(scope_key: tuple, campaign_id: int) -> dict[str, list[str]]:
    from app.monitoring.warnings import open_high_by_commune
    found = open_high_by_commune(_scope_of(scope_key), campaign_id,
                                 report=cached_report(campaign_id))
    return {code: [w.label for w in ws] for code, ws in found.items()}


def cached_open_high(scope: Scope, campaign_id: int) -> dict[str, list[str]]:
    """{commune code: labels of its open high-score warnings} in this scope (empty for roles
    that do not see warnings)."""
    from app.monitoring.warnings import READER_ROLES
    if scope.role not in READER_ROLES:
        return {}
    return _open_high(_scope_key(scope), campaign_id)


def bump_warnings() -> None:
    """After a review or an exclusion: every user sees it on the next run."""
    _report.clear()
    _warnings.clear()
    _open_high.clear()
    _overview.clear()


@st.cache_data(ttl=600, show_spinner=False)
def outlines(district_codes: tuple[str, ...] | None) -> dict:
    from app.monitoring.geo import district_outlines
    return district_outlines(list(district_codes) if district_codes is not None else None)


def campaign_picker() -> int | None:
    """The campaign to show: the active one by default; others can be chosen."""
    campaigns = list_campaigns()
    if not campaigns:
        st.info(t("dashboard.no_campaign"))
        return None
    active = active_campaign()
    ids = [c.id for c in campaigns]
    names = {c.id: f"{c.name} ({fmt_date(c.start_date)} – {fmt_date(c.end_date)})"
             for c in campaigns}
    default = active.campaign.id if active and active.campaign.id in ids else ids[0]
    if len(ids) == 1:
        return ids[0]
    if st.session_state.get(KEY_CAMPAIGN) not in ids:
        st.session_state[KEY_CAMPAIGN] = default
    return st.selectbox(t("dashboard.campaign"), ids, format_func=names.get, key=KEY_CAMPAIGN)


def _clear_commune() -> None:
    st.session_state[KEY_COMMUNE] = None


def _from_url(scope: Scope) -> None:
    """Apply ``?huyen=<district code>&xa=<commune code>`` when the address brings new values (a
    link from a warning, a bookmark, the browser's back button). Codes outside the user's scope
    are ignored; otherwise the user's last choice, kept in the session, stays."""
    geo = geography()
    qp_d = st.query_params.get(KEY_DISTRICT) or None
    qp_c = st.query_params.get(KEY_COMMUNE) or None
    if (qp_d, qp_c) == st.session_state.get(KEY_URL_SYNCED) or (qp_d is None and qp_c is None):
        return
    c = geo.by_code.get(qp_c or "")
    if c is not None and scope.can_see_commune(c.code, c.district_code):
        if scope.province_wide and qp_d is not None:
            st.session_state[KEY_DISTRICT] = c.district_code
        st.session_state[KEY_COMMUNE] = c.code
    elif qp_c is None and qp_d and scope.province_wide and geo.district(qp_d) is not None:
        st.session_state[KEY_DISTRICT] = qp_d
        st.session_state[KEY_COMMUNE] = None


def _to_url(dcode: str | None, ccode: str | None, with_district: bool) -> None:
    """Keep the address in step with the drill-down, so it can be bookmarked or shared."""
    wanted = {KEY_DISTRICT: dcode if with_district else None, KEY_COMMUNE: ccode}
    for key, value in wanted.items():
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    st.session_state[KEY_URL_SYNCED] = (wanted[KEY_DISTRICT], wanted[KEY_COMMUNE])


def unit_pickers(scope: Scope, *, with_commune: bool = True,
                 container=None) -> tuple[str | None, str | None]:
    """District and commune drill-down selectboxes limited to the user's scope, in step with
    the address (``?huyen=213&xa=07213``)."""
    geo = geography()
    _from_url(scope)
    box = container or st
    cols = box.columns(2) if with_commune else [box]
    if scope.province_wide:
        districts = [d.code for d in geo.districts]
        names = {d.code: d.full_name for d in geo.districts}
        if st.session_state.get(KEY_DISTRICT) not in (None, *districts):
            st.session_state[KEY_DISTRICT] = None
        dcode = cols[0].selectbox(t("common.district"), districts, index=None,
                                  format_func=names.get, placeholder=t("dashboard.whole_province"),
                                  key=KEY_DISTRICT, persist_state="session",
                                  on_change=_clear_commune)
    else:
        dcode = scope.district_code
        d = geo.district(dcode or "")
        cols[0].selectbox(t("common.district"), [dcode], format_func=lambda _c: d.full_name if d
                          else "", disabled=True, key="dash_own_district")
    ccode = None
    if with_commune:
        visible = scope.visible_commune_codes()
        communes = [c for c in (geo.communes_of(dcode) if dcode else geo.communes)
                    if visible is None or c.code in visible]
        labels = {c.code: (c.full_name if dcode else f"{c.full_name} – {c.district_name}")
                  for c in communes}
        if st.session_state.get(KEY_COMMUNE) not in (None, *labels):
            st.session_state[KEY_COMMUNE] = None
        ccode = cols[1].selectbox(t("common.commune"), list(labels), index=None,
                                  format_func=labels.get,
                                  placeholder=t("dashboard.all_communes"), key=KEY_COMMUNE,
                                  persist_state="session")
    _to_url(dcode if scope.province_wide else None, ccode, scope.province_wide)
    if ccode and not dcode:
        dcode = geo.by_code[ccode].district_code
    return dcode, ccode


def live_toggle() -> timedelta | None:
    """The pause switch of the live refresh; returns the fragment's run_every."""
    live = st.toggle(t("dashboard.live"), value=True, key=KEY_LIVE, persist_state="session",
                     help=t("dashboard.live_help", seconds=REFRESH_SECONDS))
    return timedelta(seconds=REFRESH_SECONDS) if live else None


def live_overview(scope: Scope, campaign_id: int, district: str | None, commune: str | None,
                  run_every, render) -> None:
    """Draw ``render(overview)`` in a fragment that refreshes itself every ``run_every``
    (None: paused); a refused unit or a missing campaign is said in Vietnamese instead."""
    from app.core.auth import AuthError
    from app.ui.core.session import live_fragment

    @live_fragment(run_every=run_every)  # each rerun checks the session first
    def live() -> None:
        try:
            ov = cached_overview(scope, campaign_id, district, commune)
        except AuthError as exc:
            st.error(str(exc))
            return
        except LookupError:
            st.info(t("dashboard.no_campaign"))
            return
        render(ov)

    live()
