"""docs/api-example.md and the README's example stay true: each example request still
answers with the documented status and the same shape (keys, nesting) as the abridged
response."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from tests.conftest import REPO

DOCS = (REPO / "docs" / "api-example.md", REPO / "README.md")
# A ```http block (request line, optional JSON body) followed by a ```json block (the response).
EXAMPLE = re.compile(r"```http\n(?P<request>.*?)```.*?```json\n(?P<response>.*?)```", re.S)


def examples() -> list[tuple[str, str, str | None, int, Any]]:
    out = []
    text = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    for m in EXAMPLE.finditer(text):
        lines = m.group("request").strip().splitlines()
        method, target = lines[0].split()[:2]
        status = re.search(r"^HTTP/1\.1 (\d{3})", m.group("request"), re.M)
        body = "\n".join(
            line for line in lines[1:] if not line.startswith(("HTTP/", "Content-Type"))
        ).strip()
        out.append(
            (
                method,
                target,
                body or None,
                int(status.group(1)) if status else 200,
                json.loads(m.group("response")),
            )
        )
    return out


def shape(value: Any) -> Any:
    """Keys and nesting, not values: dicts by key, lists by their first item."""
    if isinstance(value, dict):
        # Maps keyed by data (counts per country, objective...) keep only their value shape.
        if value and all(re.fullmatch(r"[A-Z]{2}|\d+", k) for k in value):
            return {"*": shape(next(iter(value.values())))}
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def same_shape(documented: Any, actual: Any, path: str = "$") -> None:
    if isinstance(documented, dict):
        assert isinstance(actual, dict), path
        assert documented.keys() == actual.keys(), (path, documented.keys() ^ actual.keys())
        for k in documented:
            same_shape(documented[k], actual[k], f"{path}.{k}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), path
        if documented and actual:
            same_shape(documented[0], actual[0], f"{path}[0]")
    elif documented not in ("NoneType",) and actual not in ("NoneType",):
        assert documented == actual, path


def test_the_doc_has_examples():
    assert len(examples()) >= 2


@pytest.mark.parametrize("example", examples(), ids=lambda e: f"{e[0]} {e[1][:40]}")
def test_api_example_still_holds(api: httpx.Client, example):
    method, target, body, status, documented = example
    r = api.request(
        method, target, content=body, headers={"content-type": "application/json"} if body else None
    )
    assert r.status_code == status, r.text
    same_shape(shape(documented), shape(r.json()))
