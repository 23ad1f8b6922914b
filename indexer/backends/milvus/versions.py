"""Index versions on Milvus: the alias is the engine's own atomic switch.

A build writes its rows into a new collection (`client.version_collection`), and only
once the version is complete does `publish` point the index's alias at it (one
``alter_alias``: readers see the old collection or the new, never half of one). A build
killed before that leaves the alias on the collection that was serving. `drop_others`
then removes what no kept version names: older versions and killed builds' leftovers.
"""

from __future__ import annotations

from indexer.backends.milvus.client import MilvusUnavailable


def alias_target(client, alias: str) -> str | None:
    """The collection `alias` names now, or None when there is no such alias."""
    try:
        if alias not in client.list_aliases().get("aliases", []):
            return None  # (describe_alias would log an RPC error for a missing alias)
        info = client.describe_alias(alias)
    except Exception:  # noqa: BLE001  pymilvus: no such alias
        return None
    return info.get("collection_name") if isinstance(info, dict) else None


def publish(client, alias: str, collection: str) -> None:
    """Point `alias` at `collection` (created on the first build, switched after)."""
    try:
        if alias_target(client, alias) is None:
            client.create_alias(collection, alias)
        else:
            client.alter_alias(collection, alias)
    except Exception as e:  # noqa: BLE001
        raise MilvusUnavailable(f"switching Milvus alias {alias} to {collection} failed: {e}") from e


def drop_others(client, alias: str, keep: set[str]) -> list[str]:
    """Drop this index's collections (named alias + "__...") except `keep` and the
    alias's own target; returns the names dropped."""
    target = alias_target(client, alias)
    dropped = []
    for name in client.list_collections():
        if name.startswith(alias + "__") and name not in keep and name != target:
            client.drop_collection(name)
            dropped.append(name)
    return dropped
