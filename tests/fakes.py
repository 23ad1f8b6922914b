"""A small fake encoder for fast unit tests: hashed bag-of-words vectors.

It speaks the same interface as `indexer.embedder.Embedder` (embed_queries,
embed_passages, dim, model_id, checksum) and counts how many texts it encoded,
so tests can assert that caches and incremental indexing skip the model.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


class FakeEncoder:
    model_id = "fake-hashed-bow"
    checksum = "fake"

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.calls = 0  # texts encoded so far

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in re.findall(r"\w+", _fold(text)):
            if len(tok) < 3:
                continue
            h = int.from_bytes(hashlib.blake2b(tok[:6].encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        if n == 0:
            v[0] = 1.0
            n = 1.0
        return v / n

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vec(t) for t in texts]).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(list(texts))

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode(list(texts))
