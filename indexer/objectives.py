"""GCM objectives inferred for passages and documents, with the embedding model.

Each objective is described in the project's own words (`corpus/data/gcm_objectives.json`:
title, description and example sentences in English, Spanish and French). A passage is
scored against every objective twice:
- dense: the cosine of its vector (the one the index already holds) with the objective's
  description vectors, the mean of the best `DENSE_TOP` of them;
- lexical: BM25 of its words against the descriptions (`corpus.objectives.lexical_scores`),
  divided by the best objective's, so a long passage does not outweigh a short one.
The two are summed (`LEXICAL_WEIGHT`) and a softmax with temperature `TEMPERATURE` turns
them into a confidence per objective (the title is part of every passage's vector). A
document's confidence is the mean of its passages', summary, lessons, recommendations and
results weighed more and back matter less (`SECTION_WEIGHT`). It is placed under an
objective when that mean is confident, when a section of it is (at least
`SECTION_MIN_PASSAGES` confident passages: reintegration in a broad evaluation), or when
the objective is more likely than not for a quarter of it (`MAJORITY_SHARE`).

Calibration: `CONFIDENT` is the confidence from which an inference counts by default
(source "inferred"); the target is that at least 9 in 10 default-on placements are right
on labelled text (`practice-search eval --benchmark gcm-objectives` measures it; README,
"GCM objectives"). Below it, the best few stay as opt-in "suggested" ones.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from corpus.objectives import OBJECTIVES, lexical_scores
from corpus.sections import is_back_matter
from corpus.types import Document, InferredObjective

__all__ = ["ObjectiveModel", "model_for", "infer_documents", "objective_settings", "description_count", "CONFIDENT"]

#: Description vectors averaged per objective (the best ones), weight of the lexical match
#: (0-1 after dividing by the best objective's), softmax temperature (fitted by log-loss on
#: the GCM action paragraphs; README "GCM objectives").
DENSE_TOP = 3
LEXICAL_WEIGHT = 0.03
TEMPERATURE = 0.01
#: Confidence from which an objective counts by default (marked "inferred"). On the GCM
#: action paragraphs (README "GCM objectives"): 38 default-on placements, 0.895 right as
#: labelled; of the 4 wrong, 2 are texts the file labels 20 that are objective 2's.
CONFIDENT = 0.85
#: Low-confidence ("suggested") objectives kept per document, and the least confidence.
SUGGESTED_TOP = 3
SUGGESTED_MIN = 0.03
#: A document is also placed under an objective this many of its passages are
#: confidently about (and at least SECTION_MIN_SHARE of its passages): a section on it.
SECTION_MIN_PASSAGES = 3
SECTION_MIN_SHARE = 0.03
#: ... or that is more likely than not for this share of its passages (weighed by section,
#: at least SECTION_MIN_PASSAGES of them): what most of a report is about, even where no
#: single passage is decisive.
MAJORITY = 0.5
MAJORITY_SHARE = 0.25
#: How much a passage counts toward its document's objectives, by section kind.
SECTION_WEIGHT = {"summary": 3.0, "lessons": 2.0, "recommendations": 2.0, "results": 1.5}
BACK_MATTER_WEIGHT = 0.3


def objective_settings() -> dict[str, float]:
    """What an index's manifest records of how its objectives were inferred."""
    return {"confident": CONFIDENT, "temperature": TEMPERATURE, "lexical_weight": LEXICAL_WEIGHT,
            "dense_top": DENSE_TOP, "descriptions": _descriptions_digest()}


def _descriptions_digest() -> str:
    import hashlib
    import json

    texts = [t for o in OBJECTIVES for t, _ in o.descriptions()]
    return hashlib.blake2b(json.dumps(texts).encode("utf-8"), digest_size=8).hexdigest()


_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MODELS_LOCK = threading.Lock()


def description_count() -> int:
    """How many description texts the objectives have (what a model embeds once)."""
    return sum(len(o.descriptions()) for o in OBJECTIVES)


def model_for(embedder) -> ObjectiveModel:
    """The ObjectiveModel of an embedder, its descriptions embedded once per embedder."""
    with _MODELS_LOCK:
        m = _MODELS.get(embedder)
        if m is None:
            m = _MODELS[embedder] = ObjectiveModel(embedder)
        return m


