"""Index builds: atomic switch, incremental re-embedding, deletions, crashes, locking."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import build as build_mod
from indexer.build import IndexBusy, build_index_from_documents, read_manifest
from indexer.objectives import description_count
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc, synthetic_documents

REPO = Path(__file__).resolve().parents[2]


def test_reindex_unchanged_embeds_nothing_and_changes_embed_only_new(tmp_path):
    docs = synthetic_documents(12)
    enc = FakeEncoder()
    d = tmp_path / "index"
    r1 = build_index_from_documents(docs, d, embedder=enc)
    # the passages, once per encoder the objectives' descriptions (objective inference), and
    # the words of the collection's two languages (indexer.translations)
    words = read_manifest(d)["translations"]["embedded"]
    assert words > 0 and read_manifest(d)["translations"]["languages"] == ["en", "es"]
    assert r1.embedded == 48 and r1.reused == 0 and enc.calls == 48 + description_count() + words
    r2 = build_index_from_documents(docs, d, embedder=enc)
    assert r2.embedded == 0 and r2.reused == 48 and enc.calls == 48 + description_count() + words
    assert read_manifest(d)["translations"]["embedded"] == 0  # the words' vectors are reused too
    # one new document, one deleted, one passage changed
    changed = make_doc(1, ["a brand new text about asylum", *[p.text for p in docs[1].passages[1:]]], lang="es")
    new = make_doc(99, ["consular protection abroad"], countries=("PE",))
    r3 = build_index_from_documents([docs[0], changed, *docs[3:], new], d, embedder=enc)
    assert (r3.embedded, r3.removed_documents, r3.added_documents) == (2, 1, 1)
    new_words = read_manifest(d)["translations"]["embedded"]
    assert 0 < new_words < words / 4  # the new words only ("consular", "abroad", "brand"...)
    assert enc.calls == 48 + description_count() + words + 2 + new_words
    assert r3.reused == 4 * 11 - 1
    ix = SearchIndex.open(d, enc)
    with pytest.raises(KeyError):
        ix.document(docs[2].id)
    assert ix.stats()["passages"] == 4 * 11 + 1
    hits = ix.search("consular protection abroad", k=1, group=False).passages
    assert hits[0].doc_id == "d099"
    # only the newest two versions are kept
    versions = [p for p in (tmp_path / ".index.versions").iterdir()]
    assert len(versions) == 2


def test_deleted_document_passages_are_gone(tmp_path):
    docs = synthetic_documents(10)
    enc = FakeEncoder()
    d = tmp_path / "index"
    build_index_from_documents(docs, d, embedder=enc)
    ix = SearchIndex.open(d, enc)
    gone = docs[3]
    build_index_from_documents([x for x in docs if x.id != gone.id], d, embedder=enc)
    assert ix.reload_if_changed() is True
    assert ix.reload_if_changed() is False
    for mode in ("dense", "bm25", "hybrid"):
        r = ix.search(gone.passages[0].text, mode=mode, k=50, group=False)
        assert gone.id not in {p.doc_id for p in r.passages}


def test_failed_build_keeps_previous_index(tmp_path, monkeypatch):
    docs = synthetic_documents(8)
    enc = FakeEncoder()
    d = tmp_path / "index"
    build_index_from_documents(docs, d, embedder=enc)
    before = read_manifest(d)

    def boom(*a, **k):
        raise OSError("disk full (injected)")

    monkeypatch.setattr(build_mod.LexicalIndex, "save", boom)
    with pytest.raises(OSError, match="injected"):
        build_index_from_documents(docs[:3], d, embedder=enc)
    monkeypatch.undo()
    assert read_manifest(d) == before
    assert SearchIndex.open(d, enc).stats()["documents"] == 8
    leftovers = [p.name for p in (tmp_path / ".index.versions").iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []
    # an empty corpus is refused and changes nothing
    with pytest.raises(ValueError, match="no documents"):
        build_index_from_documents([], d, embedder=enc)
    assert read_manifest(d) == before


_SLOW_BUILD = """
import sys, time
from indexer.build import build_index_from_documents
from tests.fakes import FakeEncoder
from tests.indexer.conftest import synthetic_documents

class Slow(FakeEncoder):
    def embed_passages(self, texts, progress=False):
        print("embedding", flush=True)
        time.sleep(60)
        return super().embed_passages(texts)

