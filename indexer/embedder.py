"""Text -> vectors: the one embedder the indexer, the service and eval share.

`load_embedder()` gives the offline default (multilingual-e5-small, built from PyPI
packages by `indexer.model_build` on first use); any other name is a hub model or a
local sentence-transformers directory. `Embedder` adds the model's `query: ` /
`passage: ` prefixes itself, batches long inputs by length, and keeps an on-disk
content-hash cache so an unchanged passage is never embedded twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from practice_search.config import DEFAULT_MODEL, Settings

#: E5 models are trained with these prefixes; used when a model named *e5* defines no prompts.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
CACHE_FILE = "embeddings.sqlite3"
#: Below this many texts to embed, no progress bar is shown even when asked for.
PROGRESS_MIN_TEXTS = 256
QUERY_LRU_SIZE = 1024

log = logging.getLogger("practice_search.embedder")


class ModelUnavailableError(ValueError):
    """The requested embedding model cannot be loaded here; the message says what to use."""


def _offline_hint() -> str:
    return (
        f"use the offline default model instead: unset PRACTICE_SEARCH_MODEL or set it to "
        f"'{DEFAULT_MODEL}' (built from PyPI packages by `practice-search model build`), or "
        "pass a local sentence-transformers directory"
    )


def configure_torch_threads() -> int:
    """Use the CPU cores this process may run on (2 here), unless the user chose already."""
    import torch

    if "OMP_NUM_THREADS" in os.environ or "PRACTICE_SEARCH_TORCH_THREADS" in os.environ:
        n = int(os.environ.get("PRACTICE_SEARCH_TORCH_THREADS") or os.environ["OMP_NUM_THREADS"])
    else:
        try:
            n = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not Linux
            n = os.cpu_count() or 1
    n = max(1, n)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


#: Passages embedded between two commits of the cache (what a killed build can lose).
CACHE_COMMIT_EVERY = 256


class EmbeddingCache:
    """sqlite store of float32 vectors keyed by sha256(model_id, checksum, kind, text).

    WAL mode lets several processes read while one writes; writes are batched in one
    transaction per call. Vectors of the wrong length (another model) are ignored.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:  # a read-only or network file system: plain journal
            pass
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(model_id: str, checksum: str, kind: str, text: str) -> bytes:
        h = hashlib.sha256()
        for part in (model_id, checksum, kind, text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.digest()

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):  # sqlite's bound-parameter limit
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk)
                for k, v in rows:
                    if len(v) == 4 * dim:
                        out[bytes(k)] = np.frombuffer(v, dtype=np.float32)
        return out

    def fill(self, keys: Sequence[bytes], out: np.ndarray) -> dict[bytes, list[int]]:
        """Rows of `out` filled from the cache where it holds their key; returns the
        missing keys with the rows each fills (a text repeated is embedded once)."""
        hits = self.get_many(keys, out.shape[1])
        todo: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            v = hits.get(k)
            if v is None:
                todo.setdefault(k, []).append(i)
            else:
                out[i] = v
        return todo

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Embedder:
    """A sentence-transformers model with E5 prefixes, batching and a content-hash cache.

    `model_id` and `checksum` identify the model in index manifests and cache keys;
    `dim` is the vector size. Outputs are float32, L2-normalised, shape (n, dim).
    """

    def __init__(
        self,
        model: Any,
        model_id: str,
        checksum: str,
        *,
        batch_size: int = 8,
        cache_dir: Path | None = None,
        prompts: dict[str, str] | None = None,
    ):
        self.model = model
        self.model_id = model_id
        self.checksum = checksum
        self.batch_size = int(batch_size)
        dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self.prompts = dict(prompts or {})
        self.cache = EmbeddingCache(Path(cache_dir) / CACHE_FILE) if cache_dir is not None else None
        self._query_lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_lock = threading.Lock()
        # torch's thread setting is process-wide: switching it happens under this lock.
        self._model_lock = threading.Lock()
        self._tok_lock = threading.Lock()
        self.encoded = 0  # texts actually run through the model (cache misses)
        self.load_seconds = 0.0
        #: torch threads for a single-text forward pass (batches use configure_torch_threads()).
        self.query_threads = int(os.environ.get("PRACTICE_SEARCH_QUERY_THREADS", "1"))
        #: Single queries run on ONNX Runtime once `prepare_queries()` found or made an
        #: export of this model (indexer.onnx_query); until then, and for batches, on torch.
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._onnx: Any = None
        self._onnx_tried = False
        self._onnx_lock = threading.Lock()
        self.query_runtime = "torch"
        self.query_runtime_note = "not prepared yet"
        #: Precision passage batches run at (indexer.precision): fp32 until
        #: `use_passage_precision` chose and checked another.
        self.passage_precision = "fp32"
        self.precision_checks: dict[str, float] = {}  # precision -> min cosine to fp32 (probes)
        self._passage_int8: Any = None

    def __repr__(self) -> str:
        return f"Embedder({self.model_id!r}, dim={self.dim}, checksum={self.checksum[:12]!r})"

    # ---------------------------------------------------------------- model calls

    def _encode_batch(self, texts: list[str], precision: str = "fp32") -> np.ndarray:
        """One forward pass over already-prefixed texts -> normalised float32 rows, at
        `precision` (bf16: torch autocast; int8: the ONNX Runtime int8 graph).

        The tokenizer is never used by two threads at once (a shared fast tokenizer can
        fail with "Already borrowed"). A single text in a process already running at the
        single-query thread count (the API server) needs no thread switch, so forward
        passes of concurrent requests run in parallel on different cores; anything that
        switches torch's process-wide thread count runs under the model lock."""
        import torch

        model = self.model
        with self._tok_lock:
            features = model.preprocess(texts) if hasattr(model, "preprocess") else model.tokenize(texts)
        onnx = self._onnx if len(texts) == 1 else None
        if onnx is not None and precision != "query" and (precision != "fp32" or onnx.variant != "fp32"):
            onnx = None  # the query graph embeds a single passage only when it is the fp32 one
        if precision == "query":
            precision = "fp32"  # a batch of queries: torch at fp32
        if onnx is not None:  # lock-free: concurrent sessions.run calls use one core each
            vecs = onnx(features)
            self.encoded += 1
            return vecs
        if precision == "int8":
            vecs = self._int8_passages()(features)
            self.encoded += len(texts)
            return vecs
        if precision == "bf16":
            with self._model_lock, torch.autocast("cpu", dtype=torch.bfloat16):
                return self._forward(features, len(texts))
        if len(texts) == 1 and torch.get_num_threads() == self.query_threads:
            return self._forward(features, len(texts))
        with self._model_lock:
            threads = torch.get_num_threads()
            # One text is latency-bound: a single thread avoids OpenMP spin-waits, which cost
            # 10x on a busy 2-core machine (measured: ~125 ms vs ~1.1 s per query under load).
            single = len(texts) == 1 and threads != self.query_threads
            if single:
                torch.set_num_threads(self.query_threads)
            try:
                return self._forward(features, len(texts))
            finally:
                if single:
                    torch.set_num_threads(threads)

    def _forward(self, features: dict, n: int) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model(features)["sentence_embedding"]
        vecs = out.float().cpu().numpy()
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        np.maximum(norms, 1e-12, out=norms)
        self.encoded += n
        return (vecs / norms).astype(np.float32, copy=False)

    def _encode(self, texts: list[str], progress: bool = False, precision: str = "fp32") -> np.ndarray:
        """Embed prefixed texts, longest first in batches (less padding), in input order."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if n == 1:
            return self._encode_batch(texts, precision)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((n, self.dim), dtype=np.float32)
        bar = None
        if progress and n >= PROGRESS_MIN_TEXTS:
            from tqdm.auto import tqdm

            bar = tqdm(total=n, desc="embedding", unit="passage")
        try:
            for i in range(0, n, self.batch_size):
                idx = order[i : i + self.batch_size]
                out[idx] = self._encode_batch([texts[j] for j in idx], precision)
                if bar is not None:
                    bar.update(len(idx))
        finally:
            if bar is not None:
                bar.close()
        return out

    def _prefixed(self, kind: str, texts: Sequence[str]) -> list[str]:
        prefix = self.prompts.get(kind, "")
        return [prefix + t for t in texts]

    @staticmethod
    def _as_list(texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str):
            raise TypeError("pass a list of texts, not a single string")
        return list(texts)

    # ---------------------------------------------------------------- public API

    def prepare_queries(self) -> str:
        """Load (exporting once if needed) the ONNX Runtime query encoder; returns the
        runtime single queries will use: "onnx", "onnx-int8" (opt-in) or "torch". Safe to
        call repeatedly; the server calls it at start-up so that no request pays for it."""
        if self._onnx_tried:
            return self.query_runtime
        with self._onnx_lock:
            if self._onnx_tried:
                return self.query_runtime
            from indexer import onnx_query

            cache = self._cache_dir or (Settings().cache_dir)
            try:
                self._onnx = onnx_query.load_for_queries(
                    self.model, cache, self.model_id, self.checksum, self.query_threads
                )
                runtime = "onnx" if self._onnx.variant == "fp32" else f"onnx-{self._onnx.variant}"
                self.query_runtime, self.query_runtime_note = runtime, str(self._onnx.path)
            except onnx_query.OnnxUnavailable as exc:
                self.query_runtime, self.query_runtime_note = "torch", str(exc)
                log.info("single queries of %s run on torch: %s", self.model_id, exc)
            self._onnx_tried = True
        return self.query_runtime

    def use_passage_precision(self, choice: str = "auto") -> str:
        """Embed passages at `choice` from now on (auto: indexer.precision's rule), once it
        reproduced the fp32 vectors on the probe texts; returns the precision used. An
        explicit precision that fails the check raises PrecisionRefused; auto falls back
        to fp32."""
        from indexer import precision as prec

        choice = prec.check_choice(choice)
        wanted = prec.auto_precision() if choice == "auto" else choice
        if wanted != "fp32" and wanted not in self.precision_checks:
            try:
                self.precision_checks[wanted] = prec.verify(self, wanted)
            except Exception as exc:  # noqa: BLE001 - no bf16 kernels, no ONNX export...
                if choice != "auto":
                    if isinstance(exc, prec.PrecisionRefused):
                        raise
                    raise prec.PrecisionRefused(f"{wanted} passage embedding is not available here: {exc}") from exc
                log.info("passages of %s embed at fp32: %s", self.model_id, exc)
                wanted = "fp32"
        self.passage_precision = wanted
        return wanted

    def _int8_passages(self):
        """The int8 ONNX Runtime graph for passage batches (all the batch threads)."""
        if self._passage_int8 is None:
            with self._onnx_lock:
                if self._passage_int8 is None:
                    from indexer import onnx_query

                    cache = self._cache_dir or (Settings().cache_dir)
                    self._passage_int8 = onnx_query.load_int8(
                        self.model, cache, self.model_id, self.checksum, threads=configure_torch_threads()
                    )
        return self._passage_int8

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (the query prefix is added here); in-memory LRU cached."""
        texts = self._as_list(texts)
        if not self._onnx_tried:
            self.prepare_queries()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lru_lock:
            for i, t in enumerate(texts):
                v = self._query_lru.get(t)
                if v is None:
                    missing.append(i)
                else:
                    self._query_lru.move_to_end(t)
                    out[i] = v
        if missing:
            todo = self._prefixed("query", [texts[i] for i in missing])
            if self._onnx is not None and self._onnx.variant != "fp32":
                # a quantised graph's vectors depend on the batch (activation ranges): one
                # query at a time, as the service embeds them, so eval measures the service
                vecs = np.vstack([self._encode_batch([t], "query") for t in todo])
            else:
                vecs = self._encode(todo, precision="query")
            with self._lru_lock:
                for i, v in zip(missing, vecs, strict=True):
                    out[i] = v
                    self._query_lru[texts[i]] = v
                    self._query_lru.move_to_end(texts[i])
                while len(self._query_lru) > QUERY_LRU_SIZE:
                    self._query_lru.popitem(last=False)
        return out

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages (the passage prefix is added here); cached on disk by content."""
        texts = self._as_list(texts)
        n = len(texts)
        out = np.empty((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        if self.cache is None:
            return self._encode(self._prefixed("passage", texts), progress, self.passage_precision)
        keys = self.passage_keys(texts)
        todo = self.cache.fill(keys, out)
        if todo:
            self._embed_and_commit(texts, todo, out, progress)
        return out

    def passage_keys(self, texts: Sequence[str], precision: str | None = None) -> list[bytes]:
        """Cache keys of passages embedded at `precision` (default: the current one)."""
        from indexer.precision import cache_kind

        kind = cache_kind(precision or self.passage_precision)
        return [EmbeddingCache.key(self.model_id, self.checksum, kind, t) for t in texts]

    def _embed_and_commit(self, texts: Sequence[str], todo: dict[bytes, list[int]], out: np.ndarray, progress: bool) -> None:
        """Embed each distinct missing text once, longest first, committing the vectors to
        the cache every CACHE_COMMIT_EVERY texts: a build killed mid-way keeps what it
        embedded, and the next one embeds only the rest."""
        keys = list(todo)
        first = [todo[k][0] for k in keys]
        order = sorted(range(len(keys)), key=lambda i: -len(texts[first[i]]))
        bar = None
        if progress and len(order) >= PROGRESS_MIN_TEXTS:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(order), desc="embedding", unit="passage")
        try:
            for start in range(0, len(order), CACHE_COMMIT_EVERY):
                part = order[start : start + CACHE_COMMIT_EVERY]
                vecs = self._encode(
                    self._prefixed("passage", [texts[first[i]] for i in part]), precision=self.passage_precision
                )
                for i, v in zip(part, vecs, strict=True):
                    out[todo[keys[i]]] = v
                self.cache.put_many([(keys[i], v) for i, v in zip(part, vecs, strict=True)])
                if bar is not None:
                    bar.update(len(part))
        finally:
            if bar is not None:
                bar.close()

    def embed_passages_uncached(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages through the model even if cached (benchmarks)."""
        return self._encode(self._prefixed("passage", self._as_list(texts)), progress, self.passage_precision)


# -------------------------------------------------------------------- loading


def _model_prompts(model: Any, model_id: str) -> dict[str, str]:
    """query/passage prefixes from the model's config; E5 defaults for an E5 model without any."""
    prompts = dict(getattr(model, "prompts", None) or {})
    chosen = {k: prompts[k] for k in ("query", "passage") if prompts.get(k)}
    if not chosen and "e5" in model_id.lower():
        return dict(E5_PROMPTS)
    return chosen


def _dir_checksum(path: Path) -> str:
    """sha256 over a model directory's config and weight files (names, sizes, contents)."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}:
            h.update(str(f.relative_to(path)).encode())
            with open(f, "rb") as fh:
                while block := fh.read(1 << 22):
                    h.update(block)
    return h.hexdigest()


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check of the Hugging Face endpoint (avoids minutes of HTTP retries)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _load_sentence_transformer(name: str, device: str) -> tuple[Any, str]:
    """Load a hub name or local directory; returns the model and a checksum string."""
    from sentence_transformers import SentenceTransformer

    path = Path(name).expanduser()
    if path.is_dir():
        try:
            model = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # noqa: BLE001 - any load failure is a bad directory
            raise ModelUnavailableError(f"cannot load model directory {path}: {exc}") from exc
        return model, _dir_checksum(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelUnavailableError(f"no model directory at {path}; {_offline_hint()}")
    try:  # already in the local hub cache: no network needed
        model = SentenceTransformer(name, device=device, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached; try the hub below
        model = None
    if model is None:
        if not _hub_reachable():
            raise ModelUnavailableError(
                f"model {name!r} is not a local directory and the Hugging Face hub cannot be "
                f"reached from here (no network, or HF_HUB_OFFLINE is set); {_offline_hint()}"
            )
        try:
            model = SentenceTransformer(name, device=device)
        except Exception as exc:  # noqa: BLE001
            raise ModelUnavailableError(f"cannot load model {name!r} from the hub: {exc}; {_offline_hint()}") from exc
    return model, _hub_revision(model, name)


def _hub_revision(model: Any, name: str) -> str:
    """Identify a hub model by its cached snapshot directory (the commit) when known."""
    try:
        from huggingface_hub import snapshot_download

        snap = snapshot_download(name, local_files_only=True)
        return "hub:" + Path(snap).name
    except Exception:  # noqa: BLE001
        return "hub:" + hashlib.sha256(name.encode()).hexdigest()


def load_embedder(model: str | None = None, settings: Settings | None = None) -> Embedder:
    """The embedder for `model` (default: `settings.model`, itself defaulting to the offline
    multilingual-e5-small, built on first use). Raises `ModelUnavailableError` when a hub
    model cannot be reached."""
    settings = settings or Settings()
    name = (model or settings.model or DEFAULT_MODEL).strip()
    configure_torch_threads()
    t0 = time.perf_counter()
    if name == DEFAULT_MODEL:
        from sentence_transformers import SentenceTransformer

        from indexer.model_build import ensure_default_model, read_build_record

        path = ensure_default_model(settings)
        record = read_build_record(path) or {}
        st = SentenceTransformer(str(path), device=settings.device)
        checksum = record.get("weights_sha256") or _dir_checksum(path)
    else:
        st, checksum = _load_sentence_transformer(name, settings.device)
    st.eval()
    emb = Embedder(
        st,
        name,
        checksum,
        batch_size=settings.batch_size,
        cache_dir=settings.cache_dir,
        prompts=_model_prompts(st, name),
    )
    emb.load_seconds = time.perf_counter() - t0
    return emb
