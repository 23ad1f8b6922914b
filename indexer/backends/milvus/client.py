"""Connecting to Milvus, and the names an index's collections and alias take there.

One URI scheme for every deployment: a path to a Milvus Lite file (``./index.db``:
Milvus Lite runs in the calling process, which then holds the file alone), or
``http(s)://host:19530`` for a Milvus Lite server (``milvus-lite server``), a Milvus
standalone or a cluster. Credentials come from the settings (the environment), never
from the URI that an index records or that logs show.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from indexer.types import EngineUnavailable

#: Milvus names: letters, digits and underscores, a letter or underscore first, <= 255.
_NAME_BAD = re.compile(r"[^0-9A-Za-z_]+")


#: gRPC keepalive ping interval of our Milvus connections (see `connect`).
KEEPALIVE_MS = 330_000


class MilvusUnavailable(EngineUnavailable):
    """Milvus could not be reached or refused the request (the message says which)."""


def is_remote(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def normalise_uri(uri: str) -> str:
    """An absolute path for a Milvus Lite file, the URI itself for a server; refuses a
    URI that carries credentials (they belong in the settings)."""
    uri = (uri or "").strip()
    if not uri:
        raise ValueError(
            "the milvus backend needs a Milvus URI: --milvus-uri PATH.db (Milvus Lite) or "
            "http://host:19530 (a server), or PRACTICE_SEARCH_MILVUS_URI"
        )
    if is_remote(uri):
        parts = urlsplit(uri)
        if parts.username or parts.password:
            raise ValueError(
                "put Milvus credentials in PRACTICE_SEARCH_MILVUS_TOKEN (or _USER and _PASSWORD), "
                "not in the URI: the URI is recorded in the index and shown in logs"
            )
        return urlunsplit(parts)
    path = Path(uri).expanduser().absolute()
    if path.suffix != ".db":
        raise ValueError(f"a Milvus Lite URI is a file path ending in .db, got {uri!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def connect(uri: str, settings=None):
    """A pymilvus MilvusClient for `uri`, with the settings' credentials."""
    from pymilvus import MilvusClient

    if settings is None:
        from practice_search.config import get_settings

        settings = get_settings()
    kwargs: dict = {}
    token = getattr(settings, "milvus_token", None)
    password = getattr(settings, "milvus_password", None)
    if token is not None:
        kwargs["token"] = token.get_secret_value()
    elif getattr(settings, "milvus_user", ""):
        kwargs["user"] = settings.milvus_user
        kwargs["password"] = password.get_secret_value() if password is not None else ""
    if getattr(settings, "milvus_db", ""):
        kwargs["db_name"] = settings.milvus_db
    # pymilvus pings an idle connection every 10 s; a gRPC server (Milvus Lite's among
    # them) by default accepts one ping per 5 minutes without data, and after two more it
    # closes the connection ("Too many pings"): a serve process idle for half a minute
    # lost its Milvus. Ping less often than that.
    kwargs["grpc_options"] = {"grpc.keepalive_time_ms": KEEPALIVE_MS}
    try:
        return MilvusClient(uri=normalise_uri(uri), **kwargs)
    except Exception as e:  # noqa: BLE001  pymilvus raises several types for one cause
        raise MilvusUnavailable(f"cannot open Milvus at {uri}: {_reason(e)}") from e


def _reason(e: Exception) -> str:
    msg = getattr(e, "message", None) or str(e)
    return msg.splitlines()[0][:300] if msg else type(e).__name__


def index_alias(index_dir: str | Path) -> str:
    """The alias that names an index's serving collection: the index folder's name and a
    hash of its absolute path, so two indexes on one Milvus never share one."""
    p = Path(index_dir).absolute()
    stem = _NAME_BAD.sub("_", p.name).strip("_")[:60] or "index"
    digest = hashlib.sha256(str(p).encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f"ps_{stem}_{digest}"


def version_collection(alias: str, version_name: str) -> str:
    """The collection one index version writes: alias + "__" + the version's name."""
    return f"{alias}__{_NAME_BAD.sub('_', version_name)}"[:255]
