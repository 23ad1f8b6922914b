"""Build an index directory from a corpus: atomically, incrementally, one writer at a time.

Layout. `INDEX_DIR` is a symbolic link to a versioned directory beside it:

    INDEX_DIR -> .INDEX_DIR.versions/v20261122T105400123456-ab12cd/
        manifest.json      written last: model, dim, counts, settings, library versions
        store/             documents.jsonl, rows.json; documents.meta.jsonl, columns.npz/.json (indexer.store)
        vectors/           the vector backend (indexer.backends)
        lexical/           BM25 (indexer.lexical); on Milvus only the vocabulary, the rows'
                           weights being in the collection (indexer.backends.milvus.lexical)
        translations.json  the collection's words in its other languages, a language's words it
                           lacks in its own (reference lists), and its word lists;
        translations.npz   their vectors, for the next build (indexer.translations)

A build writes a new version directory, then replaces the link with `os.replace` (atomic
on POSIX), so readers see the old index or the new one, never a half-written one. The
previous version is kept (a server may still be opening it); older ones and leftovers of
killed builds are removed at the next build. A lock file (`.INDEX_DIR.lock`) refuses a
second concurrent build of the same index.

Re-indexing reuses the vectors of passages whose text (hash) is unchanged, as long as
the previous index was built with the same model (id and checksum).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import platform
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from corpus.types import Document
from indexer.backends import VectorBackend, check_backend_name, make_backend
from indexer.engine import Engine as _Engine
from indexer.lexical import LexicalIndex
from indexer.objectives import infer_documents, model_for, objective_settings
from indexer.store import MetadataStore
from indexer.translations import WordTranslations, build_translations, translation_settings

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
#: Test-only hook: "module:Class" of an encoder to use instead of the real model, e.g.
#: PRACTICE_SEARCH_TEST_ENCODER=tests.fakes:FakeEncoder (lets subprocess tests run fast).
TEST_ENCODER_ENV = "PRACTICE_SEARCH_TEST_ENCODER"


class IndexBusy(RuntimeError):
    """Another build holds the index's lock."""


@dataclass
class BuildReport:
    """What a build did."""

    index_dir: str
    version_dir: str
    backend: str
    model: str
    documents: int = 0
    passages: int = 0
    embedded: int = 0  # passages whose vectors were computed now
    reused: int = 0  # passages whose vectors came from the previous index
    removed_documents: int = 0  # documents of the previous index not in this one
    removed_passages: int = 0
    added_documents: int = 0
    skipped_files: int = 0
    seconds: float = 0.0
    ingest_summary: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"indexed {self.documents} document(s), {self.passages} passage(s) into {self.index_dir} "
            f"[{self.backend}, {self.model}]: embedded {self.embedded}, reused {self.reused}; "
            f"added {self.added_documents} document(s), removed {self.removed_documents} document(s) "
            f"({self.removed_passages} passage(s)); {self.seconds:.1f} s"
        )


def get_embedder(model: str | None = None, settings=None):
    """The embedder to use: the test hook if set (test-only), else `load_embedder`."""
    hook = os.environ.get(TEST_ENCODER_ENV)
    if hook:
        module, _, name = hook.partition(":")
        return getattr(importlib.import_module(module), name)()
    from indexer.embedder import load_embedder

    return load_embedder(model, settings=settings)


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("faiss", "bm25s"):
        try:
            out[mod] = getattr(importlib.import_module(mod), "__version__", "?")
        except ImportError:  # pragma: no cover
            out[mod] = "missing"
    return out


def _versions_dir(index_dir: Path) -> Path:
    return index_dir.parent / f".{index_dir.name}.versions"


def _lock_path(index_dir: Path) -> Path:
    return index_dir.parent / f".{index_dir.name}.lock"


def resolve_index_dir(index_dir: str | Path) -> Path:
    """The version directory an index path points to now (the path itself if it is a
    plain directory holding a manifest)."""
    p = Path(index_dir)
    return p.resolve() if p.is_symlink() else p


def read_manifest(index_dir: str | Path) -> dict[str, Any]:
    p = resolve_index_dir(index_dir) / MANIFEST
    if not p.is_file():
        raise FileNotFoundError(
            f"no index at {index_dir} (no {MANIFEST}); build one with `practice-search index CORPUS_DIR --index {index_dir}`"
        )
    return json.loads(p.read_text(encoding="utf-8"))


