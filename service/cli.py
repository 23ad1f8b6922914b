"""`practice-search serve`: the search API and page on uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve the search API and page",
        description="Serve the search API (OpenAPI docs at /docs) and the search page at /. "
        "A rebuilt index in the same folder is picked up without a restart.",
    )
    p.add_argument(
        "--index", required=True, type=Path, help="index folder built by `practice-search index`"
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    import logging
    import os

    import uvicorn

    from indexer.build import read_manifest
    from service.main import create_app

    read_manifest(args.index)  # no index there: say how to build one, before starting anything
    # The server embeds one query per request: at the single-query torch thread count the
    # forward passes of concurrent requests run in parallel, one per core (indexer.embedder).
    os.environ.setdefault(
        "PRACTICE_SEARCH_TORCH_THREADS", os.environ.get("PRACTICE_SEARCH_QUERY_THREADS", "1")
    )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s"
    )
    # FAISS logs each instruction-set build it probes ("No module named
    # faiss.swigfaiss_avx512") at INFO: harmless, and alarming in a server log
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    from practice_search.config import get_settings
    from service.limits import uvicorn_options

    settings = get_settings()
    try:  # one request's vector search on one thread: concurrent requests share the cores
        import faiss

        faiss.omp_set_num_threads(settings.search_threads)
    except ImportError:  # pragma: no cover - faiss is a dependency
        pass
    # the index's model (or the test hook of indexer.build.get_embedder)
    app = create_app(args.index, settings=settings, listen_host=args.host)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, **uvicorn_options(settings))
    return 0
