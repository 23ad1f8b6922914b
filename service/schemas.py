"""Request and response schemas of the HTTP API (the OpenAPI contract). Search hits are
the search contract's own dataclasses (`indexer.types`), so the API documents exactly
what the search facade returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from indexer.types import DocumentHit, PassageHit

Mode = Literal["hybrid", "dense", "bm25"]
Format = Literal["json", "csv"]
Sort = Literal["relevance", "published", "title"]
Ui = Literal["es", "en"]
Sep = Literal["comma", "semicolon"]


class ExportParams(BaseModel):
    """How a CSV export reads: labels and names in the interface language, its separator."""

    ui: Ui = Field("en", description="Language of the CSV's headings, country names and objective labels.")
    sep: Sep | None = Field(
        None, description="CSV separator: comma or semicolon (default: semicolon for ui=es, as "
        "Spanish-locale spreadsheets expect; comma otherwise).")


class FilterParams(BaseModel):
    """Filters shared by /search, /facets, /gapmap and /similar; repeat a parameter for several values."""

    country: list[str] = Field(
        default_factory=list,
        description="ISO alpha-2 codes or names (PE, Perú); any of them matches.",
    )
    objective: list[int] = Field(
        default_factory=list, description="GCM objective numbers (1-23); any of them matches."
    )
    objective_sources: list[str] = Field(
        default_factory=list,
        description="Where objectives may come from: explicit (tagged), mentioned (named in the "
        "text), inferred (from the text with high confidence; marked as inferred in results), "
        "suggested (inferred with low confidence). Default: explicit, mentioned, inferred.",
    )
    country_sources: list[str] = Field(
        default_factory=list,
        description="Where countries may come from: explicit, primary (where the practice takes "
        "place; the default is explicit and primary), mentioned (named anywhere in the text).",
    )
    lang: list[str] = Field(default_factory=list, description="Passage language codes (es, en).")
    section: list[str] = Field(
        default_factory=list,
        description="Search only in these section kinds: summary, context, activities, results, "
        "lessons, recommendations, innovation, references (reference lists, notes, acronyms), other.",
    )
    year_from: int | None = Field(
        None, description="Published in or after this year (else: covers a year on or after it)."
    )
    year_to: int | None = Field(
        None, description="Published in or before this year (else: covers a year on or before it)."
    )
    doc_type: list[str] = Field(default_factory=list, description="practice, evaluation, report...")

    @field_validator("country", "objective", "objective_sources", "country_sources", "lang", "section",
                     "doc_type", mode="before")
    @classmethod
    def _one_value_is_a_list(cls, v: Any) -> Any:
        """A JSON body may give one value where a list is expected ("country": "PE")."""
        return [v] if isinstance(v, str | int) and not isinstance(v, bool) else v


class SearchRequest(FilterParams, ExportParams):
    """A search: the query, the filters and the page of results wanted."""

    q: str = Field(
        "",
        description="What to look for, in Spanish or English. Leave it out (or empty) to browse: "
        "every practice passing the filters, in `sort` order.",
        examples=["trabajo infantil en Perú"],
    )
    sort: Sort = Field(
        "relevance",
        description="relevance (with a query; the only order a query takes), published (newest "
        "first; the default without a query) or title (A to Z, without a query).",
    )
    mode: Mode = Field("hybrid", description="hybrid (default), dense (meaning) or bm25 (words).")
    k: int = Field(10, description="How many practices to return (1 to the server's max_k).")
    offset: int = Field(0, description="How many practices to skip (paging).")
    format: Format = Field(
        "json", description="json, or csv: every result of the query and filters (k and offset do "
        "not apply; at most the server's MAX_EXPORT_ROWS), streamed, with a link to each practice.")


class FacetsRequest(FilterParams):
    q: str | None = Field(
        None, description="Count over the matches of this query; all documents when absent."
    )


class SimilarRequest(FilterParams):
    k: int = Field(10, description="How many similar practices to return.")


class GapMapRequest(FilterParams, ExportParams):
    q: str | None = Field(
        None, description="Map the matches of this query; all documents when absent."
    )

    by_region: bool = Field(False, description="Columns are regions instead of countries.")
    format: Format = Field("json", description="json, or csv for a spreadsheet download.")


class SearchResponse(BaseModel):
    """Ranked practices (`hits`, grouped by document, each with its best passages; a passage's
    `highlighted` is its HTML-escaped text with <mark> around the words that match the query)."""

    query: str
    mode: str
    k: int
    offset: int
    filters: dict[str, Any] = Field(
        description='The filters as understood, e.g. {"country": ["PE"], "country_name": ["Peru"]}.'
    )
    matched_passages: int
    matched_documents: int
    counts_exact: bool = Field(
        True,
        description="False when an approximate vector index (hnsw, ivf) gave the dense part of "
        "the match set: the counts are then a lower bound.",
    )
    hits: list[DocumentHit]
    passages: list[PassageHit] = Field(default_factory=list)
    timing_ms: dict[str, float]


class InferredObjectivePublic(BaseModel):
    number: int
    score: float = Field(description="Confidence (0-1) that the text is about the objective.")
    confident: bool = Field(
        False,
        description="High confidence: counts under the default objective sources as 'inferred'; "
        "otherwise only with objective_sources=suggested.",
    )


class PassagePublic(BaseModel):
    id: str
    section: str
    section_kind: str
    lang: str
    text: str
    objectives: list[InferredObjectivePublic] = Field(
        default_factory=list, description="Objectives this passage is about (inferred, high confidence)."
    )


class CountriesPublic(BaseModel):
    explicit: list[str]
    primary: list[str] = Field(
        default_factory=list, description="Where the practice takes place (includes explicit)."
    )
    mentioned: list[str]


class ObjectivesPublic(BaseModel):
    explicit: list[int]
    mentioned: list[int]
    inferred: list[InferredObjectivePublic]


class PracticePublic(BaseModel):
    """One practice document with its metadata and all its passages."""

    id: str
    title: str
    source: str
    format: str
    languages: list[str]
    countries: CountriesPublic
    country_names: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='Country code -> {"en": name, "es": name}.'
    )
    objectives: ObjectivesPublic
    years: list[int]
    dates: list[str]
    published: str | None = Field(None, description="Publication date, ISO YYYY[-MM[-DD]].")
    organizations: list[str]
    doc_type: str | None = None
    url: str | None = None
    passages: list[PassagePublic]


class FacetsPublic(BaseModel):
    """Document counts per value over the whole match set of a query and filters."""

    query: str | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    matched_documents: int
    countries: dict[str, int]
    objectives: dict[int, int]
    languages: dict[str, int]
    sections: dict[str, int] = Field(default_factory=dict)
    doc_types: dict[str, int] = Field(default_factory=dict)
    years: dict[int, int] = Field(default_factory=dict)
    objectives_inferred: dict[int, int] = Field(
        default_factory=dict,
        description="Of each objective's count, the documents placed there by inference alone.",
    )
    country_names: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='Country code -> {"en": name, "es": name}.'
    )


class ObjectivePublic(BaseModel):
    number: int
    short_en: str
    title_en: str
    short_es: str
    title_es: str


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    index_loaded: bool
    index_dir: str
    documents: int | None = None
    passages: int | None = None
    model: str | None = None
    backend: str | None = None
    built_at: str | None = None
    loaded_at: str
    reloads: int = Field(description="How many times a rebuilt index was picked up since start-up.")
    query_runtime: str | None = Field(
        None, description="What single queries are embedded on: onnx (ONNX Runtime) or torch."
    )
    stats: dict[str, Any] = Field(
        default_factory=dict, description="Everything the index reports about itself."
    )
    limits: dict[str, int] = Field(
        default_factory=dict, description="What a request may ask for: max_query_chars, max_k, "
        "max_export_rows, max_filter_values.")


class GapRow(BaseModel):
    objective: int
    label: str = Field(description="Short English label of the objective.")
    label_es: str = Field("", description="Short Spanish label of the objective.")
    counts: dict[str, int] = Field(
        description="Column -> matching documents with this objective there."
    )
    doc_ids: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Column -> the ids of those documents (non-empty cells only).",
    )
    documents: int = Field(description="Matching documents with this objective, any column.")
    inferred_counts: dict[str, int] = Field(
        default_factory=dict,
        description="Column -> of `counts`, the documents placed under this objective by inference "
        "alone (non-empty only).",
    )
    inferred_documents: int = Field(0, description="Of `documents`, those placed by inference alone.")


class GapMapPublic(BaseModel):
    """Document counts per GCM objective (all 23 rows) x country (or region) for a query and filters."""

    query: str = ""
    filters: dict[str, Any] = Field(default_factory=dict)
    objective_sources: list[str]
    by_region: bool
    columns: list[str] = Field(
        description="Column keys: country codes, or region names with by_region."
    )
    column_names: list[str] = Field(description="English display names of the columns, in order.")
    column_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description='Column -> {"en": name, "es": name}.'
    )
    members: dict[str, list[str]] = Field(
        default_factory=dict, description="With by_region: each region's countries in the index "
        "(a cell's practices are a search for any of them and the objective).")
    rows: list[GapRow]
    matrix: list[list[int]] = Field(
        description="counts as a 23 x columns matrix, rows in objective order."
    )
    matched_documents: int


class ErrorDetail(BaseModel):
    param: str | None = Field(
        description="The parameter to change (null when no one parameter is at fault)."
    )
    message: str = Field(description="What is wrong with it and what to do.")


class ErrorResponse(BaseModel):
    detail: ErrorDetail
