"""Query sets: the JSON Lines format of ../shared/EVAL_FORMAT.md, and BEIR's layout.

A query set may be written by someone other than the developers, so the loader is
lenient where the format allows it (unknown fields ignored, optional fields missing)
and strict where a mistake would make the numbers silently wrong (a broken line, a
duplicate id, a wrong type): those raise ValueError naming the file and line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The fields EVAL_FORMAT.md defines; any other field on a line is ignored.
KNOWN_FIELDS: tuple[str, ...] = (
    "id",
    "query",
    "relevant",
    "evidence",
    "lang",
    "filters",
    "must_include",
    "must_exclude",
)


@dataclass(frozen=True)
class Query:
    """One evaluation query. `relevant` maps document ids to relevance grades (1 in the
    JSON Lines format; BEIR qrels may grade higher)."""

    id: str
    text: str
    relevant: Mapping[str, int] = field(default_factory=dict, hash=False)
    evidence: str | None = None
    lang: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict, hash=False)
    must_include: tuple[str, ...] = ()
    must_exclude: tuple[str, ...] = ()

    @property
    def judged(self) -> bool:
        """Whether the query has relevance judgements (needed for nDCG, MRR, recall)."""
        return bool(self.relevant)


@dataclass(frozen=True)
class BeirCorpus:
    """A BEIR data set: corpus {doc_id: {"title", "text"}} and its queries with qrels."""

    corpus: Mapping[str, Mapping[str, str]]
    queries: tuple[Query, ...]


def _id_list(value: Any, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        raise ValueError(f"{where}: `{name}` must be a list of document ids, e.g. [\"{value}\"]")
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: `{name}` must be a list of non-empty document id strings")
    return tuple(dict.fromkeys(value))


def _opt_str(value: Any, name: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{where}: `{name}` must be a string, got {type(value).__name__}")
    return value if value.strip() else None


def parse_query(obj: Any, where: str) -> Query:
    """One query from a decoded JSON object; `where` ("file:line") prefixes errors."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    qid = obj.get("id")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip():
        raise ValueError(f"{where}: missing `id` (a non-empty string)")
    text = obj.get("query")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}: query {qid!r} has no `query` text")
    filters = obj.get("filters")
    if filters is None:
        filters = {}
    if not isinstance(filters, dict):
        raise ValueError(f"{where}: `filters` must be an object, e.g. {{\"country\": \"PE\"}}")
    relevant = _id_list(obj.get("relevant"), "relevant", where)
    return Query(
        id=qid,
        text=text,
        relevant={d: 1 for d in relevant},
        evidence=_opt_str(obj.get("evidence"), "evidence", where),
        lang=_opt_str(obj.get("lang"), "lang", where),
        filters=dict(filters),
        must_include=_id_list(obj.get("must_include"), "must_include", where),
        must_exclude=_id_list(obj.get("must_exclude"), "must_exclude", where),
    )


def load_jsonl_queries(path: str | Path) -> list[Query]:
    """Read a JSON Lines query file (blank lines skipped)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"query file {path} does not exist")
    queries: list[Query] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            q = parse_query(obj, where)
            if q.id in seen:
                raise ValueError(f"{where}: duplicate query id {q.id!r} (first on line {seen[q.id]})")
            seen[q.id] = lineno
            queries.append(q)
    if not queries:
        raise ValueError(f"query file {path} holds no queries")
    return queries


def _beir_file(root: Path, rel: str) -> Path:
    p = root / rel
    if not p.is_file():
        raise ValueError(f"BEIR data set {root}: missing file {rel} (expected corpus.jsonl, queries.jsonl, qrels/<split>.tsv)")
    return p


def read_jsonl_objects(path: Path, key: str | None = "_id") -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a line that is not a JSON object
    (holding `key`, unless None) is a ValueError naming the file and line."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or (key is not None and key not in obj):
                raise ValueError(f"{path}:{lineno}: expected an object" + (f" with an `{key}`" if key else ""))
            out.append((lineno, obj))
    return out


def load_beir(root: str | Path, split: str = "test") -> BeirCorpus:
    """Read BEIR's layout: corpus.jsonl, queries.jsonl and qrels/<split>.tsv (with a header
    line). Only queries that have qrels are kept, as BEIR does."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"BEIR data set {root} is not a directory")
    corpus_path = _beir_file(root, "corpus.jsonl")
    queries_path = _beir_file(root, "queries.jsonl")
    qrels_path = _beir_file(root, f"qrels/{split}.tsv")

    corpus: dict[str, dict[str, str]] = {}
    for _, obj in read_jsonl_objects(corpus_path):
        corpus[str(obj["_id"])] = {"title": str(obj.get("title") or ""), "text": str(obj.get("text") or "")}

    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if not rows:
        raise ValueError(f"{qrels_path}: empty; expected a header `query-id corpus-id score` and rows")
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 3:
            raise ValueError(f"{qrels_path}:{lineno}: expected 3 tab-separated columns (query-id, corpus-id, score)")
        try:
            grade = int(float(row[2]))
        except ValueError:
            raise ValueError(f"{qrels_path}:{lineno}: score {row[2]!r} is not a number") from None
        if grade > 0:
            qrels.setdefault(row[0], {})[row[1]] = grade

    queries = []
    for lineno, obj in read_jsonl_objects(queries_path):
        qid = str(obj["_id"])
        if qid not in qrels:
            continue
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{queries_path}:{lineno}: query {qid!r} has no `text`")
        lang = obj.get("lang") or (obj.get("metadata") or {}).get("lang")
        queries.append(Query(id=qid, text=text, relevant=dict(qrels[qid]), lang=lang if isinstance(lang, str) else None))
    if not queries:
        raise ValueError(f"BEIR data set {root}: no query in queries.jsonl has qrels in qrels/{split}.tsv")
    return BeirCorpus(corpus=corpus, queries=tuple(queries))


def load_queries(path: str | Path) -> list[Query]:
    """A query set from a JSON Lines file, or from a BEIR directory (its test qrels)."""
    path = Path(path)
    if path.is_dir():
        return list(load_beir(path).queries)
    return load_jsonl_queries(path)
