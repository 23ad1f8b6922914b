"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes import FakeEncoder

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO / ".." / "shared").resolve()
SEEDS = SHARED / "seeds"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: the suite reads the seeds and benchmarks from there")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    return shared_dir / "seeds"


@pytest.fixture()
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="session")
def real_embedder():
    """The real default model (built offline by `practice-search model build`)."""
    from indexer.embedder import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A Milvus Lite gRPC server for the session (the client path of a real cluster)."""
    from indexer.backends.milvus.server import MilvusServer

    server = MilvusServer(tmp_path_factory.mktemp("milvus") / "data")
    yield server
    server.stop()
