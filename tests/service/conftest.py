"""Real servers for the service tests: `practice-search serve` in a subprocess on a
free port of 127.0.0.1, over an index built from the seeds in a tmp folder.

The bulk uses the fake encoder (selected in the subprocess through the core's
test hook PRACTICE_SEARCH_TEST_ENCODER); the `slow` tests use the real model.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

FAKE = "tests.fakes:FakeEncoder"
#: The seed document the gap-map checks follow: Peru and Ecuador, objectives 6, 10 and 15.
SEED_DOC = "000_9f6ad38c9b693b1b"


def check_error(r: httpx.Response, status: int | tuple[int, ...], param: str | None) -> str:
    """A 4xx whose JSON names the parameter to fix and says what to do; no traceback."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, r.text
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert detail["param"] == param, detail
    assert len(detail["message"]) > 10
    assert "Traceback" not in r.text and 'File "' not in r.text
    return detail["message"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    index_dir: Path
    process: subprocess.Popen
    log: Path

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kw.pop("timeout", 60), **kw)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(
    index_dir: Path, log: Path, *, fake: bool, ready_s: float = 120, env_extra: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Server:
    """Start `practice-search serve` and wait until /health answers (`env_extra`: settings
    for this server, e.g. PRACTICE_SEARCH_MAX_CONNECTIONS; `headers`: sent with /health,
    e.g. an API key)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    env.pop("PRACTICE_SEARCH_TEST_ENCODER", None)
    if fake:
        env["PRACTICE_SEARCH_TEST_ENCODER"] = FAKE
    cmd = [
        sys.executable,
        "-m",
        "practice_search.cli",
        "serve",
        "--index",
        str(index_dir),
        "--port",
        str(port),
    ]
    fh = log.open("wb")
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=2, headers=headers).status_code == 200:
                return Server(url, index_dir, proc, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(
        f"the server did not answer /health in {ready_s} s:\n{log.read_text(errors='replace')}"
    )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def build_fake_index(corpus: Path, index_dir: Path, **backend) -> Path:
    """`backend`: build_index's backend keywords (backend="milvus", milvus_uri=...)."""
    from indexer.build import build_index
    from tests.fakes import FakeEncoder

    build_index(corpus, index_dir, embedder=FakeEncoder(), **backend)
    return index_dir


@pytest.fixture(scope="session")
def fake_index(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fake_index(seeds_dir, tmp_path_factory.mktemp("fake") / "index")


@pytest.fixture(scope="session")
def fake_server(fake_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(fake_index, tmp_path_factory.mktemp("fake-log") / "server.log", fake=True)
    yield server
    stop_server(server.process)


@pytest.fixture(scope="session")
def milvus_fake_server(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory, milvus_server) -> Iterator[Server]:
    """The seeds served from Milvus (a Milvus Lite server) instead of FAISS."""
    index = build_fake_index(seeds_dir, tmp_path_factory.mktemp("fake-milvus") / "index",
                             backend="milvus", milvus_uri=milvus_server.uri)
    server = start_server(index, tmp_path_factory.mktemp("fake-milvus-log") / "server.log", fake=True)
    yield server
    stop_server(server.process)


@pytest.fixture()
def api(fake_server: Server) -> Iterator[httpx.Client]:
    with fake_server.client() as c:
        yield c


@pytest.fixture(scope="session")
def real_index(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Path:
    from indexer.build import build_index

    index_dir = tmp_path_factory.mktemp("real") / "index"
    build_index(seeds_dir, index_dir, embedder=real_embedder)
    return index_dir


@pytest.fixture(scope="session")
def real_server(real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        real_index, tmp_path_factory.mktemp("real-log") / "server.log", fake=False, ready_s=300
    )
    yield server
    stop_server(server.process)
