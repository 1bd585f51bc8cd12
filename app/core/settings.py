"""Every runtime setting of the app, in one object: the ``QCDC_*`` environment variables.

Each setting is read from the environment first, then (for those with a secrets name) from
Streamlit secrets (``.streamlit/secrets.toml``) when running inside Streamlit. ``VARIABLES`` lists
them all; the README's configuration table documents each (``tests/core/test_settings.py``), and
no other module reads a ``QCDC_*`` variable itself. Nothing here imports Streamlit at module
import time, nor anything of the app or db/ (db.engine reads ``data_dir`` from here).

``read_settings()`` reads them as they are; ``load_settings()`` also applies the start-up rules
(outside demo mode a cookie key of at least 32 characters is required; in demo mode one is
generated for the installation) and is what the app uses at start.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# the demo key of earlier versions, published in the source code: refused in every mode
DEFAULT_DEMO_COOKIE_KEY = "qcdc-demo-cookie-key-not-for-production"
PLACEHOLDER_PREFIX = "change-me"  # deploy/qcdc.env.example's placeholders
ROOT = Path(__file__).resolve().parents[2]

# (environment variable, secrets name or None, default, meaning)
VARIABLES: list[tuple[str, str | None, str | None, str]] = [
    ("QCDC_DEMO", "qcdc.demo_mode", "1", "1 demo mode, 0 production"),
    ("QCDC_COOKIE_KEY", "auth.cookie_key", None, "secret that signs the sign-in cookie"),
    ("QCDC_COOKIE_NAME", "auth.cookie_name", "qcdc_auth", "name of the sign-in cookie"),
    ("QCDC_SESSION_HOURS", "auth.session_hours", "12", "sign-in lifetime in hours"),
    ("QCDC_MAX_PHOTO_MB", "qcdc.max_photo_mb", "10", "largest report photo accepted, MB"),
    ("QCDC_DATA_DIR", None, None, "folder for the SQLite file and uploaded photos"),
    ("QCDC_LANG", None, "vi", "language of the interface (only vi exists)"),
    ("QCDC_I18N_STRICT", None, "0", "1: a missing UI string raises (the tests set it)"),
    ("QCDC_SURVEY_CONCURRENCY", None, "1", "citizens' script runs doing work at once"),
    ("QCDC_SURVEY_MAX_WAIT", None, "20", "seconds a newcomer may wait for the form"),
    ("QCDC_SURVEY_SUBMIT_WAIT", None, "30", "seconds answers being sent may wait"),
    ("QCDC_SURVEY_ANSWERS_FIRST", None, "1.5",
     "seconds answers being sent go before a waiting newcomer"),
    ("QCDC_SWITCH_INTERVAL_S", None, "0.0005", "interpreter lock hand-over interval"),
    ("QCDC_CAMPAIGN_CACHE_S", None, "5", "seconds the active campaign is cached per process"),
    ("QCDC_BOUNDARY_GEOJSON", None, None, "GeoJSON file with the district boundaries"),
    ("QCDC_NEW_PASSWORD", None, None, "password for `app.cli create-user` without a prompt"),
    ("QCDC_SIGNALS_KEY", "qcdc.signals_key", None,
     "secret of the integrity fingerprints (else a key file in the data folder)"),
    ("QCDC_PUBLIC_URL", "qcdc.public_url", None,
     "public address of the app, printed in QR codes, posters and share links"),
    ("QCDC_API_RATE_PER_MIN", None, "60", "read API requests per minute per token"),
    ("QCDC_KIOSK_CODE_MINUTES", None, "5", "minutes an office screen's unopened code lasts"),
    ("QCDC_KIOSK_ANSWER_HOURS", None, "12",
     "hours after opening a screen's code within which the sheet counts as verified"),
]


class ConfigError(RuntimeError):
    """The app must not start with this configuration."""


def _secret(name: str) -> str | None:
    try:
        import streamlit as st
        from streamlit.runtime import exists
        if not exists():
            return None
        node = st.secrets
        for part in name.split("."):
            node = node[part]
        return str(node)
    except Exception:
        return None


def env(name: str) -> str | None:
    """One setting by its variable name (environment, then secrets, then its default)."""
    _, secret, default, _ = next(v for v in VARIABLES if v[0] == name)
    val = os.environ.get(name)
    if val is not None and val.strip() != "":
        return val.strip()
    if secret:
        val = _secret(secret)
        if val is not None and val.strip() != "":
            return val.strip()
    return default


_SECRETS_READ: dict[str, str | None] = {}


def env_secrets_once(name: str) -> str | None:
    """``env`` for a setting asked on every request (the signals key, once per sheet): the
    environment each time, the secrets only once per process. Streamlit searches for its
    secrets files on every lookup when there are none; a change of the secrets applies after
    a restart. Outside Streamlit nothing is remembered (there are no secrets to read yet)."""
    val = os.environ.get(name)
    if val is not None and val.strip() != "":
        return val.strip()
    if name in _SECRETS_READ:
        return _SECRETS_READ[name]
    val = env(name)
    try:
        from streamlit.runtime import exists
        if exists():
            _SECRETS_READ[name] = val
    except Exception:
        pass
    return val


def _truthy(val: str | None) -> bool:
    return str(val).strip().lower() in {"1", "true", "yes", "on", "co", "có"}


def _number(name: str, lo: float) -> float:
    try:
        return max(lo, float(env(name) or 0))
    except ValueError:
        return max(lo, float(next(v[2] for v in VARIABLES if v[0] == name)))


@dataclass(frozen=True)
class Settings:
    demo_mode: bool
    cookie_key: str | None
    cookie_name: str
    session_hours: float
    max_photo_mb: int
    data_dir: Path
    lang: str
    i18n_strict: bool
    survey_concurrency: int
    survey_max_wait_s: float
    survey_submit_wait_s: float
    survey_answers_first_s: float
    switch_interval_s: float
    campaign_cache_s: float
    boundary_geojson: str | None
    signals_key: str | None
    api_rate_per_min: float
    kiosk_code_minutes: float
    kiosk_answer_hours: float
    public_url: str | None = None


def data_dir() -> Path:
    """The data folder alone (QCDC_DATA_DIR): the database engine asks for it on every
    transaction, and reading every setting for it parsed the secrets file search each time."""
    return Path(env("QCDC_DATA_DIR") or (ROOT / "var"))


def read_settings() -> Settings:
    """Every setting as configured, without the start-up checks."""
    return Settings(
        demo_mode=_truthy(env("QCDC_DEMO")),
        cookie_key=env("QCDC_COOKIE_KEY"),
        cookie_name=env("QCDC_COOKIE_NAME") or "qcdc_auth",
        session_hours=float(env("QCDC_SESSION_HOURS") or 12),
        max_photo_mb=int(env("QCDC_MAX_PHOTO_MB") or 10),
        data_dir=data_dir(),
        lang=env("QCDC_LANG") or "vi",
        i18n_strict=_truthy(env("QCDC_I18N_STRICT")),
        survey_concurrency=int(_number("QCDC_SURVEY_CONCURRENCY", 1)),
        survey_max_wait_s=_number("QCDC_SURVEY_MAX_WAIT", 0.0),
        survey_submit_wait_s=_number("QCDC_SURVEY_SUBMIT_WAIT", 1.0),
        survey_answers_first_s=_number("QCDC_SURVEY_ANSWERS_FIRST", 0.0),
        switch_interval_s=float(env("QCDC_SWITCH_INTERVAL_S") or 0.0005),
        campaign_cache_s=_number("QCDC_CAMPAIGN_CACHE_S", 0.0),
        boundary_geojson=env("QCDC_BOUNDARY_GEOJSON"),
        signals_key=env("QCDC_SIGNALS_KEY"),
        public_url=env("QCDC_PUBLIC_URL"),
        api_rate_per_min=_number("QCDC_API_RATE_PER_MIN", 1.0),
        kiosk_code_minutes=_number("QCDC_KIOSK_CODE_MINUTES", 0.1),
        kiosk_answer_hours=_number("QCDC_KIOSK_ANSWER_HOURS", 0.1),
    )


def load_settings() -> Settings:
    """The settings the app starts with: outside demo mode a real cookie key is required; in
    demo mode a missing key becomes a key generated for this installation and kept in the data
    folder (``<data dir>/keys/cookie.key``, app/core/keyfiles.py): never a key anybody could
    read in the source code, so nobody can forge a sign-in cookie for a demo server."""
    s = read_settings()
    key = s.cookie_key
    if not key:
        if not s.demo_mode:
            raise ConfigError(
                "QCDC_COOKIE_KEY (or [auth] cookie_key in .streamlit/secrets.toml) must be set "
                "outside demo mode.")
        from app.core.keyfiles import installation_key
        key = installation_key("cookie", s.data_dir)
    elif key == DEFAULT_DEMO_COOKIE_KEY or key.startswith(PLACEHOLDER_PREFIX):
        raise ConfigError("The cookie key is one published in the source code (the old demo "
                          "key or the placeholder of deploy/qcdc.env.example): set a random one "
                          "(openssl rand -hex 32), or none in demo mode to have one generated.")
    elif not s.demo_mode and len(key) < 32:
        raise ConfigError("The cookie key must be a random string of at least 32 characters "
                          "outside demo mode.")
    streamlit_secret = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
    if streamlit_secret is not None and not s.demo_mode and (
            streamlit_secret.strip().startswith(PLACEHOLDER_PREFIX)
            or len(streamlit_secret.strip()) < 32):
        # Streamlit signs its XSRF tokens (photo uploads) with it: a published or short one
        # lets anybody forge them. Unset, Streamlit draws a random one per process.
        raise ConfigError("STREAMLIT_SERVER_COOKIE_SECRET is the placeholder of "
                          "deploy/qcdc.env.example or shorter than 32 characters: set a random "
                          "one (openssl rand -hex 32), the same in every app process.")
    from dataclasses import replace
    return replace(s, cookie_key=key)
