"""The metadata store: documents, passage rows and per-value masks for fast filtering.

Row ids (the integers the vector backend and the lexical index hold) are positions in
`passage_ids`. A serving process whose backend holds the passages loads the store
without them (`load_serving`). Filters become a boolean mask over documents (countries, objectives per
source, years, doc type: precomputed boolean columns) and then over rows (language,
section kind), all vectorised numpy. Persisted as JSON Lines + JSON + npz; no pickle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from corpus.types import COUNTRY_SOURCES, OBJECTIVE_SOURCES, SECTION_KINDS, Document, Passage
from indexer.types import DEFAULT_COUNTRY_SOURCES, Filters, SearchError


def text_hash(text: str) -> str:
    """Content hash of a passage text (the key for reusing vectors at re-index)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def embedding_text(title: str, text: str) -> str:
    """What the model embeds for a passage: the document's title as a header, then the
    passage. A passage cut from the middle of a document rarely names what the document
    is about ("the evaluation cost USD 49,123" says nothing of child trafficking in Peru);
    the title gives it that context. BM25 and highlighting still use the passage alone."""
    title = " ".join(title.split())
    if not title or text.lstrip().startswith(title):
        return text
    return f"{title}\n{text}"


#: The serving files (`MetadataStore.load_serving`) beside the full documents.jsonl.
SERVING_DOCUMENTS, SERVING_COLUMNS, SERVING_NAMES = "documents.meta.jsonl", "columns.npz", "columns.json"

#: Filters passing at most this fraction of documents gather rows per document.
SELECTIVE_DOC_FRACTION = 0.2


