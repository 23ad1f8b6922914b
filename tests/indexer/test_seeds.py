"""The search core on the five seed documents: CLI builds with the fake encoder (fast), and
behaviour with the real model (slow)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.filters import parse_filters
from indexer.types import SearchError

pytest.importorskip("corpus.ingest")

REPO = Path(__file__).resolve().parents[2]
SEED_000 = "000_9f6ad38c9b693b1b"


def _cli(*args: str, env_extra: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "practice_search.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, **kw
    )


FAKE = {"PRACTICE_SEARCH_TEST_ENCODER": "tests.fakes:FakeEncoder"}


def test_cli_index_search_gapmap_with_fake_encoder(seeds_dir, tmp_path):
    idx = tmp_path / "index"
    r = _cli("index", str(seeds_dir), "--index", str(idx), env_extra=FAKE)
    assert r.returncode == 0, r.stderr
    assert "embedded" in r.stdout and "5 document(s)" in r.stdout
    r = _cli("search", "trata de niños", "--index", str(idx), "--country", "Perú", "--json", env_extra=FAKE)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["filters"]["country"] == ["PE"] and out["hits"]
    assert all("PE" in h["countries"] for h in out["hits"])
    r = _cli("search", "x", "--index", str(idx), "--objective", "24", env_extra=FAKE)
    assert r.returncode == 2 and "objective" in r.stderr
    r = _cli("gapmap", "--index", str(idx), "--json", env_extra=FAKE)
    g = json.loads(r.stdout)
    cells = {(row["objective"], c) for row in g["rows"] for c, n in row["counts"].items() if n}
    seed_cells = {(6, "PE"), (10, "PE"), (15, "PE"), (6, "EC"), (10, "EC"), (15, "EC")}
    assert seed_cells <= cells
    for objective, country in seed_cells:
        assert SEED_000 in g["rows"][objective - 1]["doc_ids"][country]


def test_cli_build_killed_midway_keeps_old_index(seeds_dir, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_dir, corpus)
    idx = tmp_path / "index"
    assert _cli("index", str(corpus), "--index", str(idx), env_extra=FAKE).returncode == 0
    (corpus / f"{SEED_000}.txt").unlink()
    with open(corpus / "004_650198c8e5a1bbde.txt", "a", encoding="utf-8") as fh:
        fh.write("\n\nA new closing paragraph about consular cooperation, so the build has work to do.\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRACTICE_SEARCH_TEST_ENCODER": "tests.indexer.slow_encoder:SlowFakeEncoder"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "practice_search.cli", "index", str(corpus), "--index", str(idx)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "embedding"
        busy = _cli("index", str(corpus), "--index", str(idx), env_extra=FAKE)
        assert busy.returncode != 0 and "another" in busy.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    r = _cli("search", "Peru Ecuador qualitative research", "--index", str(idx), "--json", env_extra=FAKE)
    assert r.returncode == 0, r.stderr
    assert SEED_000 in {h["doc_id"] for h in json.loads(r.stdout)["hits"]}  # old content still served
    # a completed re-index drops the deleted file's passages
    r = _cli("index", str(corpus), "--index", str(idx), "--json", env_extra=FAKE)
    rep = json.loads(r.stdout)
    assert rep["removed_documents"] == 1 and 0 < rep["embedded"] < rep["passages"]
    r = _cli("search", "Peru Ecuador qualitative research", "--index", str(idx), "--json", "--k", "10", env_extra=FAKE)
    assert SEED_000 not in {h["doc_id"] for h in json.loads(r.stdout)["hits"]}


# ---------------------------------------------------------------- real model (slow)


class Counting:
    """Wraps an embedder and counts the passages it encodes."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0
        self.model_id, self.checksum, self.dim = inner.model_id, inner.checksum, inner.dim

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, progress=False):
        self.calls += len(texts)
        return self.inner.embed_passages(texts, progress=progress)


def description_count() -> int:
    from indexer.objectives import description_count

    return description_count()


@pytest.fixture(scope="module")
def seeds_index(seeds_dir, tmp_path_factory, real_embedder):
    from indexer.build import build_index
    from indexer.search import SearchIndex

    corpus = tmp_path_factory.mktemp("seeds") / "corpus"
    shutil.copytree(seeds_dir, corpus)
    idx = corpus.parent / "index"
    enc = Counting(real_embedder)
    report = build_index(corpus, idx, embedder=enc)
    # the passages, and once per embedder the objectives' descriptions
    assert report.embedded + description_count() == enc.calls and report.embedded > 0
    return SearchIndex.open(idx, real_embedder), corpus, idx, enc


@pytest.mark.slow
def test_filtered_query_stays_in_filter_and_fills_k(seeds_index):
    ix = seeds_index[0]
    for mode in ("hybrid", "dense", "bm25"):
        for f in (parse_filters(country="PE"), parse_filters(objective=10), parse_filters(lang="es")):
            allowed = ix.search("migrants", f, mode="dense", k=100, group=False).passages
            r = ix.search("education and decent work for migrants", f, mode=mode, k=5, group=False)
            want = 5 if mode != "bm25" else min(5, r.matched_passages)
            assert len(r.passages) == min(want, len(allowed))
            ok_docs = {p.doc_id for p in allowed}
            assert {p.doc_id for p in r.passages} <= ok_docs
            if f.langs:
                assert {p.lang for p in r.passages} <= {"es"}


