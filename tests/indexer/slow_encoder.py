"""Test-only encoder for subprocess builds (PRACTICE_SEARCH_TEST_ENCODER=tests.indexer.slow_encoder:SlowFakeEncoder):
announces itself on stdout, then sleeps before encoding, so a test can kill a build mid-way."""

from __future__ import annotations

import os
import time

from tests.fakes import FakeEncoder


class SlowFakeEncoder(FakeEncoder):
    def embed_passages(self, texts, progress=False):
        print("embedding", flush=True)
        time.sleep(float(os.environ.get("SLOW_ENCODER_SECONDS", "60")))
        return super().embed_passages(texts)
