"""Indexing spread over Ray (`practice-search index CORPUS --ray [--ray-address ADDR]`).

Two stages run on Ray Data, on this machine (a local Ray) or on a cluster, with the
same code:

1. **Reading and chunking**: the corpus files are listed here, then read and cut into
   passages by Ray tasks (`corpus.ingest.read_files` on each file); the documents come
   back in file order, so the index is the same as a plain build's. On a cluster the
   corpus folder must be at the same path on every node (a shared filesystem).
2. **Embedding**: the passages the index does not hold yet, and the embedding cache
   does not know, go through `map_batches` over an actor pool: each actor loads the
   model once and embeds batches. Vectors stream back and are committed to the
   embedding cache as they arrive, so a job that is stopped and restarted embeds only
   what is still missing (content hashes, as in a plain build).

Writing to the backend then happens in batches from the driver (`MilvusBackend.add`
inserts 2,000 rows per call), and the build switches versions as a plain build does.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("practice_search.distributed")

#: Environment variables that tell a worker how to load the model (never credentials).
_WORKER_ENV = ("PRACTICE_SEARCH_MODEL", "PRACTICE_SEARCH_HOME", "PRACTICE_SEARCH_DEVICE",
               "PRACTICE_SEARCH_TEST_ENCODER", "PRACTICE_SEARCH_BATCH_SIZE", "PYTHONPATH")
#: Vectors committed to the cache per step as they stream back.
COMMIT_ROWS = 256


@dataclass
class RayOptions:
    """`address`: a Ray cluster ("ray://host:10001", "host:6379", "auto"); None starts
    a local Ray on this machine. `actors`: embedding actors (default: one per
    `cpus_per_actor` CPUs of the cluster). `batch_size`: passages per model call."""

    address: str | None = None
    actors: int | None = None
    batch_size: int = 64
    cpus_per_actor: int = 1
    #: figures of the last run (reported in the build report)
    stats: dict[str, Any] = field(default_factory=dict)


#: Seconds a local Ray head may take to start its control store (GCS). Ray waits about
#: 20-60 s by default, which a busy 2-core machine can exceed ("Timed out waiting for
#: file .../gcs_server_port"); a user's own RAY_gcs_server_port_wait_time_s wins.
GCS_START_WAIT_S = 180
#: Starts of a local Ray tried before a build gives up.
LOCAL_START_TRIES = 3


def local_start() -> None:
    """Before ray.init starts a local Ray: give its control store time to start."""
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", str(GCS_START_WAIT_S))


def init_local(**kwargs) -> None:
    """ray.init for a Ray started here, tried LOCAL_START_TRIES times: a local head whose
    processes fail to come up (seen once in a few dozen starts on a busy 2-core machine:
    the raylet must register within Ray's fixed 30 s) is shut down and started again,
    after a pause, before the build gives up."""
    import ray

    local_start()
    for attempt in range(1, LOCAL_START_TRIES + 1):
        try:
            ray.init(**kwargs)
            return
        except Exception as exc:  # noqa: BLE001 - any start failure: start again
            ray.shutdown()
            if attempt == LOCAL_START_TRIES:
                raise
            log.warning("a local Ray did not start (%s: %s); starting it again (%d of %d)",
                        type(exc).__name__, exc, attempt + 1, LOCAL_START_TRIES)
            time.sleep(5 * attempt)



@contextmanager
def ray_session(opts: RayOptions) -> Iterator[None]:
    """Ray initialised for the build (a running session is reused, and left running)."""
    import ray

    started = False
    if not ray.is_initialized():
        env = {k: os.environ[k] for k in _WORKER_ENV if k in os.environ}
        if opts.address is None:
            repo = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (repo, env.get("PYTHONPATH", "")) if p)
        kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level="WARNING",
                      runtime_env={"env_vars": env})
        if opts.address is None:
            init_local(**kwargs)
        else:
            ray.init(address=opts.address, **kwargs)
        started = True
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _quiet_data_context() -> None:
    import ray.data

    logging.getLogger("ray.data").setLevel(logging.WARNING)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False


# ---------------------------------------------------------------- reading


def ray_reader(opts: RayOptions):
    """A `reader` for corpus.ingest.load_corpus that reads the files on Ray."""

    def read(files: list[Path], root: Path, settings) -> list[list]:
        import ray.data

        _quiet_data_context()
        if not files:
            return []
        t0 = time.perf_counter()
        ds = ray.data.from_items([{"i": i, "path": str(f)} for i, f in enumerate(files)])
        out: list[list | None] = [None] * len(files)
        for row in ds.map(_read_one, fn_kwargs={"root": str(root), "settings": settings}).iter_rows():
            out[int(row["i"])] = _loads(row["items"])
        opts.stats["read_seconds"] = round(time.perf_counter() - t0, 3)
        opts.stats["files_read_on_ray"] = len(files)
        return out  # type: ignore[return-value]

    return read


def _read_one(row: dict, root: str, settings) -> dict:
    from corpus.ingest import read_files

    items = next(read_files([Path(row["path"])], Path(root), settings))
    return {"i": row["i"], "items": _dumps(items)}


def _dumps(obj) -> bytes:
    import pickle

    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes):
    import pickle

    return pickle.loads(data)  # noqa: S301  written by our own workers in this job


# ---------------------------------------------------------------- embedding


class _EmbedActor:
    """One model per actor; embeds a batch of passage texts."""

    def __init__(self, model_id: str, threads: int, precision: str = "fp32"):
        from indexer.build import get_embedder

        try:
            import torch

            torch.set_num_threads(max(1, threads))
        except ImportError:  # pragma: no cover
            pass
        self.embedder = get_embedder(model_id)
        if hasattr(self.embedder, "use_passage_precision"):  # the precision the build chose
            self.embedder.use_passage_precision(precision)
        self.embed = getattr(self.embedder, "embed_passages_uncached", self.embedder.embed_passages)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vecs = np.asarray(self.embed([str(t) for t in batch["text"]]), dtype=np.float32)
        return {"i": batch["i"], "vec": vecs}


def _cluster_cpus() -> int:
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _cache_for(embedder, settings):
    from indexer.embedding_cache import CACHE_FILE, EmbeddingCache

    cache = getattr(embedder, "cache", None)
    if cache is None and settings is not None:
        cache = EmbeddingCache(Path(settings.cache_dir) / CACHE_FILE)
    return cache


def embed_on_ray(texts: Sequence[str], embedder, settings, opts: RayOptions, progress: bool = False) -> np.ndarray:
    """Passage vectors for `texts`, in order: from the embedding cache where it has them,
    the rest from an actor pool on Ray, committed to the cache as they stream back."""
    import ray.data

    from indexer.embedding_cache import EmbeddingCache
    from indexer.precision import cache_kind

    _quiet_data_context()
    texts = [str(t) for t in texts]
    dim = int(embedder.dim)
    out = np.empty((len(texts), dim), dtype=np.float32)
    cache = _cache_for(embedder, settings)
    precision = getattr(embedder, "passage_precision", "fp32")
    keys = [EmbeddingCache.key(embedder.model_id, embedder.checksum, cache_kind(precision), t) for t in texts]
    if cache is not None:
        todo = cache.fill(keys, out)
    else:
        todo = {}
        for i, k in enumerate(keys):
            todo.setdefault(k, []).append(i)
    t0 = time.perf_counter()
    order = list(todo)
    actors = 0
    if order:
        cpus = _cluster_cpus()
        actors = opts.actors or max(1, cpus // max(1, opts.cpus_per_actor))
        items = [{"i": j, "text": texts[todo[k][0]]} for j, k in enumerate(order)]
        ds = ray.data.from_items(items).map_batches(
            _EmbedActor,
            fn_constructor_kwargs={"model_id": embedder.model_id, "threads": opts.cpus_per_actor,
                                   "precision": precision},
            batch_size=opts.batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=opts.cpus_per_actor,
            batch_format="numpy",
        )
        done = 0
        pending: list[tuple[bytes, np.ndarray]] = []
        for batch in ds.iter_batches(batch_size=COMMIT_ROWS, batch_format="numpy"):
            for j, v in zip(batch["i"], batch["vec"], strict=True):
                k = order[int(j)]
                out[todo[k]] = v
                pending.append((k, np.asarray(v, dtype=np.float32)))
            done += len(batch["i"])
            if cache is not None and len(pending) >= COMMIT_ROWS:
                cache.put_many(pending)
                pending = []
            if progress:
                print(f"embedding on Ray: {done}/{len(order)} passages", file=sys.stderr, flush=True)
        if cache is not None and pending:
            cache.put_many(pending)
        if done != len(order):
            raise RuntimeError(f"Ray returned {done} of {len(order)} passage vectors")
    seconds = time.perf_counter() - t0
    opts.stats.update({
        "embedded_on_ray": len(order), "from_cache": len(texts) - sum(len(v) for v in todo.values()),
        "actors": actors, "embed_seconds": round(seconds, 3),
        "passages_per_second": round(len(order) / seconds, 1) if order and seconds > 0 else None,
    })
    return out
