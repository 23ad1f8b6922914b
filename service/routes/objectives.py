"""/objectives: the 23 GCM objectives with English and Spanish labels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.schemas import ObjectivePublic

router = APIRouter(prefix="/objectives", tags=["objectives"])


@router.get(
    "", response_model=list[ObjectivePublic], summary="The 23 GCM objectives, English and Spanish"
)
def objectives() -> Any:
    from corpus.objectives import OBJECTIVES

    return [
        {
            "number": o.number,
            "short_en": o.short_en,
            "title_en": o.title_en,
            "short_es": o.short_es,
            "title_es": o.title_es,
        }
        for o in OBJECTIVES
    ]
