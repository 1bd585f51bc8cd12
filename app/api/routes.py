"""The read API's web routes, served by Streamlit's own server beside the app.

Streamlit 1.67's ``streamlit run`` looks for an ``st.App`` in the entry script (AST discovery,
``streamlit/web/server/app_discovery.py``) and then serves it with uvicorn: the app's pages,
its websocket and static files, plus the Starlette routes given to ``st.App(routes=...)``,
which are matched first (streamlit_app.py). Only HTTP glue lives here: each request is turned
into an ``ApiRequest`` and answered by ``app.api.http.handle`` in a worker thread, one at a time
per process (``CONCURRENCY``), so the event loop that carries the citizens' websockets never
waits on the database, JSON or gzip, and the API never takes more than one thread's share of
the interpreter from the survey.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.api.http import ApiRequest, handle
from app.api.tokens import RateLimiter, UsageCounter

log = logging.getLogger("qcdc.api")

PREFIX = "/api/v1"
CONCURRENCY = 1
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_lock = threading.Lock()
_counter: UsageCounter | None = None
_rate: RateLimiter | None = None
_threads: anyio.CapacityLimiter | None = None


def usage_counter() -> UsageCounter:
    global _counter
    with _lock:
        if _counter is None:
            _counter = UsageCounter()
        return _counter


def rate_limiter() -> RateLimiter:
    """One bucket per token: ``QCDC_API_RATE_PER_MIN`` a minute, bursts of a sixth of it."""
    global _rate
    with _lock:
        if _rate is None:
            from app.core.settings import read_settings
            per_minute = read_settings().api_rate_per_min
            _rate = RateLimiter(per_minute, burst=max(2, round(per_minute / 6)))
        return _rate


def _capacity() -> anyio.CapacityLimiter:
    global _threads
    if _threads is None:  # created on the event loop (the only caller)
        _threads = anyio.CapacityLimiter(CONCURRENCY)
    return _threads


async def _serve(request: Request, endpoint: str) -> Response:
    req = ApiRequest(endpoint=endpoint, method=request.method,
                     path_params={k: str(v) for k, v in request.path_params.items()},
                     query=list(request.query_params.multi_items()),
                     headers={k.lower(): v for k, v in request.headers.items()},
                     url=str(request.url.replace(query="")))
    result = await anyio.to_thread.run_sync(
        partial(handle, req, counter=usage_counter(), limiter=rate_limiter()),
        limiter=_capacity())
    return Response(result.body, status_code=result.status, headers=dict(result.headers))


def _route(path: str, endpoint: str) -> Route:
    async def serve(request: Request) -> Response:
        return await _serve(request, endpoint)
    serve.__name__ = f"api_{endpoint}"
    # every method reaches the handler, which answers 405 in JSON for anything but GET/HEAD
    # (a function endpoint with methods=None would answer only GET and HEAD, in plain text)
    return Route(path, serve, methods=ALL_METHODS)


def api_routes() -> list[Route]:
    """The routes for ``st.App(routes=...)``: /api/v1/..., and a JSON 404 for anything else
    under /api/ (instead of the app's page)."""
    return [
        _route(f"{PREFIX}/openapi.json", "openapi"),
        _route(f"{PREFIX}/campaigns", "campaigns"),
        _route(f"{PREFIX}/campaigns/{{campaign}}/questionnaire", "questionnaire"),
        _route(f"{PREFIX}/campaigns/{{campaign}}/communes", "communes"),
        _route(f"{PREFIX}/campaigns/{{campaign}}/daily-reports", "daily_reports"),
        _route(f"{PREFIX}/campaigns/{{campaign}}/responses", "responses"),
        _route("/api/{rest:path}", "not_found"),
    ]


@asynccontextmanager
async def api_lifespan(_app) -> AsyncIterator[None]:
    """For ``st.App(lifespan=...)``: at shutdown, write the uses counted since the last write."""
    yield
    try:
        written = await anyio.to_thread.run_sync(usage_counter().flush)
        if written:
            log.info("API: %d token uses written at shutdown", written)
    except Exception:
        log.exception("API: token uses could not be written at shutdown")
