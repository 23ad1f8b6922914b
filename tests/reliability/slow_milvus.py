"""A test encoder hook that makes a milvus build stop half-way through writing its
collection, so a test can SIGKILL it there.

PRACTICE_SEARCH_TEST_ENCODER=tests.reliability.slow_milvus:FakeEncoder. Importing this
module wraps MilvusBackend.add: after the first batch is in Milvus it creates the file
named by PRACTICE_SEARCH_SLOW_MARKER and sleeps PRACTICE_SEARCH_SLOW_SECONDS.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from indexer.backends.milvus import backend as _backend
from tests.fakes import FakeEncoder  # noqa: F401  the hook's encoder

_real_add = _backend.MilvusBackend.add


def _add_then_wait(self, ids, vectors) -> None:
    half = max(1, len(ids) // 2)
    _real_add(self, ids[:half], vectors[:half])
    marker = os.environ.get("PRACTICE_SEARCH_SLOW_MARKER")
    if marker:
        Path(marker).write_text(self.collection)
    time.sleep(float(os.environ.get("PRACTICE_SEARCH_SLOW_SECONDS", "30")))
    _real_add(self, ids[half:], vectors[half:])


_backend.MilvusBackend.add = _add_then_wait
