"""Synthetic corpora for the scale benchmark: clustered vectors with a low intrinsic
dimension (like real sentence embeddings, so ANN recall means something) and synthetic
document metadata (countries, objectives) with known filter selectivities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Passages per synthetic document.
PASSAGES_PER_DOC = 5


@dataclass(frozen=True)
class SyntheticCorpus:
    """Vectors, near-data queries and per-row metadata columns."""

    vectors: np.ndarray  # (n, dim) float32, L2-normalised
    queries: np.ndarray  # (nq, dim) float32, L2-normalised
    row_doc: np.ndarray  # (n,) int32 document of each row
    doc_country: np.ndarray  # (n_docs,) int16 index into COUNTRIES
    doc_objective: np.ndarray  # (n_docs,) int8 GCM objective 1-23

    @property
    def n(self) -> int:
        return len(self.vectors)


def _normalise(m: np.ndarray) -> np.ndarray:
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def clustered_vectors(
    n: int, dim: int, rng: np.random.Generator, *, intrinsic: int = 24, noise: float = 0.25
) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors in clusters of ~1,000; each cluster spans a random `intrinsic`-dim
    subspace around its centre, plus a little isotropic noise (rows of a 64k noise bank,
    so that a million vectors take seconds, not minutes). Returns (vectors, labels)."""
    n_clusters = max(1, n // 1000)
    centres = _normalise(rng.standard_normal((n_clusters, dim), dtype=np.float32))
    labels = rng.integers(0, n_clusters, size=n)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_clusters + 1))
    bank = rng.standard_normal((min(n, 65_536), dim), dtype=np.float32) * np.float32(noise / np.sqrt(dim))
    scale = np.float32(1.2 * np.sqrt(dim) / np.sqrt(intrinsic))
    out = np.empty((n, dim), dtype=np.float32)
    for c in range(n_clusters):
        rows = order[bounds[c] : bounds[c + 1]]
        if len(rows) == 0:
            continue
        basis = rng.standard_normal((intrinsic, dim), dtype=np.float32) * np.float32(1 / np.sqrt(dim))
        z = rng.standard_normal((len(rows), intrinsic), dtype=np.float32) * scale
        block = z @ basis
        block += centres[c]
        block += bank[rng.integers(0, len(bank), len(rows))]
        out[rows] = block
    return _normalise(out), labels


def near_queries(vectors: np.ndarray, nq: int, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """Queries drawn near random data points (not equal to them)."""
    dim = vectors.shape[1]
    picks = rng.choice(len(vectors), size=nq, replace=False)
    q = vectors[picks] + rng.standard_normal((nq, dim), dtype=np.float32) * np.float32(noise / np.sqrt(dim))
    return _normalise(q.astype(np.float32))


def make_corpus(n: int, dim: int = 384, nq: int = 200, seed: int = 0) -> SyntheticCorpus:
    """A synthetic corpus of n passages in n/5 documents, with nq queries.

    Metadata: country 0 ("PE") on ~1% of documents, objective 1 on ~10%: the filters of the
    scale benchmark (1% and 10% selectivity)."""
    rng = np.random.default_rng(seed)
    vectors, _ = clustered_vectors(n, dim, rng)
    queries = near_queries(vectors, nq, rng)
    n_docs = max(1, -(-n // PASSAGES_PER_DOC))
    row_doc = (np.arange(n) // PASSAGES_PER_DOC).astype(np.int32)
    # countries: 1% "PE", 99% spread over the other 49 codes; objectives: 10% objective 1
    u = rng.random(n_docs)
    doc_country = np.where(u < 0.01, 0, 1 + rng.integers(0, len(COUNTRIES) - 1, n_docs)).astype(np.int16)
    v = rng.random(n_docs)
    doc_objective = np.where(v < 0.10, 1, 2 + rng.integers(0, 22, n_docs)).astype(np.int8)
    return SyntheticCorpus(vectors, queries, row_doc, doc_country, doc_objective)


COUNTRIES: tuple[str, ...] = (
    "PE", "AR", "BO", "BR", "CL", "CO", "CR", "EC", "SV", "GT",
    "HN", "MX", "NI", "PA", "PY", "UY", "VE", "DO", "CU", "HT",
    "US", "CA", "ES", "IT", "FR", "DE", "GB", "MA", "SN", "NG",
    "GH", "KE", "ET", "ZA", "EG", "TR", "JO", "LB", "IQ", "AF",
    "PK", "IN", "BD", "PH", "ID", "TH", "VN", "CN", "JP", "AU",
)
