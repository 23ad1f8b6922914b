"""Dependencies injected into the routes (`Annotated` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.state import IndexHolder


async def get_search(request: Request) -> IndexHolder:
    """The open index (see service.state for how a rebuilt one is picked up). Async: a
    plain attribute read needs no trip through the thread pool."""
    return request.app.state.holder


SearchDep = Annotated[IndexHolder, Depends(get_search)]
