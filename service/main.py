"""The FastAPI app: routers, error handlers, the page, and the index loaded once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.types import EngineUnavailable, SearchError, UnknownDocument
from practice_search.config import Settings, get_settings
from service.access import install_access
from service.docs import install_docs
from service.limits import Admission, BodyLimit, SecurityHeaders, allowed_hosts
from service.routes import facets, gapmap, health, objectives, practices, search
from service.state import IndexHolder

log = logging.getLogger("practice_search.service")
STATIC = Path(__file__).resolve().parent / "static"
#: The page is revalidated on each visit; its CSP and the other security headers come
#: from service.limits.SecurityHeaders, as for every response.
PAGE_HEADERS = {"Cache-Control": "no-cache"}


def _error(status: int, param: str | None, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"detail": {"param": param, "message": message}, **extra}
    )


#: Seconds a client is told to wait when the engine holding the index (Milvus) is down.
ENGINE_RETRY_AFTER_S = 5

#: The search core's parameter names -> the API's, and how a message names them.
_API_NAMES = {"query": "q"}
_SUBJECTS = {"q": "the query (q)"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SearchError)
    async def search_error(_: Request, exc: SearchError) -> JSONResponse:
        param = _API_NAMES.get(exc.param, exc.param)
        message = exc.message
        if message.split(" ", 1)[0] in ("is", "must", "are"):  # "is empty" -> "the query is empty"
            message = f"{_SUBJECTS.get(param, param)} {message}"
        return _error(422, param, message)

    @app.exception_handler(EngineUnavailable)
    async def engine_unavailable(request: Request, exc: EngineUnavailable) -> JSONResponse:
        # the engine's outage, not the request's fault: a 503 the client may retry
        log.error("search engine unavailable on %s %s: %s", request.method, request.url.path, exc)
        resp = _error(503, None, "the search engine that holds the index could not answer; try again in a few "
                                 "seconds (the server's log says why)")
        resp.headers["Retry-After"] = str(ENGINE_RETRY_AFTER_S)
        return resp

    @app.exception_handler(UnknownDocument)
    async def unknown_document(_: Request, exc: UnknownDocument) -> JSONResponse:
        return _error(404, "doc_id", f"{exc}; take ids from /search results (doc_id)")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict):  # raised by a route, already {"param", "message"}
            return JSONResponse(
                status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
            )
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"nothing at {request.url.path}: the endpoints are listed at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}: see /docs"
        return _error(exc.status_code, None, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = list(first.get("loc", ()))
        # ("query", "k") -> "k"; ("body", "objective", 0) -> "objective"; ("body", 12) (bad JSON) -> "body"
        param = (
            str(loc[1])
            if len(loc) > 1 and isinstance(loc[1], str)
            else str(loc[0] if loc else "request")
        )
        message = f"{first.get('msg', 'invalid value')}"
        if "input" in first and not isinstance(first["input"], dict):
            message += f" (got {str(first['input'])[:80]!r})"
        simple = [
            {"param": ".".join(str(x) for x in e.get("loc", ())), "message": e.get("msg")}
            for e in errors
        ]
        return _error(422, param, message, errors=simple)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(
            500,
            None,
            "the server failed on this request; it was logged. Try again, or simplify the query.",
        )


async def _watch(holder: IndexHolder, stop: asyncio.Event) -> None:
    """Pick up a rebuilt index without a restart: check about once a second."""
    while not stop.is_set():
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=holder.check_interval)
        if not stop.is_set():
            await asyncio.to_thread(holder.maybe_reload)


def create_app(
    index_dir: str | Path, embedder: Any = None, settings: Settings | None = None,
    listen_host: str | None = None,
) -> FastAPI:
    """Build the app. The index opens once at start-up (lifespan); `embedder` lets
    tests pass a fake encoder instead of loading the model; `settings` bound queries, k
    and the server's limits; `listen_host` (the address `serve` binds) is an allowed Host."""
    settings = settings or get_settings()
    holder = IndexHolder(Path(index_dir), embedder=embedder, settings=settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(holder.load)
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch(holder, stop))
        try:
            yield
        finally:
            stop.set()
            await watcher

    app = FastAPI(
        title="practice-search",
        summary="Multilingual (Spanish/English) semantic search over migration-governance practices (GCM).",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by service.docs from local files, not from a CDN
        redoc_url=None,
    )
    app.state.holder = holder
    _install_error_handlers(app)
    app.add_middleware(
        GZipMiddleware, minimum_size=1000
    )  # results are text: much smaller on slow links
    app.add_middleware(Admission, active=settings.max_active_requests, queued=settings.max_queued_requests)
    # outermost last: host check, then headers on every answer (errors included), then CORS,
    # the API key (before any body is read), then the body's size and deadline, then the
    # admission of expensive requests (a queued request has its body, and holds no slot
    # while a slow client sends it)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    install_access(app, settings)
    app.add_middleware(SecurityHeaders)
    hosts = allowed_hosts(settings, listen_host)
    if "*" not in hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    for module in (search, practices, facets, objectives, gapmap, health):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_docs(app)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    return app