@pytest.mark.slow
def test_country_spellings_and_bad_filters(seeds_index):
    ix = seeds_index[0]
    runs = [[h.doc_id for h in ix.search("trafficking", parse_filters(country=c)).hits] for c in ("Perú", "PE", "peru")]
    assert runs[0] == runs[1] == runs[2] and runs[0]
    for kw in ({"country": "Atlantis"}, {"objective": 0}, {"objective": 24}):
        with pytest.raises(SearchError):
            parse_filters(**kw)


@pytest.mark.slow
def test_spanish_question_finds_english_answer(seeds_index):
    ix = seeds_index[0]
    q = "¿Qué ganan las ONG y las universidades cuando se asocian para investigar la situación de los desplazados venezolanos?"
    for mode in ("dense", "hybrid"):
        r = ix.search(q, mode=mode, k=3)
        assert r.hits[0].doc_id == SEED_000, mode


@pytest.mark.slow
def test_similar_section_and_gapmap(seeds_index):
    ix = seeds_index[0]
    sim = ix.similar(SEED_000, k=4)
    assert SEED_000 not in {h.doc_id for h in sim.hits} and len(sim.hits) == 4
    kinds = {p.section_kind for d in ix._state.store.documents for p in d.passages}
    kind = "lessons" if "lessons" in kinds else sorted(kinds)[0]
    r = ix.search("lessons learned", parse_filters(section=kind), k=20, group=False)
    assert r.passages and {p.section_kind for p in r.passages} == {kind}
    g = ix.gapmap()
    cells = {(row["objective"], c) for row in g["rows"] for c, n in row["counts"].items() if n}
    seed_cells = {(6, "PE"), (10, "PE"), (15, "PE"), (6, "EC"), (10, "EC"), (15, "EC")}
    assert seed_cells <= cells
    for objective, country in seed_cells:
        assert SEED_000 in g["rows"][objective - 1]["doc_ids"][country]
    assert len(g["rows"]) == 23


@pytest.mark.slow
def test_the_calibrated_match_set_keeps_every_relevant_document(seeds_index):
    """With the model's dense floor, every relevant document of the seeds dev set is still
    in its query's match set, and the totals do not depend on the page asked for."""
    from eval.query_sets import load_queries
    from eval.runner import build_filters
    from tests.conftest import REPO

    ix = seeds_index[0]
    for q in load_queries(REPO / "eval" / "queries" / "seeds_dev.jsonl"):
        docs, _ = ix._match_docs(ix._state, q.text, build_filters(q))
        ids = {ix._state.store.documents[d].id for d in docs}
        assert set(q.relevant) <= ids, q.id
    totals = {ix.search("trabajo infantil en Perú", k=1, offset=o).matched_documents for o in range(5)}
    assert len(totals) == 1


@pytest.mark.slow
def test_objectives_inferred_by_the_index(seeds_index):
    """The trafficking digest and the trafficking evaluation are placed under objective 10 by
    inference (marked so); seed 000 keeps exactly its tagged objectives, not re-inferred."""
    ix = seeds_index[0]
    docs = {d.id[:3]: d for d in ix._state.store.documents}
    for key in ("002", "003"):
        assert 10 in docs[key].objectives.numbers(("inferred",)), docs[key].objectives
    assert docs["000"].objectives.explicit == (6, 10, 15)
    assert not set(docs["000"].objectives.numbers(("inferred", "suggested"))) & {6, 10, 15}
    hits = {h.doc_id[:3]: h for h in ix.search("trata de personas", parse_filters(objective=10), k=10).hits}
    assert {"000", "002", "003"} <= set(hits)
    assert hits["000"].inferred == [] or 10 not in {o["number"] for o in hits["000"].inferred}
    assert any(o["number"] == 10 and o["source"] == "inferred" for o in hits["002"].inferred)


@pytest.mark.slow
def test_reindex_unchanged_embeds_nothing_and_deletion(seeds_index):
    from indexer.build import build_index

    ix, corpus, idx, enc = seeds_index
    before = enc.calls
    report = build_index(corpus, idx, embedder=enc)
    assert report.embedded == 0 and enc.calls == before
    doomed = corpus / "004_650198c8e5a1bbde.txt"
    saved = doomed.read_bytes()
    doomed.unlink()
    try:
        report = build_index(corpus, idx, embedder=enc)
        assert report.removed_documents == 1 and report.embedded == 0
        assert ix.reload_if_changed()
        assert "004_650198c8e5a1bbde" not in {p.doc_id for p in ix.search("capacity development trends", k=50, group=False).passages}
    finally:
        doomed.write_bytes(saved)
        build_index(corpus, idx, embedder=enc)
        ix.reload_if_changed()
