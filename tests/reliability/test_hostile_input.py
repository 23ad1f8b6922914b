"""Malformed and hostile requests against a real server (fake encoder, 127.0.0.1): each is
answered with a 4xx (or a 200 where the input is merely odd), never a 5xx, a traceback or
a file from outside the index; and the server keeps answering afterwards."""

from __future__ import annotations

import re
import socket
import urllib.parse

import httpx
import pytest

from tests.reliability.conftest import XSS_ID
from tests.service.conftest import Server

MB = 1024 * 1024


def send_raw(server: Server, method: str, raw_path: bytes, **kw) -> httpx.Response:
    """Send a path exactly as written (no client-side normalisation or encoding)."""
    with httpx.Client(timeout=60) as c:
        req = c.build_request(method, httpx.URL(server.url, raw_path=raw_path), **kw)
        return c.send(req)


def assert_no_server_error(r: httpx.Response) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert "root:x:0:0" not in r.text  # /etc/passwd never leaks


def assert_still_serving(server: Server) -> None:
    with server.client() as c:
        assert c.get("/health").status_code == 200
        r = c.get("/search", params={"q": "trafficking migrants", "k": 3})
        assert r.status_code == 200 and r.json()["hits"]


def raw_request(server: Server, request: bytes, timeout: float = 60) -> tuple[int | None, bytes]:
    """Send bytes over a plain socket (httpx refuses URLs over 64 KiB); (status, response).
    Status None: the server closed the connection without an HTTP answer."""
    url = httpx.URL(server.url)
    with socket.create_connection((url.host, url.port), timeout=timeout) as s:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole request was read
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return (int(m.group(1)) if m else None), data


def test_one_megabyte_query_string_is_refused_cleanly(hostile_server: Server):
    q = urllib.parse.quote("migración " * (MB // 10))
    status, data = raw_request(
        hostile_server, f"GET /search?q={q} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    )
    # refused with a 4xx, or the HTTP layer drops the over-long request line; never a 5xx
    assert status is None or 400 <= status < 500, (status, data[:300])
    assert b"Traceback" not in data
    assert_still_serving(hostile_server)


def test_one_megabyte_json_body_is_refused_cleanly(hostile_server: Server):
    with hostile_server.client() as c:
        r = c.post("/search", json={"q": "x" * MB, "k": 5})
        assert_no_server_error(r)
        assert r.status_code in (413, 422), r.status_code
        r = c.post("/search", json={"q": "migrants", "country": ["PE"] * 50_000})
        assert_no_server_error(r)
    assert_still_serving(hostile_server)


@pytest.mark.parametrize(
    "q",
    ["migrants\x00trafficking", "\x00", "\x01\x02\x1b[31m\x7f", "trata\r\nX-Injected: 1", "\u202emigrants\u200b\ufeff"],
    ids=["nul-inside", "nul-only", "control-chars", "crlf", "bidi-zero-width"],
)
def test_control_characters_and_nul_bytes(hostile_server: Server, q: str):
    with hostile_server.client() as c:
        for r in (
            c.get("/search", params={"q": q}),
            c.post("/search", json={"q": q}),
            c.get("/facets", params={"q": q}),
            c.get("/search", params={"q": "migrants", "country": q}),
            c.get("/gapmap", params={"q": q}),
        ):
            assert_no_server_error(r)
            assert "X-Injected" not in r.headers
            if r.status_code == 200:
                r.json()  # well-formed JSON
    assert_still_serving(hostile_server)


@pytest.mark.parametrize(
    "body",
    [
        b'{"q": "\\ud800 migrants"}',
        b'{"q": "\xff\xfe migrants"}', b'{"q": "migrants", "k": 1e400}', b'{"q": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
    ids=["lone-surrogate-escape", "invalid-utf8-body", "huge-number", "deep-nesting"],
)
def test_malformed_json_bodies(hostile_server: Server, body: bytes):
    with hostile_server.client() as c:
        r = c.post("/search", content=body, headers={"content-type": "application/json"})
    assert_no_server_error(r)
    assert_still_serving(hostile_server)


def test_lone_surrogate_in_query_is_a_422_naming_the_query(hostile_server: Server):
    with hostile_server.client() as c:
        r = c.post("/search", content=b'{"q": "\\ud800 migrants"}', headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["param"] == "q"


@pytest.mark.parametrize(
    "raw",
    [b"/search?q=%FF%FE%FD", b"/search?q=mig%C3%28rants", b"/search?q=%C0%AE%C0%AE", b"/search?q=ok&country=%FF",
     b"/facets?q=%ED%A0%80", b"/search?q=%", b"/search?q=%zz&k=%00"],
)
def test_invalid_utf8_and_bad_percent_encoding_in_query_strings(hostile_server: Server, raw: bytes):
    r = send_raw(hostile_server, "GET", raw)
    assert_no_server_error(r)
    if r.status_code == 200:
        r.json()
    assert_still_serving(hostile_server)


@pytest.mark.parametrize(
    "raw",
    [
        b"/practices/..%2F..%2F..%2Fetc%2Fpasswd",
        b"/practices/%2e%2e%2f%2e%2e%2fetc%2fpasswd/similar",
        b"/practices/..%252F..%252Fetc%252Fpasswd",
        b"/practices/%00/similar",
        b"/static/../../../../etc/passwd",
        b"/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/practices/" + b"a" * 20_000,
    ],
)
def test_path_traversal_ids_never_reach_the_file_system(hostile_server: Server, raw: bytes):
    r = send_raw(hostile_server, "GET", raw)
    assert_no_server_error(r)
    assert r.status_code in (400, 404, 414, 422), (r.status_code, r.text[:200])


def test_markup_in_documents_comes_back_escaped(hostile_server: Server):
    with hostile_server.client() as c:
        body = c.get("/search", params={"q": "trafficking shelters alert", "k": 10}).json()
        hit = next(h for h in body["hits"] if h["doc_id"] == XSS_ID)
        assert "<script>" in hit["title"]  # JSON carries the text as written; the page shows it as text
        for p in hit["passages"]:
            html = p["highlighted"]
            assert "<script" not in html and "<img" not in html and "<svg" not in html, html
            stripped = html.replace("<mark>", "").replace("</mark>", "")
            assert "<" not in stripped and ">" not in stripped, html
        assert any("&lt;script&gt;" in p["highlighted"] or "&lt;img" in p["highlighted"] for p in hit["passages"])
