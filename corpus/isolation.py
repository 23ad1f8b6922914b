"""PDF and office files are read in a child process that is stopped when one file takes
too long or too much memory.

A PDF page drawn from a 70 MB content stream, or an office file whose XML expands a
hundredfold, can cost a gigabyte and minutes inside a C library that no Python check can
interrupt. So `corpus.ingest` hands these formats to one long-lived reader process and
watches it: its resident memory (psutil) every few milliseconds, and the clock. Over the
budget, the process is killed, the file is skipped with the reason, and the next file gets a
fresh process. The readers' own soft limits (the PDF page-time budget, the text and XML caps)
still apply inside it, so an ordinary slow file keeps the pages it read.

Budgets come from the settings: `file_memory_mb` (0 reads in this process, unwatched) and
`file_seconds`.
"""

from __future__ import annotations

import errno
import logging
import multiprocessing as mp
import threading
import time
from pathlib import Path
from typing import Any

from corpus.readers import BadInput, RawText

__all__ = ["FILE_MEMORY_MB", "FILE_SECONDS", "ISOLATED_FORMATS", "ReaderProcess", "read_isolated"]

log = logging.getLogger(__name__)

#: Formats read in the child process: binary containers whose content a C library expands.
ISOLATED_FORMATS = frozenset({"pdf", "docx", "odt"})
#: Default budgets for one file: resident memory of the reader process (a 76-page report
#: peaks near 40 MB; the 1-page 70 MB content-stream bomb at 1 GB), and wall time.
FILE_MEMORY_MB = 768
FILE_SECONDS = 180
#: How often the parent looks at the child's memory, seconds.
POLL_S = 0.01
#: Share of the hard deadline given to the PDF reader's own page-time budget, which keeps
#: the pages read so far.
SOFT_SHARE = 0.8


def _child(conn: Any) -> None:
    """The reader process: read (path, fmt, soft_seconds) requests until told to stop."""
    from corpus.ingest import read_here

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if request is None:
            return
        path, fmt, soft_seconds = request
        try:
            reply: tuple = ("ok", read_here(Path(path), fmt, soft_seconds))
        except BadInput as exc:
            reply = ("bad", str(exc))
        except RecursionError:
            reply = ("recursion", "")
        except MemoryError:
            reply = ("memory", "")
        except OSError as exc:
            reply = ("os", (exc.errno or 0, exc.strerror or str(exc)))
        except Exception as exc:  # noqa: BLE001 - the parent turns it into the file's skip reason
            reply = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
        conn.send(reply)


class ReaderProcess:
    """One child process that reads files on request; killed and replaced when a file
    goes over its budget. Thread-safe (one read at a time)."""

    def __init__(self) -> None:
        self._proc: Any = None
        self._conn: Any = None
        self._lock = threading.Lock()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # no copy of the parent's threads (torch, Ray) or locks
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(child,), name="practice-search-reader", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.is_alive():
                try:
                    self._conn.send(None)
                    self._proc.join(2)
                except OSError:
                    pass
            self._stop()

    def read(self, path: Path, fmt: str, seconds: float, memory_mb: int) -> RawText:
        """The file read in the child; BadInput (the reason) when it goes over `seconds` or
        `memory_mb` of resident memory, or the child dies on it."""
        import psutil

        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._start()
            self._conn.send((str(path), fmt, seconds * SOFT_SHARE))
            watched = psutil.Process(self._proc.pid)
            limit = memory_mb * 1024 * 1024
            started = time.monotonic()
            while not self._conn.poll(POLL_S):
                if not self._proc.is_alive():
                    code = self._proc.exitcode
                    self._stop()
                    raise BadInput(f"the reader process died on this file (exit status {code}): "
                                   "a file that crashes the PDF or office library")
                try:
                    rss = watched.memory_info().rss
                except psutil.NoSuchProcess:
                    continue  # it is exiting: is_alive says so next round
                if rss > limit:
                    self._stop()
                    raise BadInput(
                        f"over the memory budget for one file ({memory_mb:,} MB, setting "
                        "FILE_MEMORY_MB): reading was stopped. A page drawn from a huge "
                        "content stream, or a decompression bomb?")
                if time.monotonic() - started > seconds:
                    self._stop()
                    raise BadInput(f"over the reading budget for one file ({seconds:.0f} s, "
                                   "setting FILE_SECONDS): reading was stopped")
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._stop()
                raise BadInput("the reader process died on this file before it answered") from None
        if kind == "ok":
            return value
        if kind == "bad":
            raise BadInput(value)
        if kind == "recursion":
            raise RecursionError
        if kind == "memory":
            raise BadInput(f"over the memory budget for one file ({memory_mb:,} MB): "
                           "the reader ran out of memory")
        if kind == "os":
            raise OSError(value[0] or errno.EIO, value[1])
        raise BadInput(f"could not be read ({value})")


_reader: ReaderProcess | None = None
_reader_lock = threading.Lock()


def read_isolated(path: Path, fmt: str, seconds: float, memory_mb: int) -> RawText:
    """Read one file in this process's shared reader process (started on first use)."""
    global _reader
    with _reader_lock:
        if _reader is None:
            _reader = ReaderProcess()
    return _reader.read(path, fmt, seconds, memory_mb)
