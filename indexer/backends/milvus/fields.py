"""What a Milvus collection holds beside each vector, and filters as Milvus expressions.

Every filter field of `indexer.store.MetadataStore` goes into the collection, the
document's fields repeated on each of its passages (Milvus filters rows), so that a
filter is a boolean expression evaluated inside the ANN search. `expression` mirrors
`MetadataStore.row_mask` field for field; the tests hold the two to the same rows.

Few scalar fields: on Milvus Lite a search's cost per hit grows with the number of
scalar fields in the schema, even when it returns only the row id (sample corpus, dense
top 256: 39.6 ms with one field per filter kind and per passage attribute, 18 scalar
fields; 22.0 ms with the 5 below; Zen 3). So every multi-valued or label filter field is
one tag in one string, ``tags``: "|cp:PE|ce:PE|oi:21|l:es|s:summary|t:evaluation|" (a
prefix per field: country or objective and the source's initial, l language, s section
kind, t document type), matched with ``like "%|cp:PE|%"``; values that are not letters
and digits are written escaped (`tag_value`), so no LIKE wildcard or quote reaches a
pattern and a tag matches exactly. Tag strings, not ARRAY fields with
``array_contains_any``: Milvus Lite evaluates array predicates row by row in Python
(0.7 s per query at 20k rows, measured), LIKE with Arrow's vectorised kernels; a Milvus
server evaluates both in C++. Years stay integer fields (ranges), the document its index.

Each row also holds its passage (id, text, section as written, ordinal, language,
section kind, inferred objectives) as one JSON string (`passage_fields`), so a serving
process fetches the passages a page shows and holds none (`indexer.passages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np

from corpus.types import COUNTRY_SOURCES, OBJECTIVE_SOURCES, InferredObjective, Passage

#: Layout of the collection; an index whose backend.json names another was built by an
#: older version of this code (`MilvusBackend._load` asks for a rebuild).
SCHEMA_VERSION = 2
#: tag prefix per (kind, source): the source's initial
COUNTRY_TAGS = {s: "c" + s[0] for s in COUNTRY_SOURCES}
OBJECTIVE_TAGS = {s: "o" + s[0] for s in OBJECTIVE_SOURCES}
LANG_TAG, SECTION_TAG, DOC_TYPE_TAG = "l", "s", "t"
assert len({*COUNTRY_TAGS.values(), *OBJECTIVE_TAGS.values(), LANG_TAG, SECTION_TAG, DOC_TYPE_TAG}) == 10
#: bytes of the tag string: every ISO 3166 code under each country source, every
#: objective under each objective source, and the labels (cut at a tag if ever longer)
TAGS_LENGTH = 8192
MAX_LABEL = 256  # language, section kind, document type: characters kept
#: bytes of the passage's JSON (Milvus's VARCHAR bound; passages are a few KB: bounded
#: in model tokens; a longer text is cut to fit)
PASSAGE_LENGTH = 65535
PASSAGE_FIELDS = ["row", "doc", "passage"]
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
    schema.add_field("year_min", DataType.INT64)
    schema.add_field("year_max", DataType.INT64)
    schema.add_field("tags", DataType.VARCHAR, max_length=TAGS_LENGTH)
    schema.add_field("passage", DataType.VARCHAR, max_length=PASSAGE_LENGTH)
    schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)


def tag_value(value) -> str:
    """A value as written in a tag: letters and digits as they are, every other
    character's UTF-8 bytes as ~hh (so a pattern holds no LIKE wildcard, quote or
    separator, and only the same value matches)."""
    out = []
    for ch in str(value):
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.extend(f"~{b:02x}" for b in ch.encode("utf-8"))
    return "".join(out)


def tags(countries: dict[str, Iterable[str]] | None = None, objectives: dict[str, Iterable[int]] | None = None,
         lang: str = "", section: str = "", doc_type: str = "") -> str:
    """A row's tag string (module docstring); `countries` / `objectives`: values per source."""
    parts = [f"{COUNTRY_TAGS[s]}:{tag_value(c)}" for s, codes in (countries or {}).items() for c in codes]
    parts += [f"{OBJECTIVE_TAGS[s]}:{int(n)}" for s, nums in (objectives or {}).items() for n in nums]
    parts += [f"{LANG_TAG}:{tag_value(lang[:MAX_LABEL])}", f"{SECTION_TAG}:{tag_value(section[:MAX_LABEL])}",
              f"{DOC_TYPE_TAG}:{tag_value(doc_type[:MAX_LABEL])}"]
    labels, rest = parts[-3:], parts[:-3]
    room = TAGS_LENGTH - len("|" + "|".join(labels) + "|") - 1
    kept: list[str] = []
    for t in rest:  # labels always fit; a list of tags longer than the field loses its last ones
        room -= len(t) + 1
        if room < 0:
            break
        kept.append(t)
    return "|" + "|".join([*kept, *labels]) + "|"


