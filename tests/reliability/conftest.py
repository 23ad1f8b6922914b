"""Fixtures for the reliability tests: a small corpus with a hostile document, a served
index over it (fake encoder), and helpers to run `practice-search index` as a process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.service.conftest import Server, build_fake_index, start_server, stop_server

#: A practice whose title and text carry markup that must never run on the page.
XSS_ID = "xss-practice"
XSS_TEXT = """Trafficking response <script>alert(1)</script> in Peru

Country: Peru
Year: 2021

Summary

The programme protects migrants from trafficking <script>alert("xss")</script> and offers
shelters <img src=x onerror=alert(2)> for women and children at the border.

Lessons learned

Cooperation between migrant associations and local authorities reduced trafficking <svg onload=alert(3)>.
"""


def make_corpus(dest: Path, seeds_dir: Path, n_seeds: int, *, hostile: bool = True) -> Path:
    """A corpus folder with the first n seed documents (and the hostile one)."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(seeds_dir.glob("*.txt"))[:n_seeds]:
        shutil.copy(f, dest / f.name)
    if hostile:
        (dest / f"{XSS_ID}.txt").write_text(XSS_TEXT, encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def hostile_corpus(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("hostile") / "corpus", seeds_dir, 3)


@pytest.fixture(scope="session")
def hostile_server(hostile_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    index = build_fake_index(hostile_corpus, tmp_path_factory.mktemp("hostile-index") / "index")
    server = start_server(index, tmp_path_factory.mktemp("hostile-log") / "server.log", fake=True)
    yield server
    stop_server(server.process)


def index_command(corpus: Path, index: Path) -> list[str]:
    return [sys.executable, "-m", "practice_search.cli", "index", str(corpus), "--index", str(index)]


def index_env(encoder: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRACTICE_SEARCH_TEST_ENCODER": encoder}
    env.update(extra)
    return env


def run_index(corpus: Path, index: Path, encoder: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        index_command(corpus, index), cwd=REPO, env=index_env(encoder, **extra), capture_output=True,
        text=True, timeout=480,  # a hang guard: the hostile folder took 96 s alone on a Zen 3 machine, over 120 s under the full suite
    )


def index_counts(index: Path) -> dict[str, object]:
    """Counts an index claims (manifest) and holds (store files, vector backend)."""
    from indexer.backends import VectorBackend
    from indexer.build import read_manifest, resolve_index_dir

    version = resolve_index_dir(index)
    manifest = read_manifest(index)
    docs = [json.loads(line) for line in (version / "store" / "documents.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = json.loads((version / "store" / "rows.json").read_text(encoding="utf-8"))
    vectors = VectorBackend.load(version / "vectors")
    faiss_total = getattr(getattr(vectors, "index", None), "ntotal", vectors.count)
    return {
        "manifest_documents": manifest["counts"]["documents"],
        "manifest_passages": manifest["counts"]["passages"],
        "store_documents": len(docs),
        "store_passages": sum(len(d.get("passages", [])) for d in docs),
        "row_ids": len(rows["passage_ids"]),
        "vectors": vectors.count,
        "faiss_vectors": int(faiss_total),
        "doc_ids": sorted(d["id"] for d in docs),
    }


def assert_consistent(counts: dict[str, object]) -> None:
    n_docs, n_pass = counts["manifest_documents"], counts["manifest_passages"]
    assert counts["store_documents"] == n_docs, counts
    assert counts["store_passages"] == counts["row_ids"] == counts["vectors"] == counts["faiss_vectors"] == n_pass, counts
