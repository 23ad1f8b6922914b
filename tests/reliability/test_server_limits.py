"""The server's limits, on a real `practice-search serve` process: bodies, request heads,
repeated filter values, Host headers, connections over the limit, security headers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.service.conftest import Server, build_fake_index, start_server, stop_server


@pytest.fixture(scope="module")
def small_server(seeds_dir: Path, tmp_path_factory) -> Iterator[Server]:
    """A server with small limits, so tests can reach them quickly."""
    index = build_fake_index(seeds_dir, tmp_path_factory.mktemp("limits-index") / "index")
    server = start_server(
        index, tmp_path_factory.mktemp("limits") / "server.log", fake=True,
        env_extra={"PRACTICE_SEARCH_MAX_CONNECTIONS": "4", "PRACTICE_SEARCH_MAX_BODY_BYTES": "20000",
                   "PRACTICE_SEARCH_MAX_HEADER_BYTES": "16384", "PRACTICE_SEARCH_MAX_FILTER_VALUES": "10",
                   "PRACTICE_SEARCH_HEADER_TIMEOUT_S": "1", "PRACTICE_SEARCH_BODY_TIMEOUT_S": "1"},
    )
    yield server
    stop_server(server.process)


def _health(server: Server) -> int:
    return httpx.get(f"{server.url}/health", timeout=5).status_code


def test_a_large_body_is_a_413_announced_or_streamed(small_server: Server):
    big = {"q": "migrants", "country": ["PE"] * 5000}
    r = httpx.post(f"{small_server.url}/search", json=big, timeout=10)
    assert r.status_code == 413 and r.json()["detail"]["param"] == "body"

    def chunks():  # no Content-Length: the limit counts what arrives
        yield b'{"q": "migrants", "country": ['
        for _ in range(5000):
            yield b'"PE", '
        yield b'"PE"]}'

    r = httpx.post(f"{small_server.url}/search", content=chunks(), headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 413
    assert _health(small_server) == 200


def test_too_many_filter_values_is_a_422(small_server: Server):
    r = httpx.get(f"{small_server.url}/search", params={"q": "migrants", "country": ["PE"] * 11}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"]["param"] == "country"
    assert "at most 10" in r.json()["detail"]["message"]
    assert httpx.get(f"{small_server.url}/search", params={"q": "migrants", "country": ["PE"] * 10}, timeout=10).status_code == 200


def test_an_oversized_request_head_is_refused_and_the_server_answers_on(small_server: Server):
    # refused with a 4xx, or the connection closed while the client is still sending
    try:
        status = httpx.get(f"{small_server.url}/health", headers={"x-junk": "a" * 100_000}, timeout=10).status_code
    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
        status = None
    assert status in (None, 400, 431)
    t0 = time.monotonic()
    assert _health(small_server) == 200 and time.monotonic() - t0 < 1
    assert httpx.get(f"{small_server.url}/health", headers={"x-small": "a" * 8000}, timeout=10).status_code == 200


def test_an_unknown_host_header_is_refused(small_server: Server):
    r = httpx.get(f"{small_server.url}/health", headers={"host": "evil.example"}, timeout=10)
    assert r.status_code == 400
    assert httpx.get(small_server.url.replace("127.0.0.1", "localhost") + "/health", timeout=10).status_code == 200


def test_connections_over_the_limit_get_a_503_and_the_server_recovers(small_server: Server):
    u = urlparse(small_server.url)
    idle = [socket.create_connection((u.hostname, u.port), timeout=5) for _ in range(4)]
    try:
        time.sleep(0.3)
        r = httpx.get(f"{small_server.url}/health", timeout=10)
        assert r.status_code == 503
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 10
    while _health(small_server) != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _health(small_server) == 200


def test_a_slow_client_is_disconnected_and_others_are_answered(small_server: Server):
    """Slowloris: connections that trickle a request head are closed after the head
    timeout (1 s here), while a normal client is answered at once; a keep-alive client
    that sends whole requests is not cut."""
    u = urlparse(small_server.url)
    slow = []
    for _ in range(2):  # under this server's limit of 4 connections
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the end of the head
        slow.append(s)
    try:
        for s in slow:
            s.sendall(b"X-a: b\r\n")  # a byte now and then does not reset the deadline
        t0 = time.monotonic()
        assert httpx.get(f"{small_server.url}/health", timeout=5).status_code == 200
        assert time.monotonic() - t0 < 1
        for s in slow:
            s.settimeout(5)
            assert s.recv(1024) == b""  # closed by the server
        assert time.monotonic() - t0 < 4
    finally:
        for s in slow:
            s.close()
    with httpx.Client(base_url=small_server.url, timeout=5) as c:  # keep-alive, whole requests
        for _ in range(3):
            assert c.get("/health").status_code == 200
            time.sleep(0.6)


def test_a_body_that_trickles_in_is_a_408_and_others_are_answered(small_server: Server):
    """A client that sends its head whole, then its body a few bytes at a time, gets a 408
    once the body deadline (1 s here) passes; the server answers others meanwhile."""
    u = urlparse(small_server.url)
    s = socket.create_connection((u.hostname, u.port), timeout=5)
    try:
        s.sendall(b"POST /search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 200\r\n\r\n{\"q\": ")
        t0 = time.monotonic()
        for _ in range(3):
            s.sendall(b" ")  # a byte now and then does not reset the deadline
            assert _health(small_server) == 200 and time.monotonic() - t0 < 1.5
            time.sleep(0.3)
        s.settimeout(5)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - t0 < 4
    finally:
        s.close()
    assert _health(small_server) == 200


def test_security_headers_on_every_response(small_server: Server):
    for path in ("/health", "/search?q=migrants", "/nothing-here", "/static/app.js"):
        r = httpx.get(f"{small_server.url}{path}", timeout=10)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "server" not in r.headers, path
    for path in ("/", "/static/index.html"):  # every HTML page carries the CSP
        r = httpx.get(f"{small_server.url}{path}", timeout=10)
        assert "default-src 'self'" in r.headers["content-security-policy"], path
