"""A build killed with SIGKILL leaves the previous index serving, and concurrent
`practice-search index` runs on one folder are refused or serialised, never interleaved.
(The core's own tests cover kill-then-load; these cover kill-while-serving.)"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.reliability.conftest import (
    assert_consistent,
    index_command,
    index_counts,
    index_env,
    make_corpus,
    run_index,
)
from tests.reliability.slow_encoder import HOOK as SLOW
from tests.service.conftest import FAKE, build_fake_index, start_server, stop_server


def _seed_ids(corpus: Path) -> list[str]:
    return sorted(p.stem for p in corpus.glob("*.txt"))


def _start_slow_build(corpus: Path, index: Path, marker: Path, seconds: float) -> subprocess.Popen:
    marker.unlink(missing_ok=True)
    env = index_env(SLOW, PRACTICE_SEARCH_SLOW_MARKER=str(marker), PRACTICE_SEARCH_SLOW_SECONDS=str(seconds))
    return subprocess.Popen(index_command(corpus, index), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never started embedding"
        time.sleep(0.05)


def test_build_killed_mid_way_leaves_the_previous_index_serving(seeds_dir: Path, tmp_path: Path):
    old = make_corpus(tmp_path / "old", seeds_dir, 2, hostile=False)
    new = make_corpus(tmp_path / "new", seeds_dir, 5, hostile=True)
    old_ids, new_only = _seed_ids(old), sorted(set(_seed_ids(new)) - set(_seed_ids(old)))
    index = build_fake_index(old, tmp_path / "index")
    link_before = os.readlink(index)
    server = start_server(index, tmp_path / "server.log", fake=True)
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        with server.client(timeout=30) as c:
            while not stop.is_set():
                try:
                    r = c.get("/search", params={"q": "migrants", "k": 5})
                    if r.status_code != 200:
                        failures.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    t = threading.Thread(target=hammer)
    t.start()
    try:
        # 1) killed while embedding: deterministic, the old index must be untouched
        proc = _start_slow_build(new, index, tmp_path / "marker", seconds=30)
        _wait_for(tmp_path / "marker", proc)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        assert os.readlink(index) == link_before
        time.sleep(1.5)  # longer than the server's reload check interval
        with server.client() as c:
            health = c.get("/health").json()
            assert health["documents"] == len(old_ids) and health["reloads"] == 0, health
            for doc in new_only:
                assert c.get(f"/practices/{doc}").status_code == 404
            hits = c.get("/search", params={"q": "migrants", "k": 10}).json()["hits"]
            assert hits and {h["doc_id"] for h in hits} <= set(old_ids)
        counts = index_counts(index)
        assert_consistent(counts)
        assert counts["doc_ids"] == old_ids

        # 2) killed a little later (end of embedding, writing or switching): whatever
        #    moment it lands on, the folder holds one whole index, old or new
        for delay in (0.6,):
            proc = _start_slow_build(new, index, tmp_path / "marker", seconds=0.5)
            _wait_for(tmp_path / "marker", proc)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            counts = index_counts(index)
            assert_consistent(counts)
            assert counts["doc_ids"] in (old_ids, sorted(_seed_ids(new))), counts["doc_ids"]
            with server.client() as c:
                assert c.get("/health").status_code == 200

        # 3) the next build is not blocked by the killed ones, and is served
        done = run_index(new, index, FAKE)
        assert done.returncode == 0, done.stderr
        assert_consistent(index_counts(index))
        with server.client() as c:
            deadline = time.monotonic() + 20
            while c.get("/health").json()["documents"] != len(_seed_ids(new)):
                assert time.monotonic() < deadline, "the completed build was not picked up"
                time.sleep(0.2)
        leftovers = [p.name for p in index.parent.glob(f".{index.name}.versions/.tmp-*")]
        assert not leftovers, leftovers
    finally:
        stop.set()
        t.join(30)
        stop_server(server.process)
    assert not failures, failures[:5]


def test_concurrent_index_commands_are_refused_or_serialised(seeds_dir: Path, tmp_path: Path):
    a = make_corpus(tmp_path / "a", seeds_dir, 2, hostile=False)
    b = make_corpus(tmp_path / "b", seeds_dir, 5, hostile=True)
    index = tmp_path / "index"
    for round_ in range(2):  # on a new folder, then on an existing index
        procs = [
            _start_slow_build(corpus, index, tmp_path / f"marker-{round_}-{i}", seconds=4)
            for i, corpus in enumerate((a, b))
        ]
        results = [(p.wait(120), p.communicate()[1].decode(errors="replace")) for p in procs]
        codes = [rc for rc, _ in results]
        assert all(rc in (0, 3) for rc in codes), results
        assert 0 in codes, results
        for rc, err in results:
            if rc == 3:
                assert "another" in err and "index" in err, err
        counts = index_counts(index)
        assert_consistent(counts)
        assert counts["doc_ids"] in (_seed_ids(a), _seed_ids(b)), counts["doc_ids"]


def test_milvus_build_killed_while_writing_leaves_the_previous_alias_serving(
    seeds_dir: Path, tmp_path: Path, milvus_server
):
    """SIGKILL while the new collection is half written: the alias still names the
    collection that served, the index folder still points at its version, the server
    keeps answering from it; the next build drops the killed build's collection."""
    from indexer.backends.milvus import connect, index_alias
    from indexer.backends.milvus.versions import alias_target

    old = make_corpus(tmp_path / "old", seeds_dir, 2, hostile=False)
    new = make_corpus(tmp_path / "new", seeds_dir, 5, hostile=True)
    old_ids = _seed_ids(old)
    index = build_fake_index(old, tmp_path / "index", backend="milvus", milvus_uri=milvus_server.uri)
    client, alias = connect(milvus_server.uri), index_alias(index)
    serving = alias_target(client, alias)
    link_before = os.readlink(index)
    server = start_server(index, tmp_path / "server.log", fake=True)
    try:
        marker = tmp_path / "marker"
        cmd = [*index_command(new, index), "--backend", "milvus", "--milvus-uri", milvus_server.uri]
        env = index_env("tests.reliability.slow_milvus:FakeEncoder", PRACTICE_SEARCH_SLOW_MARKER=str(marker),
                        PRACTICE_SEARCH_SLOW_SECONDS="60")
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_for(marker, proc)
        half_written = marker.read_text()
        assert client.has_collection(half_written) and half_written != serving
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert alias_target(client, alias) == serving
        assert os.readlink(index) == link_before
        with server.client() as c:
            assert c.get("/health").json()["documents"] == len(old_ids)
            hits = c.get("/search", params={"q": "migrants", "k": 10}).json()["hits"]
            assert hits and {h["doc_id"] for h in hits} <= set(old_ids)
        done = subprocess.run(  # a re-index keeps the index's backend and Milvus URI
            index_command(new, index), cwd=REPO, env=index_env(FAKE), capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert not client.has_collection(half_written), "the killed build's collection is dropped"
        assert alias_target(client, alias) not in (serving, None)
        assert index_counts(index)["vectors"] == index_counts(index)["manifest_passages"]
        with server.client() as c:
            deadline = time.monotonic() + 20
            while c.get("/health").json()["documents"] != len(_seed_ids(new)):
                assert time.monotonic() < deadline, "the completed build was not picked up"
                time.sleep(0.2)
    finally:
        stop_server(server.process)
