"""The search contract: filters in, results out.

`indexer.search.SearchIndex` is the one facade that owns the vector index, the
lexical index and the metadata store. The CLI, the API and eval all call it and
speak these types. Their JSON shape (`to_dict`) is what the API returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
#: Objectives that filters, facets and the gap map use unless told otherwise: tagged, named,
#: and inferred with high confidence (always marked as inferred where shown); low-confidence
#: inferences ("suggested") are opt-in.
DEFAULT_OBJECTIVE_SOURCES: tuple[str, ...] = ("explicit", "mentioned", "inferred")
#: Countries that filters, facets and the gap map use unless told otherwise: where the
#: practice takes place, not every country a report names in passing.
DEFAULT_COUNTRY_SOURCES: tuple[str, ...] = ("explicit", "primary")


class SearchError(ValueError):
    """A request the index cannot answer as asked; `param` names what to fix."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


class EngineUnavailable(RuntimeError):
    """The engine that holds the index (Milvus) could not answer: unreachable, or its data
    no longer matches this index version. The message says which and what to do."""


class UnknownDocument(KeyError):
    """No document with that id in the index."""

    def __init__(self, doc_id: str):
        super().__init__(doc_id)
        self.doc_id = doc_id

    def __str__(self) -> str:
        return f"no practice with id {self.doc_id!r} in this index"


@dataclass(frozen=True)
class Filters:
    """Normalised filters. Build them with `indexer.filters.parse_filters`, which
    validates user input (country names, objective range...) and raises SearchError."""

    countries: tuple[str, ...] = ()  # ISO alpha-2; a document matches if it has any of them
    country_sources: tuple[str, ...] = DEFAULT_COUNTRY_SOURCES
    objectives: tuple[int, ...] = ()  # 1-23; a document matches if it has any of them
    objective_sources: tuple[str, ...] = DEFAULT_OBJECTIVE_SOURCES
    langs: tuple[str, ...] = ()  # passage language
    #: publication year (else a year the document covers) >= year_from / <= year_to
    year_from: int | None = None
    year_to: int | None = None
    doc_types: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()  # passage section_kind

    def is_empty(self) -> bool:
        return not (
            self.countries
            or self.objectives
            or self.langs
            or self.year_from is not None
            or self.year_to is not None
            or self.doc_types
            or self.sections
        )


@dataclass
class PassageHit:
    passage_id: str
    doc_id: str
    text: str
    highlighted: str  # HTML-escaped text with <mark>...</mark> around the matching words
    section: str
    section_kind: str
    lang: str
    score: float
    rank: int = 0  # 1-based rank in the ranking it came from
    #: objectives inferred for this passage with high confidence: [{"number", "confidence"}]
    objectives: list[dict[str, Any]] = field(default_factory=list)
    #: in the match set (relevant by the calibrated rule); False: only the nearest there is
    relevant: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DocumentHit:
    doc_id: str
    title: str
    score: float
    countries: list[str]
    objectives: list[int]
    languages: list[str]
    years: list[int]
    doc_type: str | None
    passages: list[PassageHit]  # its best passages, best first
    rank: int = 0
    published: str | None = None  # ISO publication date, when known
    #: the objectives above that only inference gives (no field or mention):
    #: [{"number", "confidence", "source": "inferred" | "suggested"}]
    inferred: list[dict[str, Any]] = field(default_factory=list)
    #: one of its passages is in the match set; False: shown as the nearest there is
    relevant: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return d


@dataclass
class SearchResponse:
    query: str
    mode: str
    k: int
    offset: int
    filters: dict[str, Any]  # the filters as understood, e.g. {"country": ["PE"], "country_name": ["Peru"]}
    matched_passages: int  # passages that pass the filters
    matched_documents: int  # documents with at least one passage that passes the filters
    counts_exact: bool = True  # False: an approximate index gave the dense match set (a lower bound)
    hits: list[DocumentHit] = field(default_factory=list)  # grouped results
    passages: list[PassageHit] = field(default_factory=list)  # filled when group=False
    timing_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "k": self.k,
            "offset": self.offset,
            "filters": self.filters,
            "matched_passages": self.matched_passages,
            "matched_documents": self.matched_documents,
            "counts_exact": self.counts_exact,
            "hits": [h.to_dict() for h in self.hits],
            "passages": [p.to_dict() for p in self.passages],
            "timing_ms": self.timing_ms,
        }


@dataclass
class Facets:
    """Document counts per value, over the whole match set of a query and filters."""

    matched_documents: int
    countries: dict[str, int]
    objectives: dict[int, int]
    languages: dict[str, int]
    sections: dict[str, int] = field(default_factory=dict)
    doc_types: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    #: of each objective's count, the documents placed there by inference alone
    objectives_inferred: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
