"""/health: is the index loaded, what is in it, which model and backend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import SearchDep
from service.schemas import HealthPublic

router = APIRouter(prefix="/health", tags=["health"])


def limits(settings: Any) -> dict[str, int]:
    """What a client may ask for: the page bounds its query box and pages by these."""
    from practice_search.config import get_settings

    s = settings or get_settings()
    return {"max_query_chars": s.max_query_chars, "max_k": s.max_k, "max_export_rows": s.max_export_rows,
            "max_filter_values": s.max_filter_values}


@router.get(
    "", response_model=HealthPublic, summary="Index loaded, counts, model, backend, build time"
)
async def health(search: SearchDep) -> Any:
    """On the event loop (in-memory counts only), so it answers while every thread of the
    pool is busy with searches."""
    stats = search.call("stats")
    embedder = search.index.embedder
    return {
        "index_loaded": True,
        "index_dir": search.index_dir.name,  # the folder's name, not where it lies on the server
        "documents": stats.get("documents"),
        "passages": stats.get("passages"),
        "model": stats.get("model"),
        "backend": stats.get("backend"),
        "built_at": stats.get("built_at"),
        "loaded_at": search.loaded_at,
        "reloads": search.reloads,
        "query_runtime": getattr(embedder, "query_runtime", None),
        # the index's own figures, without the server's filesystem paths
        "stats": {k: v for k, v in stats.items() if k != "index"},
        "limits": limits(search.settings),
    }
