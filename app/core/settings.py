"""Runtime settings: demo mode, cookie key, session lifetime.

Read from the environment first, then from Streamlit secrets (``.streamlit/secrets.toml``) when
running inside Streamlit. Nothing here imports Streamlit at module import time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DEMO_COOKIE_KEY = "qcdc-demo-cookie-key-not-for-production"


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


def _get(env: str, secret: str, default: str | None = None) -> str | None:
    val = os.environ.get(env)
    if val is not None and val.strip() != "":
        return val.strip()
    val = _secret(secret)
    if val is not None and val.strip() != "":
        return val.strip()
    return default


def _truthy(val: str | None) -> bool:
    return str(val).strip().lower() in {"1", "true", "yes", "on", "co", "có"}


@dataclass(frozen=True)
class Settings:
    demo_mode: bool
    cookie_key: str
    cookie_name: str
    session_hours: float
    max_photo_mb: int


def load_settings() -> Settings:
    demo = _truthy(_get("QCDC_DEMO", "qcdc.demo_mode", "1"))
    key = _get("QCDC_COOKIE_KEY", "auth.cookie_key")
    if not key:
        if not demo:
            raise ConfigError(
                "QCDC_COOKIE_KEY (or [auth] cookie_key in .streamlit/secrets.toml) must be set "
                "outside demo mode.")
        key = DEFAULT_DEMO_COOKIE_KEY
    elif not demo and (key == DEFAULT_DEMO_COOKIE_KEY or len(key) < 32):
        raise ConfigError("The cookie key must be a random string of at least 32 characters "
                          "and not the demo key outside demo mode.")
    return Settings(
        demo_mode=demo,
        cookie_key=key,
        cookie_name=_get("QCDC_COOKIE_NAME", "auth.cookie_name", "qcdc_auth") or "qcdc_auth",
        session_hours=float(_get("QCDC_SESSION_HOURS", "auth.session_hours", "12") or 12),
        max_photo_mb=int(_get("QCDC_MAX_PHOTO_MB", "qcdc.max_photo_mb", "10") or 10),
    )
