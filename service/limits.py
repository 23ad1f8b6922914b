"""What keeps one client from stalling the server: body and header limits, a connection
limit with a 503, host checks and security headers on every response.

The ASGI middlewares here wrap the FastAPI app (service.main); `uvicorn_options` gives the
limits that uvicorn itself enforces (request head size, connections, keep-alive).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from practice_search.config import Settings

#: On every response: no MIME sniffing, no framing, no referrer to other sites.
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
}
#: On every HTML response (the page, /docs, /static/index.html): nothing loaded from elsewhere.
HTML_CSP = (
    b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    b"frame-ancestors 'none'"
)


async def send_error(send, status: int, param: str | None, message: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer with the API's error shape ({"detail": {"param", "message"}}) from an ASGI
    middleware, before the app sees the request."""
    body = json.dumps({"detail": {"param": param, "message": message}}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over `max_bytes` with a 413, whether announced by
    Content-Length or streamed (chunked): the body is read at most once past the limit. A
    body that has not all arrived `timeout_s` after the request began is a 408 (a client
    trickling its body would otherwise hold the request, and its memory, indefinitely).

    Before a 413 the rest of the body, up to `DRAIN_BYTES`, is read and dropped (within the
    same deadline): a server that answers and closes while the client is still sending
    makes the client's next write fail with a connection reset, and it never sees the 413
    (seen in the suite on a 1 MB body)."""

    #: A refused body of at most this many bytes is read to its end before the 413.
    DRAIN_BYTES = 16 * 1024 * 1024

    def __init__(self, app, max_bytes: int, timeout_s: float = 10.0):
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                # past DRAIN_BYTES announced: refused at once, the body left unread
                return await self._refuse(send, receive, deadline, 0, more=int(value) <= self.DRAIN_BYTES)
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except TimeoutError:
                return await send_error(send, 408, "body", f"the request body did not arrive within "
                                        f"{self.timeout_s:g} s; send it whole", [(b"connection", b"close")])
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send, receive, deadline, size, more=bool(message.get("more_body")))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refuse(self, send, receive, deadline: float, read: int, more: bool = True):
        """The 413, once the rest of the body (up to DRAIN_BYTES in all) is read and dropped."""
        loop = asyncio.get_running_loop()
        while more and read <= self.DRAIN_BYTES:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                break
            if message["type"] != "http.request":
                return  # the client went away
            read += len(message.get("body", b""))
            more = bool(message.get("more_body"))
        await send_error(send, 413, "body", f"the request body is over {self.max_bytes:,} bytes; send fewer filter values",
                         [(b"connection", b"close")])


class Admission:
    """At most `active` searches (and the other routes that embed or scan the index) run at
    once; up to `queued` more wait their turn on the event loop, holding no thread; past
    that, a 503 with Retry-After. Without it every request in flight takes a thread of the
    pool (40), and on a few cores their forward passes and the interpreter lock thrash: the
    tail grows for everyone, /health included."""

    PATHS = ("/search", "/practices", "/facets", "/gapmap")

    def __init__(self, app, active: int, queued: int):
        self.app, self.active, self.queued = app, active, queued
        self._slots: asyncio.Semaphore | None = None
        self.waiting = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.PATHS):
            return await self.app(scope, receive, send)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.active)
        if self._slots.locked() and self.waiting >= self.queued:
            return await send_error(
                send, 503, None, f"the server is busy ({self.active} requests running, {self.waiting} "
                "waiting); try again in a moment", [(b"retry-after", b"1")])
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            return await self.app(scope, receive, send)
        finally:
            self._slots.release()


class SecurityHeaders:
    """Add SECURITY_HEADERS to every response, and the CSP to every HTML one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS.items() if k not in have]
                ctype = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if ctype.startswith(b"text/html") and b"content-security-policy" not in have:
                    headers.append((b"content-security-policy", HTML_CSP))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, with_headers)


def allowed_hosts(settings: Settings, listen_host: str | None = None) -> list[str]:
    """The Host headers to answer: the settings', plus the address `serve` listens on."""
    hosts = list(settings.allowed_hosts)
    if listen_host and listen_host not in ("0.0.0.0", "::") and listen_host not in hosts:
        hosts.append(listen_host)
    return hosts


def _bounded_head_protocol(seconds: float, max_bytes: int):
    """uvicorn's h11 protocol with a deadline and a size bound for each request head: a
    client that has not sent a whole request line and headers `seconds` after connecting
    (or after its last response) is disconnected, so slow clients (slowloris) do not hold
    connections; a head over `max_bytes` is a 400 (h11's own bound only counts a head that
    arrives in pieces). uvicorn itself only times out idle keep-alive connections, and any
    byte resets that."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _waiting_after: object = None

        _head_bytes = 0

        def _arm(self) -> None:
            self._disarm()
            self._head_bytes = 0
            self._waiting_after = self.cycle  # the request whose successor's head is awaited
            self._head_timer = self.loop.call_later(seconds, self._head_timed_out)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.cycle is self._waiting_after and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.cycle is self._waiting_after:  # still reading this request's head
                end = data.find(b"\r\n\r\n")
                self._head_bytes += len(data) if end < 0 else end
                if self._head_bytes > max_bytes:
                    self._disarm()
                    self.send_400_response(f"request head over {max_bytes} bytes")
                    return
            super().data_received(data)

        def handle_events(self) -> None:
            super().handle_events()
            if self._head_timer is not None and self.cycle is not self._waiting_after:
                self._disarm()  # a whole request head arrived

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeadTimeoutH11


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The limits uvicorn enforces itself. The h11 protocol by default: only h11 bounds the
    request head's size (httptools reads a header of any size before the app sees it), and
    only the h11 protocol here times out a head that arrives too slowly."""
    http: Any = settings.server_http
    if http == "h11":
        http = _bounded_head_protocol(float(settings.header_timeout_s), settings.max_header_bytes)
    return {
        "http": http,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_s,
        "server_header": False,
    }
