"""What a build does on the vector engine beside the version folders (`indexer.build`).

For the local backends nothing: their vectors are files inside the version folder,
switched with it. For milvus, each version is a collection of its own; the build
publishes it by switching the index's alias once the version is complete, drops it when
the build fails, and after a switch drops the collections no kept version names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.backends.base import VectorBackend


class Engine:
    def __init__(self, backend_name: str, index_dir: Path, version: Path, options: dict[str, Any], settings):
        self.backend_name = backend_name
        self.options = dict(options)
        self.alias: str | None = None
        if backend_name == "milvus":
            from indexer.backends.milvus.client import index_alias, version_collection

            self.alias = index_alias(index_dir)
            self.options["collection"] = version_collection(self.alias, version.name)
            self.options["settings"] = settings

    def publish(self, vb) -> None:
        if self.alias is not None:
            from indexer.backends.milvus.versions import publish

            publish(vb.client, self.alias, vb.collection)

    def discard(self, vb) -> None:
        """A failed build's collection, dropped (best effort: the next build's clean-up
        drops it otherwise)."""
        if self.alias is not None:
            try:
                if vb.exists():
                    vb.client.drop_collection(vb.collection)
            except Exception:  # noqa: BLE001
                pass

    def clean_up(self, vb, keep: Path, previous: Path | None) -> None:
        if self.alias is None:
            return
        from indexer.backends.milvus.versions import drop_others

        kept = {vb.collection}
        if previous is not None:
            name = _collection_of(previous)
            if name:
                kept.add(name)
        drop_others(vb.client, self.alias, kept)


def _collection_of(version: Path) -> str | None:
    try:
        meta = VectorBackend.read_meta(version / "vectors")
    except (OSError, ValueError):
        return None
    return meta.get("collection")
