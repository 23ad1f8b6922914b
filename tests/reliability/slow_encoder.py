"""A fake encoder that takes its time, for tests that must catch a build mid-way.

Selected in `practice-search index` subprocesses through the core's test hook:
PRACTICE_SEARCH_TEST_ENCODER=tests.reliability.slow_encoder:SlowEncoder. When
PRACTICE_SEARCH_SLOW_MARKER names a file, it is created as embedding starts, so a test
knows the build is under way; PRACTICE_SEARCH_SLOW_SECONDS sets the total delay.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tests.fakes import FakeEncoder

HOOK = "tests.reliability.slow_encoder:SlowEncoder"


class SlowEncoder(FakeEncoder):
    """FakeEncoder vectors, delivered slowly (in ten steps) while passages are embedded."""

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        marker = os.environ.get("PRACTICE_SEARCH_SLOW_MARKER")
        if marker:
            Path(marker).write_text(str(os.getpid()))
        total = float(os.environ.get("PRACTICE_SEARCH_SLOW_SECONDS", "3"))
        for _ in range(10):
            time.sleep(total / 10)
        return super().embed_passages(texts, progress)
