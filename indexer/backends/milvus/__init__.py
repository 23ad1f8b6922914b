"""The milvus backend: an index's vectors and filter fields in Milvus (Lite, a server or
a cluster), one collection per index version, and an alias that names the serving one
(`versions`)."""

from __future__ import annotations

from indexer.backends.milvus.backend import MilvusBackend
from indexer.backends.milvus.client import (
    MilvusUnavailable,
    connect,
    index_alias,
    version_collection,
)

__all__ = ["MilvusBackend", "MilvusUnavailable", "connect", "index_alias", "version_collection"]