build_index_from_documents(synthetic_documents(int(sys.argv[2])), sys.argv[1], embedder=Slow())
"""


def test_killed_build_leaves_previous_index_serving(tmp_path):
    d = tmp_path / "index"
    enc = FakeEncoder()
    build_index_from_documents(synthetic_documents(6), d, embedder=enc)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_BUILD, str(d), "9"], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "embedding"
        # while it runs, a second build of the same index is refused
        with pytest.raises(IndexBusy, match="another"):
            build_index_from_documents(synthetic_documents(2), d, embedder=enc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    ix = SearchIndex.open(d, enc)
    assert ix.stats()["documents"] == 6
    assert ix.search("remittances", k=3).hits
    # the next build runs (the dead process's lock is released) and cleans up
    r = build_index_from_documents(synthetic_documents(9), d, embedder=enc)
    assert r.documents == 9 and r.reused == 24


def test_not_an_index_directory_is_refused(tmp_path):
    d = tmp_path / "somewhere"
    d.mkdir()
    (d / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not an index"):
        build_index_from_documents(synthetic_documents(2), d, embedder=FakeEncoder())
    assert (d / "precious.txt").read_text() == "keep me"


def test_open_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="practice-search index"):
        SearchIndex.open(tmp_path / "nothing", FakeEncoder())


@pytest.mark.parametrize("backend", ["hnsw", "hnsw-sq8", "ivf"])
def test_other_backends_build_and_search(tmp_path, backend):
    enc = FakeEncoder()
    d = tmp_path / "index"
    build_index_from_documents(synthetic_documents(20), d, embedder=enc, backend=backend)
    ix = SearchIndex.open(d, enc)
    assert ix.stats()["backend"] == backend
    from indexer.filters import parse_filters

    r = ix.search("remittances", parse_filters(country="MX"), k=3)
    assert len(r.hits) == 3 and all("MX" in h.countries for h in r.hits)


def test_clean_up_keeps_the_serving_version_and_its_predecessor_whatever_orphans_are_left(tmp_path):
    """A killed build can leave a finished version that never served, newer than the one
    serving, and an unfinished temporary one; the next build keeps what it switched to and
    what served before it, and removes the rest."""
    from indexer.build import resolve_index_dir

    docs = synthetic_documents(3)
    enc = FakeEncoder()
    d = tmp_path / "index"
    build_index_from_documents(docs, d, embedder=enc)
    build_index_from_documents(docs[:2], d, embedder=enc)
    serving = resolve_index_dir(d)
    versions = tmp_path / ".index.versions"
    orphan = versions / "v99991231T000000000000-orphan"  # sorts after every real version
    shutil.copytree(serving, orphan)
    (versions / ".tmp-v99991231T000000000001-dead").mkdir()
    build_index_from_documents(docs[1:], d, embedder=enc)
    now = resolve_index_dir(d)
    assert sorted(p.name for p in versions.iterdir()) == sorted([now.name, serving.name])
    assert SearchIndex.open(d, enc).stats()["documents"] == 2


def test_passages_are_embedded_with_their_title_and_a_new_title_re_embeds(tmp_path):
    from dataclasses import replace

    from indexer.store import embedding_text

    class Recording(FakeEncoder):
        def __init__(self):
            super().__init__()
            self.texts: list[str] = []

        def embed_passages(self, texts, progress=False):
            self.texts.extend(texts)
            return super().embed_passages(texts, progress)

    doc = replace(make_doc(1, ["The evaluation cost USD 49,000."]), title="Child trafficking in Peru")
    enc = Recording()
    build_index_from_documents([doc], tmp_path / "index", embedder=enc)
    # the passage (then, once per encoder, the objectives' descriptions)
    assert enc.texts[0] == "Child trafficking in Peru\nThe evaluation cost USD 49,000."
    assert len(enc.texts) == 1 + description_count()
    # the title is context for the model only: BM25 and the stored passage are the text alone
    ix = SearchIndex.open(tmp_path / "index", enc)
    assert ix.document(doc.id).passages[0].text == "The evaluation cost USD 49,000."
    # same passage, new title: embedded again (the reuse key is what the model saw)
    r = build_index_from_documents([replace(doc, title="Trafficking of children, Peru")], tmp_path / "index", embedder=enc)
    assert r.embedded == 1 and r.reused == 0
    # a passage that already starts with the title is not given it twice
    assert embedding_text("Summary", "Summary of the project") == "Summary of the project"


def test_reuse_keys_are_read_back_as_saved_not_recomputed(tmp_path, monkeypatch):
    """An index built when the embedded text was different must not lend its vectors to
    the new text: the saved keys, not keys recomputed on load, decide reuse."""
    from indexer import store as store_mod

    docs = synthetic_documents(2)
    enc = FakeEncoder()
    build_index_from_documents(docs, tmp_path / "index", embedder=enc)
    monkeypatch.setattr(store_mod, "embedding_text", lambda title, text: f"[v2] {text}")
    r = build_index_from_documents(docs, tmp_path / "index", embedder=enc)
    assert r.reused == 0 and r.embedded == r.passages
