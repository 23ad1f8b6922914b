"""A test-encoder hook (PRACTICE_SEARCH_TEST_ENCODER=tests.reliability.cached_encoder:encoder):
the tiny BERT of the ONNX tests behind the real `Embedder`, so a build writes the real
embedding cache under PRACTICE_SEARCH_HOME, in seconds."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

HOOK = "tests.reliability.cached_encoder:encoder"


def encoder():
    from indexer.embedder import Embedder
    from tests.indexer.test_onnx_query import _tiny_st

    model_dir = Path(tempfile.mkdtemp(prefix="tiny-model-"))
    home = Path(os.environ["PRACTICE_SEARCH_HOME"])
    return Embedder(_tiny_st(model_dir), "tiny", "c0", cache_dir=home / "cache")