def doc_row_index(row_doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(row order, bounds): the rows of document d are order[bounds[d]:bounds[d + 1]],
    ascending."""
    order = np.argsort(row_doc, kind="stable").astype(np.int64)
    bounds = np.searchsorted(row_doc[order], np.arange(n_docs + 1))
    return order, bounds


def rows_of_docs(order: np.ndarray, bounds: np.ndarray, docs: np.ndarray, presorted: bool = False) -> np.ndarray:
    """The sorted rows of the given documents, from a `doc_row_index`. `presorted`: the
    order is the identity and `docs` ascend, so the gathered rows already are sorted."""
    if len(docs) == 0:
        return np.zeros(0, dtype=np.int64)
    starts, lens = bounds[docs], bounds[docs + 1] - bounds[docs]
    total = int(lens.sum())
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    rows = order[shift + np.arange(total)]
    return rows if presorted else np.sort(rows)


class MetadataStore:
    """Documents and passage rows, with the columns that filters read."""

    def __init__(self, documents: Sequence[Document], hashes: Sequence[str] | None = None):
        """`hashes`: the saved reuse keys of a loaded index (computed from the texts when
        None, as for a new build)."""
        self._set_documents(documents)
        passages = [p for d in self.documents for p in d.passages]
        self.passages: Sequence[Passage] = passages
        self.passage_ids: list[str] | None = [p.id for p in passages]
        self.row_of: dict[str, int] | None = {pid: r for r, pid in enumerate(self.passage_ids)}
        n_rows = len(passages)
        row_doc = np.fromiter(
            (self.doc_index[p.doc_id] if p.doc_id in self.doc_index else -1 for p in passages),
            dtype=np.int32,
            count=n_rows,
        )
        if n_rows and row_doc.min() < 0:
            raise ValueError("a passage names a document that is not in the store")
        langs = sorted({p.lang for p in passages})
        lang_code = {v: i for i, v in enumerate(langs)}
        sections = list(SECTION_KINDS) + sorted({p.section_kind for p in passages} - set(SECTION_KINDS))
        sec_code = {v: i for i, v in enumerate(sections)}
        self._set_rows(row_doc, np.array([lang_code[p.lang] for p in passages], dtype=np.int16), langs,
                       np.array([sec_code[p.section_kind] for p in passages], dtype=np.int16), sections)
        #: hashes of the texts the model embeds: the key for reusing vectors at re-index
        self.hashes: list[str] | None = (
            [text_hash(self.embed_text(r)) for r in range(n_rows)] if hashes is None else list(hashes)
        )
        self._doc_columns()

    def _set_documents(self, documents: Sequence[Document]) -> None:
        self.documents: list[Document] = list(documents)
        self.doc_index: dict[str, int] = {}
        for i, d in enumerate(self.documents):
            if d.id in self.doc_index:
                raise ValueError(f"duplicate document id {d.id!r}")
            self.doc_index[d.id] = i

    def _set_rows(self, row_doc, row_lang, langs: list[str], row_section, sections: list[str]) -> None:
        """The row-level columns: each row's document, language and section kind."""
        self.row_doc = np.asarray(row_doc, dtype=np.int32)
        #: rows grouped by document (CSR): rows of document d = _row_order[_doc_bounds[d]:_doc_bounds[d+1]]
        self._row_order, self._doc_bounds = doc_row_index(self.row_doc, len(self.documents))
        #: passages listed document by document (as builds store them): no gather needed
        self._rows_in_doc_order = bool((self._row_order == np.arange(len(self.row_doc))).all())
        self.langs: list[str] = list(langs)
        self.row_lang = np.asarray(row_lang, dtype=np.int16)
        self.sections: list[str] = list(sections)
        self.row_section = np.asarray(row_section, dtype=np.int16)

    def _doc_columns(self) -> None:
        """The document-level columns that filters and facets read."""
        n_docs = len(self.documents)
        self.countries: list[str] = sorted({c for d in self.documents for c in d.countries.all()})
        ccode = {c: i for i, c in enumerate(self.countries)}
        #: document x country per source (primary includes explicit); see country_matrix
        self.doc_country_by_source = {
            s: np.zeros((n_docs, max(len(self.countries), 1)), dtype=bool) for s in COUNTRY_SOURCES
        }
        self._country_cache: dict[tuple[str, ...], np.ndarray] = {}
        self.doc_objective = {s: np.zeros((n_docs, 24), dtype=bool) for s in OBJECTIVE_SOURCES}
        self._objective_cache: dict[tuple[str, ...], np.ndarray] = {}
        self._cells: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.doc_year_min = np.full(n_docs, -1, dtype=np.int32)
        self.doc_year_max = np.full(n_docs, -1, dtype=np.int32)
        self.doc_types: list[str] = sorted({(d.doc_type or "").lower() for d in self.documents})
        tcode = {t: i for i, t in enumerate(self.doc_types)}
        self.doc_type = np.zeros(n_docs, dtype=np.int16)
        #: each doc type as first written (facets show it so); "" for none
        self.doc_type_names: list[str] = [""] * len(self.doc_types)
        # facet columns: document languages and years as document x value matrices
        self.doc_langs: list[str] = sorted({lg for d in self.documents for lg in d.languages})
        lcode = {v: i for i, v in enumerate(self.doc_langs)}
        self.doc_lang = np.zeros((n_docs, max(len(self.doc_langs), 1)), dtype=bool)
        # the year a document is filtered and counted by: its publication year where known,
        # else the years its text covers
        doc_years = [(int(d.published[:4]),) if d.published else tuple(d.years) for d in self.documents]
        self.years: list[int] = sorted({y for ys in doc_years for y in ys})
        ycode = {v: i for i, v in enumerate(self.years)}
        self.doc_year = np.zeros((n_docs, max(len(self.years), 1)), dtype=bool)
        for i, d in enumerate(self.documents):
            for lg in d.languages:
                self.doc_lang[i, lcode[lg]] = True
            for y in doc_years[i]:
                self.doc_year[i, ycode[y]] = True
            t = tcode[(d.doc_type or "").lower()]
            if d.doc_type and not self.doc_type_names[t]:
                self.doc_type_names[t] = d.doc_type
            for s in COUNTRY_SOURCES:
                for c in d.countries.codes((s,)):
                    self.doc_country_by_source[s][i, ccode[c]] = True
            for s in OBJECTIVE_SOURCES:
                for n in d.objectives.numbers((s,)):
                    if 1 <= n <= 23:
                        self.doc_objective[s][i, n] = True
            if doc_years[i]:
                self.doc_year_min[i], self.doc_year_max[i] = min(doc_years[i]), max(doc_years[i])
            self.doc_type[i] = tcode[(d.doc_type or "").lower()]

    # -- filtering -----------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        return len(self.row_doc)

    @staticmethod
    def _union(by_source: dict[str, np.ndarray], sources: Iterable[str], cache: dict) -> np.ndarray:
        """OR of the per-source document matrices, kept per combination of sources (the store
        never changes; do not write to it)."""
        key = tuple(sorted(set(sources)))
        m = cache.get(key)
        if m is None:
            m = np.zeros_like(next(iter(by_source.values())))
            for s in key:
                if s in by_source:
                    m |= by_source[s]
            m.flags.writeable = False
            cache[key] = m
        return m

    def objective_matrix(self, sources: Iterable[str]) -> np.ndarray:
        """(docs, 24) boolean: document has objective n from any of the sources."""
        return self._union(self.doc_objective, sources, self._objective_cache)

    @property
    def doc_country(self) -> np.ndarray:
        """(docs, countries) boolean for the default country sources (explicit + primary)."""
        return self.country_matrix(DEFAULT_COUNTRY_SOURCES)

    def country_matrix(self, sources: Iterable[str]) -> np.ndarray:
        """(docs, countries) boolean: document has the country from any of the sources."""
        return self._union(self.doc_country_by_source, sources, self._country_cache)

    def doc_mask(self, f: Filters | None) -> np.ndarray:
        """Boolean over documents: passes the document-level filters."""
        mask = np.ones(len(self.documents), dtype=bool)
        if f is None:
            return mask
        if f.countries:
            cols = [self.countries.index(c) for c in f.countries if c in self.countries]
            mask &= self.country_matrix(f.country_sources)[:, cols].any(axis=1) if cols else False
        if f.objectives:
            mask &= self.objective_matrix(f.objective_sources)[:, list(f.objectives)].any(axis=1)
        if f.year_from is not None:
            mask &= self.doc_year_max >= f.year_from
        if f.year_to is not None:
            mask &= (self.doc_year_min >= 0) & (self.doc_year_min <= f.year_to)
        if f.doc_types:
            codes = [self.doc_types.index(t) for t in f.doc_types if t in self.doc_types]
            mask &= np.isin(self.doc_type, codes)
        return mask

    def row_mask(self, f: Filters | None) -> np.ndarray:
        """Boolean over rows: the passage and its document pass every filter."""
        if f is None or f.is_empty():
            return np.ones(self.n_rows, dtype=bool)
        mask = self.doc_mask(f)[self.row_doc]
        if f.langs:
            codes = [self.langs.index(lg) for lg in f.langs if lg in self.langs]
            mask &= np.isin(self.row_lang, codes)
        if f.sections:
            codes = [self.sections.index(s) for s in f.sections if s in self.sections]
            mask &= np.isin(self.row_section, codes)
        return mask

    def check_filters(self, f: Filters) -> None:
        """Refuse a language or document type this index does not hold, naming the ones it
        does (a typo or an absent value would otherwise give an unexplained zero)."""
        for param, asked, known in (("lang", f.langs, self.langs), ("doc_type", f.doc_types, self.doc_types)):
            missing = [v for v in asked if v not in known]
            if missing:
                have = ", ".join(v for v in known if v and v != "und") or "none"
                raise SearchError(param, f"this index holds no {'passage in' if param == 'lang' else 'document of type'} "
                                         f"{', '.join(missing)}; it holds: {have}")

    def allowed_rows(self, f: Filters | None) -> np.ndarray | None:
        """Row ids passing the filters (sorted), or None when there is no filter (all rows).

        A selective document filter gathers its documents' rows (work in proportion to
        what passes: at 1M passages a 1% filter takes ~0.3 ms instead of ~3 ms for a mask
        over every row); a broad one masks every row."""
        if f is None or f.is_empty():
            return None
        self.check_filters(f)
        docs = np.flatnonzero(self.doc_mask(f))
        if len(docs) > SELECTIVE_DOC_FRACTION * max(len(self.documents), 1):
            return np.flatnonzero(self.row_mask(f))
        rows = rows_of_docs(self._row_order, self._doc_bounds, docs, presorted=self._rows_in_doc_order)
        if f.langs:
            codes = [self.langs.index(lg) for lg in f.langs if lg in self.langs]
            rows = rows[np.isin(self.row_lang[rows], codes)]
        if f.sections:
            codes = [self.sections.index(s) for s in f.sections if s in self.sections]
            rows = rows[np.isin(self.row_section[rows], codes)]
        return rows

    def count_docs(self, matrix: np.ndarray, docs: np.ndarray) -> np.ndarray:
        """Column counts of a document x value boolean matrix (doc_country, doc_lang,
        doc_year, an objective_matrix) over the given documents: a bincount over the
        matrix's true cells (kept per matrix), not a gather of every matched row."""
        key = id(matrix)
        cells = self._cells.get(key)
        if cells is None or cells[0] is not matrix:
            cells = (matrix, *np.nonzero(matrix))
            self._cells[key] = cells
        _, cell_doc, cell_val = cells
        chosen = np.zeros(len(self.documents), dtype=bool)
        chosen[docs] = True
        return np.bincount(cell_val[chosen[cell_doc]], minlength=matrix.shape[1])

    def sort_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(date key, title rank) per document, computed once: the date as YYYYMMDD from
        `published` (else the last year the text covers, else -1), the rank of the
        case-folded title (the id when untitled) in alphabetical order."""
        keys = getattr(self, "_sort_keys", None)
        if keys is None:
            dates = np.full(len(self.documents), -1, dtype=np.int64)
            for i, d in enumerate(self.documents):
                if d.published:
                    parts = [int(x) for x in d.published.split("-")[:3]] + [0, 0]
                    dates[i] = parts[0] * 10000 + parts[1] * 100 + parts[2]
                elif d.years:
                    dates[i] = max(d.years) * 10000
            titles = np.array([(d.title or d.id).casefold() for d in self.documents], dtype=object)
            rank = np.empty(len(titles), dtype=np.int64)
            rank[np.argsort(titles, kind="stable")] = np.arange(len(titles))
            keys = self._sort_keys = (dates, rank)
        return keys

    # -- access --------------------------------------------------------------------
    def docs_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """The documents (indices, ascending) holding any of `rows` (row ids, or a boolean
        mask over rows): one pass over the rows, no sort."""
        rows = np.asarray(rows)
        if rows.dtype == bool and np.count_nonzero(rows) < len(rows) // 16:
            rows = np.flatnonzero(rows)  # sparse: gather the few rows' documents
        if rows.dtype == bool and len(self.documents) and len(rows) == self.n_rows:
            # a mask over every row: OR it within each document's run of rows
            mask = rows if self._rows_in_doc_order else rows[self._row_order]
            starts = self._doc_bounds[:-1]
            nonempty = starts < self._doc_bounds[1:]
            seen = np.zeros(len(self.documents), dtype=bool)
            if nonempty.any():
                seen[nonempty] = np.logical_or.reduceat(mask, starts[nonempty])
            return np.flatnonzero(seen)
        seen = np.zeros(len(self.documents), dtype=bool)
        seen[self.row_doc[rows]] = True
        return np.flatnonzero(seen)

    def rows_of_doc(self, doc: int) -> np.ndarray:
        """The rows of document index `doc`, ascending."""
        return self._row_order[self._doc_bounds[doc] : self._doc_bounds[doc + 1]]

    def embed_text(self, row: int) -> str:
        """The text the model embeds for a passage row (its document's title, then the passage)."""
        p = self.passage(row)
        return embedding_text(self.documents[self.doc_index[p.doc_id]].title, p.text)

    def document(self, doc_id: str) -> Document | None:
        """The document with all its passages (fetched when the backend holds them)."""
        i = self.doc_index.get(doc_id)
        if i is None:
            return None
        doc = self.documents[i]
        if isinstance(self.passages, list):
            return doc
        return replace(doc, passages=tuple(self.passages_at(self.rows_of_doc(i))))

    def passage(self, row: int) -> Passage:
        return self.passages_at([row])[0]

    def passages_at(self, rows) -> list[Passage]:
        """The passages of `rows`, in order: one fetch for them all when the backend holds
        the passages (`indexer.passages`)."""
        rows = [int(r) for r in rows]
        if isinstance(self.passages, list):
            return [self.passages[r] for r in rows]
        return self.passages.get_many(rows)

    def doc_of_row(self, row: int) -> Document:
        return self.documents[int(self.row_doc[row])]

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        with open(d / "documents.jsonl", "w", encoding="utf-8") as fh:
            for doc in self.documents:
                fh.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
        rows = {"passage_ids": self.passage_ids, "hashes": self.hashes}
        (d / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
        # what a serving process reads when the backend holds the passages (load_serving)
        with open(d / SERVING_DOCUMENTS, "w", encoding="utf-8") as fh:
            for doc in self.documents:
                fh.write(json.dumps(replace(doc, passages=()).to_dict(), ensure_ascii=False) + "\n")
        np.savez(d / SERVING_COLUMNS, row_doc=self.row_doc, row_lang=self.row_lang, row_section=self.row_section)
        (d / SERVING_NAMES).write_text(json.dumps({"langs": self.langs, "sections": self.sections}), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> MetadataStore:
        d = Path(directory)
        docs = []
        with open(d / "documents.jsonl", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    docs.append(Document.from_dict(json.loads(line)))
        rows = json.loads((d / "rows.json").read_text(encoding="utf-8"))
        # The reuse keys are what the vectors were computed from when this index was built;
        # recomputing them here would let a newer embedding text reuse stale vectors.
        store = cls(docs, hashes=rows["hashes"])
        if rows["passage_ids"] != store.passage_ids or len(rows["hashes"]) != store.n_rows:
            raise ValueError(f"index store at {d} is inconsistent: rows.json does not match documents.jsonl")
        return store

    @classmethod
    def load_serving(cls, directory: str | Path, backend) -> MetadataStore:
        """The store a serving process holds when `backend` holds the passages: documents
        without their passages and three row columns (document, language, section kind);
        passages are fetched from the backend as pages need them. No passage ids, no reuse
        hashes (builds use `load`)."""
        from indexer.passages import BackendPassages

        d = Path(directory)
        with open(d / SERVING_DOCUMENTS, encoding="utf-8") as fh:
            docs = [Document.from_dict(json.loads(line)) for line in fh if line.strip()]
        names = json.loads((d / SERVING_NAMES).read_text(encoding="utf-8"))
        with np.load(d / SERVING_COLUMNS, allow_pickle=False) as cols:
            row_doc, row_lang, row_section = cols["row_doc"], cols["row_lang"], cols["row_section"]
        store = cls.__new__(cls)
        store._set_documents(docs)
        store._set_rows(row_doc, row_lang, names["langs"], row_section, names["sections"])
        store.passages = BackendPassages(backend, [doc.id for doc in docs], len(row_doc))
        store.passage_ids = store.row_of = store.hashes = None
        store._doc_columns()
        return store
