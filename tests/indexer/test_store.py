"""MetadataStore filters: the per-document row gathering equals the mask over every row."""

from __future__ import annotations

import numpy as np
import pytest

from indexer import store as store_mod
from indexer.filters import parse_filters
from indexer.store import MetadataStore, doc_row_index, rows_of_docs
from indexer.types import SearchError

FILTERS = [
    {"country": "PE"},
    {"country": ["PE", "EC"], "section": "lessons"},
    {"objective": 7},
    {"objective": [1, 2, 3], "lang": "es"},
    {"year_from": 2015, "year_to": 2020},
    {"country": "PE", "lang": "en", "section": ["lessons", "results"]},
    {"country": "ZZ"},
]


@pytest.mark.parametrize("selective", [0.0, 0.2, 1.0])
def test_allowed_rows_equals_the_row_mask(synth_docs, monkeypatch, selective):
    st = MetadataStore(synth_docs)
    monkeypatch.setattr(store_mod, "SELECTIVE_DOC_FRACTION", selective)
    for spec in FILTERS:
        try:
            f = parse_filters(**spec)
        except SearchError:  # an unknown country code is refused up front (tested elsewhere)
            continue
        want = np.flatnonzero(st.row_mask(f))
        got = st.allowed_rows(f)
        np.testing.assert_array_equal(got, want, err_msg=str(spec))
    assert st.allowed_rows(None) is None
    for d in range(len(st.documents)):
        assert st.rows_of_doc(d).tolist() == np.flatnonzero(st.row_doc == d).tolist()


def test_rows_of_docs_with_interleaved_rows():
    row_doc = np.array([2, 0, 1, 0, 2, 2, 1], dtype=np.int32)
    order, bounds = doc_row_index(row_doc, 4)  # document 3 has no rows
    assert rows_of_docs(order, bounds, np.array([0, 2])).tolist() == [0, 1, 3, 4, 5]
    assert rows_of_docs(order, bounds, np.array([3])).tolist() == []
    assert rows_of_docs(order, bounds, np.array([], dtype=np.int64)).tolist() == []
    assert rows_of_docs(order, bounds, np.arange(4)).tolist() == list(range(7))