def empty_record(row: int) -> dict:
    """The fields of a row that no store describes (vectors added without metadata)."""
    return {"row": int(row), "doc": -1, "year_min": -1, "year_max": -1, "tags": tags(), "passage": "",
            "bm25": {NO_TERM: 1.0}}


def _bounded(text: str, n_bytes: int) -> str:
    """`text` cut to at most `n_bytes` of UTF-8, on a character boundary."""
    b = text.encode("utf-8")
    return text if len(b) <= n_bytes else b[:n_bytes].decode("utf-8", errors="ignore")


def passage_fields(p) -> dict:
    """The passage's own fields of its Milvus row (`corpus.types.Passage`): one JSON string."""
    rec = {"pid": p.id, "ordinal": int(p.ordinal), "label": p.section, "kind": p.section_kind, "lang": p.lang,
           "text": p.text}
    if p.objectives:
        rec["obj"] = [o.to_dict() for o in p.objectives]
    out = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    while len(out.encode("utf-8")) > PASSAGE_LENGTH:
        # a text past the field's bound: cut in proportion to what its JSON (escapes
        # included) may take, and again if escapes made the cut one too long
        raw, as_json = len(rec["text"].encode("utf-8")), len(json.dumps(rec["text"], ensure_ascii=False).encode("utf-8"))
        room = PASSAGE_LENGTH - (len(out.encode("utf-8")) - as_json)
        rec["text"] = _bounded(rec["text"], min(raw - 1, max(0, raw * room // as_json)))
        out = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    return {"passage": out}


def passage_of(rec: dict, doc_id: str):
    """The `Passage` a Milvus row holds (inverse of `passage_fields`)."""
    p = json.loads(rec["passage"])
    objs = tuple(InferredObjective.from_dict(x) for x in p.get("obj", ()))
    return Passage(id=p["pid"], doc_id=doc_id, ordinal=int(p["ordinal"]), text=p["text"], section=p["label"],
                   section_kind=p["kind"], lang=p["lang"], objectives=objs)


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
                "year_min": int(store.doc_year_min[d]),
                "year_max": int(store.doc_year_max[d]),
                "tags": tags({s: doc.countries.codes((s,)) for s in COUNTRY_SOURCES},
                             {s: [n for n in doc.objectives.numbers((s,)) if 1 <= n <= 23] for s in OBJECTIVE_SOURCES},
                             p.lang, p.section_kind, store.doc_types[int(store.doc_type[d])]),
            }
            rec.update(passage_fields(p))
        rec["vec"] = np.asarray(v, dtype=np.float32)
        rec["bm25"] = wt or {NO_TERM: 1.0}
        out.append(rec)
    return out


def _ints(values) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


def expression(filters=None, exclude_doc: int | None = None) -> str:
    """The Milvus boolean expression for `filters` (indexer.types.Filters), the same rows
    as `MetadataStore.row_mask`; "" for no filter."""
    parts: list[str] = []
    f = filters
    if f is not None and f.countries:
        parts.append(_any_tag([COUNTRY_TAGS[s] for s in f.country_sources if s in COUNTRY_TAGS], f.countries))
    if f is not None and f.objectives:
        parts.append(_any_tag([OBJECTIVE_TAGS[s] for s in f.objective_sources if s in OBJECTIVE_TAGS],
                              [int(n) for n in f.objectives]))
    if f is not None and f.year_from is not None:
        parts.append(f"year_max >= {int(f.year_from)}")
    if f is not None and f.year_to is not None:
        parts.append(f"(year_min >= 0 and year_min <= {int(f.year_to)})")
    if f is not None and f.doc_types:
        parts.append(_any_tag([DOC_TYPE_TAG], [t.lower()[:MAX_LABEL] for t in f.doc_types]))
    if f is not None and f.langs:
        parts.append(_any_tag([LANG_TAG], [lg[:MAX_LABEL] for lg in f.langs]))
    if f is not None and f.sections:
        parts.append(_any_tag([SECTION_TAG], [s[:MAX_LABEL] for s in f.sections]))
    if exclude_doc is not None:
        parts.append(f"doc != {int(exclude_doc)}")
    return " and ".join(parts)


def _any_tag(prefixes: list[str], values) -> str:
    """A row whose tag string holds, under any of `prefixes`, any of `values`."""
    if not prefixes or not values:
        return "row < 0"  # no source chosen: nothing passes (as the store's empty union)
    return "(" + " or ".join(f'tags like "%|{p}:{tag_value(v)}|%"' for p in prefixes for v in values) + ")"


def rows_expression(rows: np.ndarray) -> str:
    return f"row in {_ints(rows)}"
