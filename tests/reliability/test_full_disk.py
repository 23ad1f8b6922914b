"""A full disk ends a build with one clear message (exit 5), and the index that served
before still serves. On a real, small tmpfs when this machine lets the tests mount one
(root on Linux); otherwise the same build with the write made to fail with ENOSPC."""

from __future__ import annotations

import errno
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import assert_consistent, index_counts, make_corpus, run_index
from tests.service.conftest import FAKE


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 16 MB tmpfs, or None when it cannot be mounted here."""
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True)
    except OSError:  # no mount command
        done = None
    if done is None or done.returncode != 0:
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(disk: Path, leave: int) -> None:
    """Fill the file system up to `leave` bytes free."""
    todo = shutil.disk_usage(disk).free - leave
    chunk = b"\0" * (1 << 20)
    with open(disk / "filler", "wb") as fh:
        while todo > 0:
            fh.write(chunk[: min(len(chunk), todo)])
            todo -= len(chunk)


def _add_document(corpus: Path, seeds_dir: Path) -> None:
    shutil.copy(sorted(seeds_dir.glob("*.txt"))[3], corpus / "added.txt")


def _on_a_full_disk(disk: Path, corpus: Path, index: Path, encoder: str, home: Path, seeds_dir: Path, leave: int):
    """Index, fill the disk, add a document and index again: (counts before, rc, stderr)."""
    first = run_index(corpus, index, encoder, PRACTICE_SEARCH_HOME=str(home))
    assert first.returncode == 0, first.stderr[-2000:]
    before = index_counts(index)
    _add_document(corpus, seeds_dir)
    _fill(disk, leave=leave)
    done = run_index(corpus, index, encoder, PRACTICE_SEARCH_HOME=str(home))
    return before, done.returncode, done.stderr


def _with_a_write_refused(corpus: Path, index: Path, encoder: str, home: Path, seeds_dir: Path, monkeypatch,
                          owner, name: str, refuse):
    """The same in process, the second build's `owner.name` replaced by `refuse`."""
    import io
    from contextlib import redirect_stderr

    from practice_search.cli import main

    monkeypatch.setenv("PRACTICE_SEARCH_TEST_ENCODER", encoder)
    monkeypatch.setenv("PRACTICE_SEARCH_HOME", str(home))
    assert main(["index", str(corpus), "--index", str(index)]) == 0
    before = index_counts(index)
    _add_document(corpus, seeds_dir)
    buf = io.StringIO()
    with monkeypatch.context() as m, redirect_stderr(buf):
        m.setattr(owner, name, refuse)
        rc = main(["index", str(corpus), "--index", str(index)])
    return before, rc, buf.getvalue()


def _old_index_serves(index: Path, before: dict, embedder=None) -> None:
    from indexer.search import SearchIndex
    from tests.fakes import FakeEncoder

    counts = index_counts(index)
    assert counts == before
    assert_consistent(counts)
    result = SearchIndex.open(index, embedder=embedder or FakeEncoder()).search("trafficking", k=3)
    assert result.matched_documents == before["manifest_documents"] and result.matched_passages > 0


def test_a_full_disk_ends_the_build_with_a_message_and_the_old_index_serving(
    small_disk, seeds_dir: Path, tmp_path: Path, monkeypatch
):
    corpus = make_corpus(tmp_path / "corpus", seeds_dir, 3, hostile=False)
    home = tmp_path / "home"  # the embedding cache is elsewhere: the index write is what fails
    if small_disk is not None:
        index = small_disk / "index"
        before, rc, err = _on_a_full_disk(small_disk, corpus, index, FAKE, home, seeds_dir, leave=64 * 1024)
    else:  # the vector file refused with ENOSPC
        import numpy as np

        def full(path, *a, **k):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

        index = tmp_path / "index"
        before, rc, err = _with_a_write_refused(
            corpus, index, FAKE, home, seeds_dir, monkeypatch, np.lib.format, "open_memmap", full
        )
    assert rc == 5, err[-2000:]
    assert "no space left on the device" in err and "the index that served before still serves" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    _old_index_serves(index, before)
    versions = [p for p in index.parent.glob(f".{index.name}.versions/*") if p.name.startswith(".tmp-")]
    assert not versions, "the half-written version is removed"


def test_a_full_disk_under_the_embedding_cache_is_one_message_too(small_disk, seeds_dir: Path, tmp_path: Path, monkeypatch):
    """The embedding cache (sqlite) on the full disk: sqlite says "disk I/O error" or
    "database or disk is full"."""
    from tests.reliability.cached_encoder import HOOK, encoder

    corpus = make_corpus(tmp_path / "corpus", seeds_dir, 2, hostile=False)
    index = tmp_path / "index"
    if small_disk is not None:
        before, rc, err = _on_a_full_disk(small_disk, corpus, index, HOOK, small_disk / "home", seeds_dir, leave=0)
    else:  # the cache's write refused as sqlite refuses it on a full disk
        import sqlite3

        from indexer.embedding_cache import EmbeddingCache

        def full(self, items):
            raise sqlite3.OperationalError("database or disk is full")

        before, rc, err = _with_a_write_refused(
            corpus, index, HOOK, tmp_path / "home", seeds_dir, monkeypatch, EmbeddingCache, "put_many", full
        )
    assert rc == 5, err[-2000:]
    assert "embedding cache cannot be written" in err or "no space left on the device" in err, err
    assert "Traceback" not in err and "the index that served before still serves" in err
    monkeypatch.setenv("PRACTICE_SEARCH_HOME", str(tmp_path / "home-check"))  # the tiny model's cache: elsewhere
    _old_index_serves(index, before, encoder())
