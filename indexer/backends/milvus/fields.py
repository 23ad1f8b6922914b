"""What a Milvus collection holds beside each vector, and filters as Milvus expressions.

Every filter field of `indexer.store.MetadataStore` goes into the collection, the
document's fields repeated on each of its passages (Milvus filters rows), so that a
filter is a boolean expression evaluated inside the ANN search. `expression` mirrors
`MetadataStore.row_mask` field for field; the tests hold the two to the same rows.

Multi-valued fields (countries and objectives per source) are tag strings, "|PE|EC|",
matched with ``like "%|PE|%"``, not ARRAY fields with ``array_contains_any``: Milvus
Lite evaluates array predicates row by row in Python (0.7 s per query at 20k rows,
measured), LIKE with Arrow's vectorised kernels; a Milvus server evaluates both in C++.

Each row also holds its passage (id, text, section as written, ordinal, inferred
objectives: `passage_fields`), so a serving process fetches the passages a page shows
and holds none (`indexer.passages`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from corpus.types import COUNTRY_SOURCES, OBJECTIVE_SOURCES, InferredObjective, Passage

#: scalar fields beside the primary key ``row`` and the vector ``vec``
COUNTRY_FIELDS = {s: f"c_{s}" for s in COUNTRY_SOURCES}
OBJECTIVE_FIELDS = {s: f"o_{s}" for s in OBJECTIVE_SOURCES}
MAX_LABEL = 256  # language, section kind, document type
TAGS_LENGTH = {"country": 1024, "objective": 128}  # every ISO 3166 code; objectives 1-23
#: the passage itself (a serving process fetches what a page shows; it holds no texts):
#: bytes of UTF-8 per field, Milvus's VARCHAR bound (passages are a few KB: bounded in
#: model tokens)
PASSAGE_LENGTH = {"pid": 1024, "text": 65535, "label": 1024, "p_obj": 2048}
PASSAGE_FIELDS = ["row", "doc", "lang", "section", "ordinal", *PASSAGE_LENGTH]
#: the row's BM25 weight per token id (`indexer.backends.milvus.lexical`); a row without
#: any (no store, or no token) holds this id, which no vocabulary reaches (Milvus refuses
#: an empty sparse vector)
NO_TERM = 2**32 - 2
#: row ids per ``row in [...]`` expression (one that long parses in milliseconds)
MAX_IDS_PER_EXPRESSION = 8192


def add_fields(schema, dim: int) -> None:
    """The collection's fields, on a pymilvus schema."""
    from pymilvus import DataType

    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("doc", DataType.INT64)
    schema.add_field("lang", DataType.VARCHAR, max_length=MAX_LABEL)
    schema.add_field("section", DataType.VARCHAR, max_length=MAX_LABEL)
    schema.add_field("doc_type", DataType.VARCHAR, max_length=MAX_LABEL)
    schema.add_field("year_min", DataType.INT64)
    schema.add_field("year_max", DataType.INT64)
    for f in COUNTRY_FIELDS.values():
        schema.add_field(f, DataType.VARCHAR, max_length=TAGS_LENGTH["country"])
    for f in OBJECTIVE_FIELDS.values():
        schema.add_field(f, DataType.VARCHAR, max_length=TAGS_LENGTH["objective"])
    schema.add_field("ordinal", DataType.INT64)
    for f, n in PASSAGE_LENGTH.items():
        schema.add_field(f, DataType.VARCHAR, max_length=n)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)


def tags(values) -> str:
    """Values as one tag string: "|PE|EC|" ("" for none)."""
    vals = [str(v) for v in values]
    return "|" + "|".join(vals) + "|" if vals else ""


def empty_record(row: int) -> dict:
    """The fields of a row that no store describes (vectors added without metadata)."""
    rec: dict = {"row": int(row), "doc": -1, "lang": "", "section": "", "doc_type": "", "year_min": -1, "year_max": -1}
    rec.update({f: "" for f in COUNTRY_FIELDS.values()})
    rec.update({f: "" for f in OBJECTIVE_FIELDS.values()})
    rec.update({f: "" for f in PASSAGE_LENGTH}, ordinal=-1)
    rec["bm25"] = {NO_TERM: 1.0}
    return rec


def _bounded(text: str, n_bytes: int) -> str:
    """`text` cut to at most `n_bytes` of UTF-8, on a character boundary."""
    b = text.encode("utf-8")
    return text if len(b) <= n_bytes else b[:n_bytes].decode("utf-8", errors="ignore")


