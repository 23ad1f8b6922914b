"""Text -> vectors: the one embedder the indexer, the service and eval share.

`load_embedder()` gives the offline default (multilingual-e5-small, built from PyPI
packages by `indexer.model_build` on first use); any other name is a hub model or a
local sentence-transformers directory. `Embedder` adds the model's `query: ` /
`passage: ` prefixes itself, batches long inputs by length, and keeps an on-disk
content-hash cache so an unchanged passage is never embedded twice.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding_cache import CACHE_FILE, EmbeddingCache
from practice_search.config import Settings

#: E5 models are trained with these prefixes; used when a model named *e5* defines no prompts.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
#: Below this many texts to embed, no progress bar is shown even when asked for.
PROGRESS_MIN_TEXTS = 256
#: Embedding batch for single words (indexer.translations): short texts, so a big batch
#: costs little more than a small one.
WORD_BATCH = 128
QUERY_LRU_SIZE = 1024

log = logging.getLogger("practice_search.embedder")


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
        onnx = None
        if len(texts) == 1 and self._onnx is not None:
            # a query runs on the query graph; a single passage only when that graph is fp32
            if precision == "query" or (precision == "fp32" and self._onnx.variant == "fp32"):
                onnx = self._onnx
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

    def _encode(self, texts: list[str], progress: bool = False, precision: str = "fp32",
                batch_size: int | None = None) -> np.ndarray:
        """Embed prefixed texts, longest first in batches (less padding), in input order."""
        batch = int(batch_size or self.batch_size)
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
            for i in range(0, n, batch):
                idx = order[i : i + batch]
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

    def embed_passages(self, texts: Sequence[str], progress: bool = False, batch_size: int | None = None) -> np.ndarray:
        """Embed passages (the passage prefix is added here); cached on disk by content."""
        texts = self._as_list(texts)
        n = len(texts)
        out = np.empty((n, self.dim), dtype=np.float32)
        if n == 0:
            return out
        if self.cache is None:
            return self._encode(self._prefixed("passage", texts), progress, self.passage_precision, batch_size)
        keys = self.passage_keys(texts)
        todo = self.cache.fill(keys, out)
        if todo:
            self._embed_and_commit(texts, todo, out, progress, batch_size)
        return out

    def embed_words(self, words: Sequence[str]) -> np.ndarray:
        """Embed single words as passages (indexer.translations), cached like them, in big
        batches: a batch of short texts costs little more than one text."""
        return self.embed_passages(words, batch_size=WORD_BATCH)

    def passage_keys(self, texts: Sequence[str], precision: str | None = None) -> list[bytes]:
        """Cache keys of passages embedded at `precision` (default: the current one)."""
        from indexer.precision import cache_kind

        kind = cache_kind(precision or self.passage_precision)
        return [EmbeddingCache.key(self.model_id, self.checksum, kind, t) for t in texts]

    def _embed_and_commit(self, texts: Sequence[str], todo: dict[bytes, list[int]], out: np.ndarray, progress: bool,
                          batch_size: int | None = None) -> None:
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
                    self._prefixed("passage", [texts[first[i]] for i in part]), precision=self.passage_precision,
                    batch_size=batch_size,
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


# Model loading lives in its own module (it builds Embedders); its names stay importable
# from here.
from indexer.model_load import ModelUnavailableError, load_embedder  # noqa: E402

__all__ = [
    "CACHE_FILE", "Embedder", "EmbeddingCache", "ModelUnavailableError", "configure_torch_threads", "load_embedder",
]
