"""The on-disk content-hash cache of passage vectors, shared by the embedder and Ray."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE_FILE = "embeddings.sqlite3"


class EmbeddingCache:
    """sqlite store of float32 vectors keyed by sha256(model_id, checksum, kind, text).

    WAL mode lets several processes read while one writes; writes are batched in one
    transaction per call. Vectors of the wrong length (another model) are ignored.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=30.0, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:  # a read-only or network file system: plain journal
            pass
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(model_id: str, checksum: str, kind: str, text: str) -> bytes:
        h = hashlib.sha256()
        for part in (model_id, checksum, kind, text):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.digest()

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):  # sqlite's bound-parameter limit
                chunk = list(keys[i : i + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk)
                for k, v in rows:
                    if len(v) == 4 * dim:
                        out[bytes(k)] = np.frombuffer(v, dtype=np.float32)
        return out

    def fill(self, keys: Sequence[bytes], out: np.ndarray) -> dict[bytes, list[int]]:
        """Rows of `out` filled from the cache where it holds their key; returns the
        missing keys with the rows each fills (a text repeated is embedded once)."""
        hits = self.get_many(keys, out.shape[1])
        todo: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            v = hits.get(k)
            if v is None:
                todo.setdefault(k, []).append(i)
            else:
                out[i] = v
        return todo

    def put_many(self, items: Sequence[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