def _previous(index_dir: Path, embedder) -> tuple[MetadataStore | None, Any, dict | None]:
    """The previous index's store and a reader of its vectors by row (rows -> matrix),
    when it exists (the reader only when the model matches): vectors.npy for the local
    backends, the backend itself for engines that keep them (milvus)."""
    try:
        manifest = read_manifest(index_dir)
        version = resolve_index_dir(index_dir)
        store = MetadataStore.load(version / "store")
    except (FileNotFoundError, ValueError, KeyError, json.JSONDecodeError):
        return None, None, None
    model = manifest.get("model", {})
    if model.get("id") != embedder.model_id or model.get("checksum") != embedder.checksum:
        return store, None, manifest
    try:
        vectors = np.load(version / "vectors" / "vectors.npy", mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        try:
            vb = VectorBackend.load(version / "vectors")
        except Exception:  # noqa: BLE001  unreachable engine, dropped collection: embed anew
            return store, None, manifest
        if vb.local or vb.dim != embedder.dim or vb.count != store.n_rows:
            return store, None, manifest
        return store, vb.vectors, manifest
    except (OSError, ValueError):
        return store, None, manifest
    if vectors.shape != (store.n_rows, embedder.dim):
        return store, None, manifest
    return store, lambda rows: np.asarray(vectors[rows]), manifest


def _choose_precision(embedder, choice: str, prev_manifest: dict | None) -> tuple[str, dict[str, Any]]:
    """The precision this build embeds at, and what its check measured. `auto` on an
    index that exists keeps that index's precision (fp32 for indexes made before
    precisions were recorded), so an update does not re-embed the whole collection."""
    from indexer.precision import check_choice

    choice = check_choice(choice)
    prev_model = (prev_manifest or {}).get("model", {})
    same_model = (prev_model.get("id"), prev_model.get("checksum")) == (embedder.model_id, embedder.checksum)
    if choice == "auto" and prev_manifest is not None and same_model:  # another model re-embeds anyway
        choice = prev_model.get("passage_precision", "fp32")
    use = getattr(embedder, "use_passage_precision", None)
    if use is None:  # an encoder without precisions (the test encoder, USE): fp32 only
        if choice not in ("auto", "fp32"):
            raise ValueError(f"the encoder {embedder.model_id} embeds at fp32 only, not {choice}")
        return "fp32", {}
    precision = use(choice)
    cos = getattr(embedder, "precision_checks", {}).get(precision)
    return precision, ({"precision_min_cosine_vs_fp32": round(cos, 5)} if cos is not None else {})


def _previous_backend(index_dir: Path) -> dict[str, Any]:
    """The serving version's backend.json ({} when there is none)."""
    try:
        return VectorBackend.read_meta(resolve_index_dir(index_dir) / "vectors")
    except (OSError, ValueError):
        return {}


def _settings_dict(settings) -> dict[str, Any]:
    if settings is None:
        return {}
    try:
        d = settings.model_dump(mode="json")
    except AttributeError:  # pragma: no cover
        return {}
    for secret in ("home", "milvus_token", "milvus_password", "milvus_user"):
        d.pop(secret, None)
    return d


def build_index_from_documents(
    documents: Sequence[Document],
    index_dir: str | Path,
    *,
    embedder,
    settings=None,
    backend: str | None = None,
    corpus_path: str | None = None,
    progress: bool = False,
    milvus_uri: str | None = None,
    embed_fn=None,
    precision: str | None = None,
) -> BuildReport:
    """Index the given documents into `index_dir` (atomic switch, incremental embedding).
    `milvus_uri` (backend milvus): where the collection goes (default: the settings').
    `embed_fn(texts, progress)`: embeds the passages no previous version holds, in place
    of `embedder.embed_passages` (indexer.distributed: on Ray).
    `precision` (indexer.precision): fp32, bf16, int8 or auto (default: the settings';
    auto keeps the precision of the index being updated)."""
    from filelock import FileLock, Timeout

    t0 = time.perf_counter()
    index_dir = Path(index_dir).absolute()
    if settings is None:
        from practice_search.config import get_settings

        settings = get_settings()
    before = _previous_backend(index_dir)  # a re-index keeps the index's backend and Milvus
    backend_name = backend or before.get("backend") or settings.index_backend
    check_backend_name(backend_name)  # before any work
    backend_options: dict[str, Any] = {}
    if backend_name == "milvus":
        from indexer.backends.milvus.client import normalise_uri

        backend_options["uri"] = normalise_uri(milvus_uri or settings.milvus_uri or before.get("uri", ""))
    if not documents:
        raise ValueError("no documents to index: the corpus is empty or nothing in it could be read")
    if index_dir.exists() and not index_dir.is_symlink():
        if index_dir.is_dir() and not any(index_dir.iterdir()):
            index_dir.rmdir()
        else:
            raise ValueError(
                f"{index_dir} exists and is not an index made by `practice-search index`; choose another --index path"
            )
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(_lock_path(index_dir)))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise IndexBusy(
            f"another `practice-search index` is building {index_dir} (lock {_lock_path(index_dir)}); "
            "wait for it to finish and run again"
        ) from None
    try:
        return _build_locked(
            documents, index_dir, embedder, settings, backend_name, corpus_path, progress, t0, backend_options,
            embed_fn or embedder.embed_passages, precision or getattr(settings, "passage_precision", "auto"),
        )
    finally:
        lock.release()