class ObjectiveModel:
    """The objectives' description vectors for one embedder, and the scoring of vectors."""

    def __init__(self, embedder):
        texts: list[str] = []
        owner: list[int] = []
        for j, o in enumerate(OBJECTIVES):
            for text, _lang in o.descriptions():
                texts.append(text)
                owner.append(j)
        self.owner = np.asarray(owner)
        self.vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
        self._groups = [np.flatnonzero(self.owner == j) for j in range(len(OBJECTIVES))]

    def dense(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 23): mean of the best DENSE_TOP cosines with each objective's descriptions."""
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        out = np.empty((sims.shape[0], len(OBJECTIVES)), dtype=np.float32)
        for j, cols in enumerate(self._groups):
            part = sims[:, cols]
            k = min(DENSE_TOP, part.shape[1])
            out[:, j] = -np.sort(-part, axis=1)[:, :k].mean(axis=1)
        return out

    def confidence(self, vectors: np.ndarray, pieces: Sequence[tuple[str, str]]) -> np.ndarray:
        """(n, 23) confidences (rows sum to 1) for n vectors and their (text, lang)."""
        scores = self.dense(vectors)
        lex = lexical_scores(list(pieces))
        top = lex.max(axis=1, keepdims=True)
        scores += LEXICAL_WEIGHT * np.divide(lex, top, out=np.zeros_like(lex), where=top > 0)
        z = scores / TEMPERATURE
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def _weight(kind: str, section: str) -> float:
    if is_back_matter(section):
        return BACK_MATTER_WEIGHT
    return SECTION_WEIGHT.get(kind, 1.0)


def _document_objectives(doc: Document, conf_doc: np.ndarray, conf_rows: np.ndarray, w: np.ndarray) -> tuple:
    """The document's inferred objectives (confident first, then suggestions)."""
    given = set(doc.objectives.explicit) | set(doc.objectives.mentioned)
    n = len(doc.passages)
    out: dict[int, InferredObjective] = {}
    for j in np.argsort(-conf_doc):
        c = float(conf_doc[j])
        if c >= CONFIDENT:
            out[int(j) + 1] = InferredObjective(int(j) + 1, c, True)
    # a section confidently about it, or most of the document more likely than not
    confident_rows = conf_rows >= CONFIDENT
    need = max(SECTION_MIN_PASSAGES, int(np.ceil(SECTION_MIN_SHARE * n)))
    likely = conf_rows >= MAJORITY
    share = (w[:, None] * likely).sum(axis=0) / max(float(w.sum()), 1e-9)
    placed = (confident_rows.sum(axis=0) >= need) | (
        (likely.sum(axis=0) >= SECTION_MIN_PASSAGES) & (share >= MAJORITY_SHARE)
    )
    for j in np.flatnonzero(placed):
        if int(j) + 1 not in out:
            rows = confident_rows[:, j] | likely[:, j]
            out[int(j) + 1] = InferredObjective(int(j) + 1, float(conf_rows[rows, j].mean()), True)
    for j in np.argsort(-conf_doc)[:SUGGESTED_TOP]:
        if int(j) + 1 not in out and conf_doc[j] >= SUGGESTED_MIN:
            out[int(j) + 1] = InferredObjective(int(j) + 1, float(conf_doc[j]), False)
    ranked = sorted(out.values(), key=lambda o: (not o.confident, -o.score))
    # an objective a field or a mention already gives is not inferred again
    return tuple(o for o in ranked if o.number not in given)


def infer_documents(
    documents: Sequence[Document], vectors: np.ndarray, row_doc: np.ndarray, model: ObjectiveModel
) -> list[Document]:
    """Documents with objectives inferred for them and for each passage, from the passage
    vectors (`vectors[r]` is passage row r, `row_doc[r]` its document's index, rows in
    document order as in the metadata store)."""
    out: list[Document] = []
    starts = np.searchsorted(row_doc, np.arange(len(documents) + 1))
    for i, doc in enumerate(documents):
        rows = slice(int(starts[i]), int(starts[i + 1]))
        vecs = np.asarray(vectors[rows], dtype=np.float32)
        if len(vecs) != len(doc.passages) or not len(vecs):
            out.append(doc)
            continue
        pieces = [(p.text, p.lang) for p in doc.passages]
        conf_rows = model.confidence(vecs, pieces)
        w = np.array([_weight(p.section_kind, p.section) for p in doc.passages], dtype=np.float32)
        # the document's confidence per objective: its passages' confidences, weighed by section
        conf_doc = (w[:, None] * conf_rows).sum(axis=0) / max(float(w.sum()), 1e-9)
        passages = tuple(
            replace(
                p,
                objectives=tuple(
                    InferredObjective(int(j) + 1, float(conf_rows[k, j]), True)
                    for j in np.argsort(-conf_rows[k])
                    if conf_rows[k, j] >= CONFIDENT
                ),
            )
            for k, p in enumerate(doc.passages)
        )
        objectives = replace(doc.objectives, inferred=_document_objectives(doc, conf_doc, conf_rows, w))
        prov = dict(doc.provenance)
        if objectives.inferred:
            prov["objectives.inferred"] = (
                "embedding model and BM25 against the objective descriptions (indexer.objectives)"
            )
        out.append(replace(doc, passages=passages, objectives=objectives, provenance=prov))
    return out
