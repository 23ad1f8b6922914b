"""Indexing throughput with the real model: passages per second, and the share of the
build spent inside the model. The embedding cache is bypassed so every passage runs
through the model; the model itself is loaded once and reused, and so are the GCM
objectives' description vectors (embedded once per process, as a server or a build
does, and kept in the embedding cache)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


class _TimedEncoder:
    """Wraps an embedder: embeds passages without its on-disk cache, timing the model."""

    def __init__(self, embedder: Any):
        self._e = embedder
        self.model_id = embedder.model_id
        self.checksum = embedder.checksum
        self.dim = embedder.dim
        self.model_s = 0.0
        self.texts = 0

    def embed_passages(self, texts, progress: bool = False):
        t0 = time.perf_counter()
        uncached = getattr(self._e, "embed_passages_uncached", None)
        out = uncached(texts, progress=progress) if uncached else self._e.embed_passages(texts, progress=progress)
        self.model_s += time.perf_counter() - t0
        self.texts += len(texts)
        return out

    def embed_queries(self, texts):
        return self._e.embed_queries(texts)

    # the same embedder to `indexer.objectives.model_for`, which embeds the objectives'
    # descriptions once per embedder and process (from the disk cache in the product)
    def __hash__(self) -> int:
        return hash(self._e)

    def __eq__(self, other) -> bool:
        return other is self._e or (isinstance(other, _TimedEncoder) and other._e is self._e)

    def __getattr__(self, name: str):
        # everything else (the passage precision and its checks, prompts ...) is the embedder's
        return getattr(self._e, name)


def bench_indexing(corpus_dir: Path, embedder: Any, *, settings: Any = None, log=print) -> dict[str, Any]:
    """Build a fresh index of `corpus_dir` in a temporary folder; every passage embedded."""
    from indexer.build import build_index
    from indexer.objectives import model_for

    model_for(embedder)  # the objectives' description vectors: once per process, not timed
    timed = _TimedEncoder(embedder)
    tmp = Path(tempfile.mkdtemp(prefix="ps-bench-index-"))
    try:
        t0 = time.perf_counter()
        report = build_index(corpus_dir, tmp / "index", embedder=timed, settings=settings)
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = {
        "corpus": str(corpus_dir),
        "model": getattr(embedder, "model_id", "?"),
        "documents": report.documents,
        "passages": report.passages,
        "embedded": report.embedded,
        "reused": report.reused,
        "build_s": round(wall, 2),
        "model_s": round(timed.model_s, 2),
        "model_share": round(timed.model_s / wall, 3) if wall else None,
        "passages_per_s": round(report.passages / wall, 2) if wall else None,
        "model_passages_per_s": round(timed.texts / timed.model_s, 2) if timed.model_s else None,
        "embedding_cache": "bypassed (embed_passages_uncached; nothing reused from earlier builds)",
    }
    log(
        f"  indexing: {out['passages']} passages of {out['documents']} documents in {out['build_s']} s "
        f"-> {out['passages_per_s']} passages/s; model {out['model_s']} s ({100 * (out['model_share'] or 0):.0f}%)"
    )
    return out
