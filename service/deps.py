"""Dependencies injected into the routes (`Annotated` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.state import IndexHolder


def get_search(request: Request) -> IndexHolder:
    """The open index (see service.state for how a rebuilt one is picked up)."""
    return request.app.state.holder


SearchDep = Annotated[IndexHolder, Depends(get_search)]
