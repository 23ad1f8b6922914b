"""Who may call the API: optional API keys, and cross-origin (CORS) access.

- **API keys** (setting `API_KEYS`, off when empty): every request but the page's own files
  (`/`, `/static/...`, `/docs`, its assets and the OpenAPI schema) must carry a key, as
  `Authorization: Bearer KEY` or `X-API-Key: KEY`, or the cookie the page gets from
  `POST /session` after a person types the key (so its links, CSV downloads included, work).
  Keys are compared in constant time, and never logged or echoed.
- **CORS** (setting `CORS_ORIGINS`, off when empty): the origins whose pages may call the API
  from a browser, answered by Starlette's CORSMiddleware. Off, a preflight gets a 403 that
  says which setting opens it (not a 405).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import HTTPException
from pydantic import BaseModel, Field

from practice_search.config import Settings
from service.limits import send_error
from service.schemas import ErrorResponse

__all__ = ["ApiKeys", "NoCrossOrigin", "COOKIE", "session_router", "install_access"]

#: The page's session cookie: the key itself, HttpOnly and SameSite=Strict.
COOKIE = "practice_search_key"
#: Paths anyone may fetch: the page and the API documentation (no data in them).
OPEN_PATHS = ("/", "/docs", "/openapi.json", "/session", "/favicon.ico")
OPEN_PREFIXES = ("/static/", "/docs-assets/")
NEEDS_KEY = (
    "this server needs an API key: send it as 'Authorization: Bearer KEY' or 'X-API-Key: KEY' "
    "(or sign in on the page)"
)


def _headers(scope: dict) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", ())}


def _cookie(raw: bytes, name: str) -> str | None:
    for part in raw.decode("latin-1").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


def key_matches(given: str | None, keys: Iterable[bytes]) -> bool:
    """Constant time in the key's content: every configured key is compared."""
    if not given:
        return False
    candidate = given.encode("utf-8", "surrogateescape")
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate, key)
    return found


def _given_key(scope: dict) -> str | None:
    h = _headers(scope)
    auth = h.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    if b"x-api-key" in h:
        return h[b"x-api-key"].decode("latin-1").strip()
    return _cookie(h.get(b"cookie", b""), COOKIE)


class ApiKeys:
    """Refuse requests without a configured key (401), except OPEN_PATHS and OPEN_PREFIXES
    and CORS preflights (browsers send those without credentials)."""

    def __init__(self, app: Any, keys: list[bytes]):
        self.app, self.keys = app, keys

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self._open(scope) or key_matches(_given_key(scope), self.keys):
            return await self.app(scope, receive, send)
        await send_error(send, 401, "authorization", NEEDS_KEY, [(b"www-authenticate", b"Bearer")])

    @staticmethod
    def _open(scope: dict) -> bool:
        path = scope.get("path", "")
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        h = _headers(scope)
        return scope["method"] == "OPTIONS" and b"origin" in h and b"access-control-request-method" in h


class NoCrossOrigin:
    """With CORS off, a preflight is a 403 naming the setting, instead of a bare 405."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope, receive, send):
        h = _headers(scope) if scope["type"] == "http" else {}
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and b"origin" in h \
                and b"access-control-request-method" in h:
            return await send_error(send, 403, "origin", "cross-origin requests are off on this server; "
                                    "its operator can allow origins with the CORS_ORIGINS setting")
        return await self.app(scope, receive, send)


class _SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=512, description="an API key of this server")


session_router = APIRouter(tags=["session"])
_SIGN_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Not a key of this server"},
    404: {"model": ErrorResponse, "description": "This server has no API keys"},
    422: {"model": ErrorResponse, "description": "No key, or not JSON"},
}


@session_router.post("/session", status_code=204, summary="Sign the page in with an API key",
                     responses=_SIGN_IN_ERRORS)
def sign_in(body: _SignIn, request: Request) -> Response:
    """Where API keys are on, check the key and set the page's HttpOnly cookie with it."""
    keys = request.app.state.api_keys
    if not keys:
        raise HTTPException(404, {"param": None, "message": "this server has no API keys to sign in with"})
    if not key_matches(body.key, keys):
        raise HTTPException(401, {"param": "key", "message": "this is not a key of this server"})
    response = Response(status_code=204)
    response.set_cookie(COOKIE, body.key, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@session_router.delete("/session", status_code=204, summary="Sign the page out")
def sign_out() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def install_access(app: Any, settings: Settings) -> None:
    """Add the key check and the CORS policy (call before the outer middlewares: the host
    check and the security headers wrap them)."""
    keys = [k.get_secret_value().encode("utf-8") for k in settings.api_keys]
    app.state.api_keys = keys
    app.include_router(session_router)
    if keys:
        app.add_middleware(ApiKeys, keys=keys)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept"], max_age=600,
        )
    else:
        app.add_middleware(NoCrossOrigin)
