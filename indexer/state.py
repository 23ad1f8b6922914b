"""One index version as a serving process loads it (`_State`: swapped whole on reload),
and the manifest checks made before loading one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from indexer.backends import VectorBackend
from indexer.build import MANIFEST
from indexer.calibration import LanguageCalibration
from indexer.lexical import LexicalIndex
from indexer.store import MetadataStore
from indexer.translations import WordTranslations


class _State:
    """Everything loaded from one index version (swapped whole on reload)."""

    def __init__(self, version_dir: Path, manifest: dict[str, Any]):
        self.version_dir = version_dir
        self.manifest = manifest
        self.vectors = VectorBackend.load(version_dir / "vectors")
        if manifest.get("store", {}).get("passages") == "backend" and self.vectors.holds_passages:
            # the engine holds the passages: keep their metadata only (indexer.passages)
            self.store = MetadataStore.load_serving(version_dir / "store", self.vectors)
        else:
            self.store = MetadataStore.load(version_dir / "store")
        if manifest.get("lexical", {}).get("scores") == "backend" and self.vectors.holds_lexical:
            from indexer.backends.milvus.lexical import MilvusLexical

            self.lexical = MilvusLexical.load(version_dir / "lexical", self.vectors)
        else:
            self.lexical = LexicalIndex.load(version_dir / "lexical")
        # language names by code (code -1: "und"); rows' names are looked up when asked,
        # not held per row
        self.lang_names = np.array(self.store.langs + ["und"], dtype=object)
        self.calibration = LanguageCalibration(self.store, self.vectors)
        self.translations = WordTranslations.load(version_dir)

    def row_langs(self, rows) -> np.ndarray:
        """The language names of the given rows."""
        return self.lang_names[self.store.row_lang[np.asarray(rows, dtype=np.int64)]]


def _read_manifest(version: Path, index_dir: Path) -> dict[str, Any]:
    p = version / MANIFEST
    if not p.is_file():
        raise FileNotFoundError(
            f"no index at {index_dir} (no {MANIFEST}); build one with `practice-search index CORPUS_DIR --index {index_dir}`"
        )
    return json.loads(p.read_text(encoding="utf-8"))


def _check_model(manifest: dict[str, Any], embedder, index_dir: Path) -> None:
    m = manifest.get("model", {})
    if m.get("id") != embedder.model_id or m.get("checksum") != embedder.checksum or int(m.get("dim", -1)) != int(embedder.dim):
        raise ValueError(
            f"the index at {index_dir} was built with model {m.get('id')!r} (checksum {m.get('checksum')!r}, dim {m.get('dim')}), "
            f"but the embedder is {embedder.model_id!r} (checksum {embedder.checksum!r}, dim {embedder.dim}); "
            "re-index with this model or search with the index's model"
        )