def passage_fields(p) -> dict:
    """The passage's own fields of its Milvus row (`corpus.types.Passage`)."""
    objs = json.dumps([o.to_dict() for o in p.objectives], separators=(",", ":")) if p.objectives else ""
    return {"ordinal": int(p.ordinal), "pid": _bounded(p.id, PASSAGE_LENGTH["pid"]),
            "text": _bounded(p.text, PASSAGE_LENGTH["text"]), "label": _bounded(p.section, PASSAGE_LENGTH["label"]),
            "p_obj": objs}


def passage_of(rec: dict, doc_id: str):
    """The `Passage` a Milvus row holds (inverse of `passage_fields`)."""
    objs = tuple(InferredObjective.from_dict(x) for x in json.loads(rec["p_obj"])) if rec.get("p_obj") else ()
    return Passage(id=rec["pid"], doc_id=doc_id, ordinal=int(rec["ordinal"]), text=rec["text"],
                   section=rec["label"], section_kind=rec["section"], lang=rec["lang"], objectives=objs)


def records(store, rows: Sequence[int], vectors: np.ndarray, lexical=None) -> list[dict]:
    """One Milvus row per passage row: its vector, the filter fields of `store.row_mask`
    (the document's fields copied onto the passage), the passage, and its BM25 weights
    from `lexical` (an `indexer.lexical.LexicalIndex` over the store's rows)."""
    out = []
    weights = lexical.row_weights(rows) if lexical is not None else [{} for _ in rows]
    for r, v, wt in zip(rows, vectors, weights, strict=True):
        r = int(r)
        if store is None or r >= store.n_rows:
            rec = empty_record(r)
        else:
            d = int(store.row_doc[r])
            doc = store.documents[d]
            p = store.passages[r]
            rec = {
                "row": r,
                "doc": d,
                "lang": p.lang[:MAX_LABEL],
                "section": p.section_kind[:MAX_LABEL],
                "doc_type": store.doc_types[int(store.doc_type[d])][:MAX_LABEL],
                "year_min": int(store.doc_year_min[d]),
                "year_max": int(store.doc_year_max[d]),
            }
            for s, f in COUNTRY_FIELDS.items():
                rec[f] = tags(doc.countries.codes((s,)))[: TAGS_LENGTH["country"]]
            for s, f in OBJECTIVE_FIELDS.items():
                rec[f] = tags(n for n in doc.objectives.numbers((s,)) if 1 <= n <= 23)
            rec.update(passage_fields(p))
        rec["vec"] = np.asarray(v, dtype=np.float32)
        rec["bm25"] = wt or {NO_TERM: 1.0}
        out.append(rec)
    return out


def quote(text: str) -> str:
    """A Milvus string literal (backslashes and double quotes escaped)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _strings(values) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def _ints(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def expression(filters=None, exclude_doc: int | None = None) -> str:
    """The Milvus boolean expression for `filters` (indexer.types.Filters), the same rows
    as `MetadataStore.row_mask`; "" for no filter."""
    parts: list[str] = []
    f = filters
    if f is not None and f.countries:
        fields = [COUNTRY_FIELDS[s] for s in f.country_sources if s in COUNTRY_FIELDS]
        parts.append(_any_of(fields, f.countries))
    if f is not None and f.objectives:
        fields = [OBJECTIVE_FIELDS[s] for s in f.objective_sources if s in OBJECTIVE_FIELDS]
        parts.append(_any_of(fields, [int(n) for n in f.objectives]))
    if f is not None and f.year_from is not None:
        parts.append(f"year_max >= {int(f.year_from)}")
    if f is not None and f.year_to is not None:
        parts.append(f"(year_min >= 0 and year_min <= {int(f.year_to)})")
    if f is not None and f.doc_types:
        parts.append(f"doc_type in {_strings(t.lower() for t in f.doc_types)}")
    if f is not None and f.langs:
        parts.append(f"lang in {_strings(f.langs)}")
    if f is not None and f.sections:
        parts.append(f"section in {_strings(f.sections)}")
    if exclude_doc is not None:
        parts.append(f"doc != {int(exclude_doc)}")
    return " and ".join(parts)


def _any_of(fields: list[str], values) -> str:
    """A row whose tag string in any of `fields` holds any of `values` (codes and
    numbers: no LIKE wildcard or quote can occur in them)."""
    if not fields or not values:
        return "row < 0"  # no source chosen: nothing passes (as the store's empty union)
    for v in values:
        if not str(v).isalnum():
            raise ValueError(f"a country code or objective number is letters and digits, got {v!r}")
    return "(" + " or ".join(f'{f} like "%|{v}|%"' for f in fields for v in values) + ")"


def rows_expression(rows: np.ndarray) -> str:
    return f"row in {_ints(rows)}"
