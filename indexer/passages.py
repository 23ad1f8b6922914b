"""Passages held by the vector engine, read a page at a time instead of held.

With a backend that holds each row's passage (`VectorBackend.holds_passages`: Milvus),
a serving process keeps the documents' metadata and three row columns (document,
language, section kind: 8 bytes a passage, what filters, facets and grouping read) and
fetches the passages a page shows in one call (`MetadataStore.passages_at`); up to
`CACHE_ROWS` recent records are kept, so paging and repeated queries fetch nothing new.

Tried and not kept: asking the engine for the passage fields of every candidate it
returns (the dense search's 256 hits, the BM25 candidates whose vectors a hybrid query
fetches), which saves the page's own round trip. On Milvus Lite it cost more than it
saved: the search took 34 ms instead of 27 (p50, sample corpus) and the vector fetch
21 ms instead of about 7, against about 4 ms for fetching the page's passages.

The version folder's `store/documents.jsonl` still holds every passage, for builds (a
re-index reuses vectors by content hash) and inspection; a serving process never reads
it, so several `serve` processes on several machines answer from one Milvus with only
the folder's small serving files beside them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from corpus.types import Passage
from indexer.types import EngineUnavailable

#: Passage records kept in a serving process (a few hundred pages).
CACHE_ROWS = 4096


class BackendPassages:
    """The passages of rows 0..n-1, read from `backend` (a `Sequence`-like view)."""

    def __init__(self, backend, doc_ids: Sequence[str], n_rows: int, cache_rows: int = CACHE_ROWS):
        self.backend, self.doc_ids, self.n_rows, self.cache_rows = backend, doc_ids, int(n_rows), int(cache_rows)
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, row: int) -> Passage:
        return self.get_many([row])[0]

    def _keep(self, records: dict[int, dict]) -> None:
        """Keep passage records (row -> record), most recent last."""
        with self._lock:
            for r, rec in records.items():
                self._cache[r] = rec
                self._cache.move_to_end(r)
            while len(self._cache) > self.cache_rows:
                self._cache.popitem(last=False)

    def get_many(self, rows: Sequence[int]) -> list[Passage]:
        """The passages of `rows`, in order; one backend call for those not kept."""
        rows = [int(r) for r in rows]
        for r in rows:
            if not 0 <= r < self.n_rows:
                raise IndexError(f"row {r} is not in this index (0..{self.n_rows - 1})")
        with self._lock:
            have = {r: self._cache[r] for r in rows if r in self._cache}
        missing = sorted(set(rows) - set(have))
        if missing:
            got = self.backend.passage_records(missing)
            lost = [r for r in missing if r not in got]
            if lost:
                raise EngineUnavailable(f"the {self.backend.name} backend holds no passage for rows {lost[:5]} "
                                        "of this index version; build the index again")
            have.update(got)
        self._keep({r: have[r] for r in rows})
        return [self.backend.to_passage(have[r], self.doc_ids) for r in rows]
