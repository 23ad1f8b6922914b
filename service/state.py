"""The loaded index, and how a rebuilt one is picked up while the server runs.

`SearchIndex.reload_if_changed` swaps the index's state in one assignment after a
build switches the directory over; every search takes that state once, so a
request in flight finishes on the index it started with. The holder calls it at
most once per `check_interval` seconds, from a background task, so no request
pays for a reload.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("practice_search.service")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IndexHolder:
    """Owns the open `SearchIndex`. Calls run concurrently: a search reads an immutable
    index state, and the embedder serialises its own forward passes, so a slow query
    embedding does not queue the other requests' searches behind it."""

    def __init__(
        self,
        index_dir: Path,
        embedder: Any = None,
        settings: Any = None,
        check_interval: float = 1.0,
    ):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.settings = settings
        self.check_interval = check_interval
        self.reloads = 0
        self.loaded_at = ""
        self._index: Any = None  # indexer.search.SearchIndex
        self._last_check = 0.0

    def load(self) -> None:
        """Open the index (at start-up); errors propagate so a broken server does not start."""
        from indexer.search import SearchIndex

        self._index = SearchIndex.open(
            self.index_dir, embedder=self.embedder, settings=self.settings
        )
        self.loaded_at = _now()
        self._last_check = time.monotonic()
        log.info("index loaded from %s", self.index_dir)
        embedder = self._index.embedder
        if hasattr(embedder, "prepare_queries"):  # the ONNX query encoder, before the first request
            runtime = embedder.prepare_queries()
            embedder.embed_queries(["warm-up"])
            log.info("queries embed on %s (%s)", runtime, embedder.query_runtime_note)
        try:  # one search compiles (or loads) the numba kernels of BM25 and of the match set
            self._index.search("warm-up search for migrants", k=1)
        except Exception:  # noqa: BLE001 - an empty index or a remote engine hiccup must not stop start-up
            log.debug("warm-up search failed", exc_info=True)

    @property
    def index(self) -> Any:
        if self._index is None:
            raise RuntimeError("the index is not loaded yet")
        return self._index

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a method of the index."""
        return getattr(self.index, method)(*args, **kwargs)

    def maybe_reload(self, force: bool = False) -> bool:
        """Pick up a rebuilt index if the directory was switched; at most one check per
        `check_interval`. A broken new index is logged and the old one kept."""
        now = time.monotonic()
        if self._index is None or (not force and now - self._last_check < self.check_interval):
            return False
        self._last_check = now
        try:
            changed = bool(self._index.reload_if_changed())
        except Exception:  # a broken build must not take the server down
            log.exception(
                "could not load the rebuilt index in %s; still serving the old one", self.index_dir
            )
            return False
        if changed:
            self.reloads += 1
            self.loaded_at = _now()
            log.info("picked up the rebuilt index in %s (reload %d)", self.index_dir, self.reloads)
        return changed