def _build_locked(documents, index_dir: Path, embedder, settings, backend_name, corpus_path, progress, t0,
                  backend_options, embed_fn, precision):
    store = MetadataStore(documents)
    prev_store, prev_vectors, prev_manifest = _previous(index_dir, embedder)
    precision, precision_check = _choose_precision(embedder, precision, prev_manifest)
    if prev_manifest is not None and prev_manifest.get("model", {}).get("passage_precision", "fp32") != precision:
        prev_vectors = None  # one precision per index: a new precision embeds every passage

    # vectors: reuse by text hash, embed the rest (each distinct text once)
    dim = int(embedder.dim)
    vectors = np.zeros((store.n_rows, dim), dtype=np.float32)
    have = np.zeros(store.n_rows, dtype=bool)
    if prev_store is not None and prev_vectors is not None:
        old_row = {h: r for r, h in enumerate(prev_store.hashes)}
        pairs = [(r, old_row[h]) for r, h in enumerate(store.hashes) if h in old_row]
        if pairs:
            new_rows, old_rows = (np.array(x, dtype=np.int64) for x in zip(*pairs, strict=True))
            vectors[new_rows] = prev_vectors(old_rows)
            have[new_rows] = True
    reused = int(have.sum())
    todo: dict[str, list[int]] = {}
    for r in np.flatnonzero(~have):
        todo.setdefault(store.hashes[r], []).append(int(r))
    if todo:
        texts = [store.embed_text(rows[0]) for rows in todo.values()]
        embedded_vecs = np.asarray(embed_fn(texts, progress=progress), dtype=np.float32)
        if embedded_vecs.shape != (len(texts), dim):
            raise ValueError(f"the embedder returned shape {embedded_vecs.shape}, expected {(len(texts), dim)}")
        for vec, rows in zip(embedded_vecs, todo.values(), strict=True):
            vectors[rows] = vec
    embedded = len(todo)
    # GCM objectives per passage and per document, from the vectors just made
    t_obj = time.perf_counter()
    documents = infer_documents(store.documents, vectors, store.row_doc, model_for(embedder))
    store = MetadataStore(documents, hashes=store.hashes)
    objectives_seconds = time.perf_counter() - t_obj

    versions = _versions_dir(index_dir)
    versions.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")  # names sort in build order
    version = versions / f"v{stamp}-{uuid.uuid4().hex[:6]}"
    tmp = versions / f".tmp-{version.name}"
    engine = _Engine(backend_name, index_dir, version, backend_options, settings)
    vb: VectorBackend = make_backend(backend_name, dim, **engine.options)
    texts, langs = [p.text for p in store.passages], [p.lang for p in store.passages]
    lexical = LexicalIndex.build(texts, langs)
    vb.bind_rows(store, lexical)
    # the collection's words in its other languages, for BM25 across them
    t_tr = time.perf_counter()
    reuse = WordTranslations.load_vectors(resolve_index_dir(index_dir)) if prev_vectors is not None else {}
    translations = build_translations(texts, langs, embedder, previous=reuse)
    translations_seconds = time.perf_counter() - t_tr
    tmp.mkdir()
    try:
        vb.add(np.arange(store.n_rows), vectors)
        store.save(tmp / "store")
        translations.save(tmp)
        vb.save(tmp / "vectors")
        if vb.holds_lexical:  # the engine scores BM25: serving needs the vocabulary only
            lexical.save_terms(tmp / "lexical")
        else:
            lexical.save(tmp / "lexical")
        prev_ids = {d.id for d in prev_store.documents} if prev_store else set()
        new_ids = {d.id for d in documents}
        report = BuildReport(
            index_dir=str(index_dir),
            version_dir=str(version),
            backend=backend_name,
            model=embedder.model_id,
            documents=len(documents),
            passages=store.n_rows,
            embedded=embedded,
            reused=reused,
            removed_documents=len(prev_ids - new_ids),
            removed_passages=len(set(prev_store.hashes) - set(store.hashes)) if prev_store else 0,
            added_documents=len(new_ids - prev_ids),
        )
        manifest = {
            "format": FORMAT_VERSION,
            "model": {"id": embedder.model_id, "checksum": embedder.checksum, "dim": dim,
                      "passage_precision": precision, **precision_check},
            "backend": backend_name,
            # "backend": the engine holds each passage; serving reads the store without them
            "store": {"passages": "backend" if vb.holds_passages else "local"},
            # "backend": the engine holds each row's BM25 weights and scores queries on them
            "lexical": {"scores": "backend" if vb.holds_lexical else "local"},
            "counts": {"documents": len(documents), "passages": store.n_rows},
            "settings": _settings_dict(settings),
            "versions": library_versions(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "corpus": corpus_path,
            "build": {"embedded": embedded, "reused": reused, "removed_documents": report.removed_documents,
                      "objectives_seconds": round(objectives_seconds, 3)},
            "objectives": objective_settings(),
            "translations": {**translation_settings(), "languages": translations.languages,
                             "reference": translations.reference,
                             "words": len(translations), "embedded": translations.embedded,
                             "seconds": round(translations_seconds, 3)},
        }
        _write_json_durably(tmp / MANIFEST, manifest)
        os.rename(tmp, version)
        previous = resolve_index_dir(index_dir) if index_dir.is_symlink() else None
        engine.publish(vb)  # milvus: the alias names the new collection from here on
        # atomic switch: a new link beside the old one, renamed over it
        link_tmp = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:6]}"
        os.symlink(os.path.relpath(version, index_dir.parent), link_tmp)
        os.replace(link_tmp, index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if not _points_to(index_dir, version):
            shutil.rmtree(version, ignore_errors=True)
            engine.discard(vb)
        raise
    _clean_versions(index_dir, keep=version, previous=previous)
    engine.clean_up(vb, keep=version, previous=previous)
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def _points_to(index_dir: Path, version: Path) -> bool:
    return index_dir.is_symlink() and index_dir.resolve() == version.resolve()


def _write_json_durably(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=1, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())


def _clean_versions(index_dir: Path, keep: Path, previous: Path | None) -> None:
    """Keep the version now serving (`keep`) and the one that served before it
    (`previous`, what the link pointed to when this build started to switch); remove
    everything else: older versions and whatever killed builds left, finished or not (a
    killed build's finished version is newer than the serving one, but never served)."""
    versions = _versions_dir(index_dir)
    keepers = {keep.resolve(), *([previous.resolve()] if previous is not None else [])}
    for p in versions.iterdir():
        if p.resolve() not in keepers:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    for p in index_dir.parent.glob(f".{index_dir.name}.link-*"):
        p.unlink(missing_ok=True)


def build_index(
    corpus_dir: str | Path,
    index_dir: str | Path,
    *,
    embedder=None,
    settings=None,
    backend: str | None = None,
    progress: bool = False,
    milvus_uri: str | None = None,
    ray=None,
    precision: str | None = None,
) -> BuildReport:
    """Read a corpus folder (corpus.ingest.load_corpus) and index it into `index_dir`.
    `ray` (indexer.distributed.RayOptions): read, chunk and embed on Ray."""
    from corpus.ingest import load_corpus

    if settings is None:
        from practice_search.config import get_settings

        settings = get_settings()
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.exists():
        raise FileNotFoundError(f"corpus folder {corpus_dir} does not exist")
    session, reader, embed_fn = contextlib.nullcontext(), None, None
    if ray is not None:
        from indexer.distributed import embed_on_ray, ray_reader, ray_session

        session, reader = ray_session(ray), ray_reader(ray)
    with session:
        ingest = load_corpus(corpus_dir, settings=settings, reader=reader)
        if not ingest.documents:
            raise ValueError(f"nothing to index in {corpus_dir}: {ingest.summary()}")
        embedder = embedder or get_embedder(None, settings)
        if ray is not None:
            def embed_fn(texts, progress=False):
                return embed_on_ray(texts, embedder, settings, ray, progress)
        report = build_index_from_documents(
            ingest.documents, index_dir, embedder=embedder, settings=settings, backend=backend,
            corpus_path=str(corpus_dir.absolute()), progress=progress, milvus_uri=milvus_uri, embed_fn=embed_fn,
            precision=precision,
        )
    if ray is not None:
        report.extra["ray"] = dict(ray.stats)
    report.skipped_files = len(ingest.skipped)
    report.ingest_summary = ingest.summary()
    return report
