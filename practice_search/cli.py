"""The `practice-search` command. Each package registers its own subcommands;
modules are imported only for the subcommand that runs, so start-up stays fast."""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sqlite3
import sys

from practice_search.config import SETTINGS_FILE_ENV, get_settings

#: subcommand -> (module with `register(subparsers)`, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "model": ("indexer.model_cli", "build or locate the embedding model; measure its speed"),
    "inspect": ("corpus.cli", "show the documents, metadata and passages read from a path"),
    "index": ("indexer.cli", "build or update a search index from a corpus folder"),
    "search": ("indexer.cli", "search an index from the command line"),
    "gapmap": ("indexer.cli", "document counts per GCM objective x country"),
    "serve": ("service.cli", "serve the search API and page"),
    "eval": ("eval.cli", "benchmark retrieval quality on query sets"),
    "bench": ("bench.cli", "measure speed, latency and memory"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="practice-search",
        description="Multilingual semantic search over migration-governance practices.",
    )
    parser.add_argument(
        "--settings", metavar="FILE",
        help="a settings file (TOML: `max_connections = 256`, `api_keys = [\"...\"]`); "
        "environment variables (PRACTICE_SEARCH_*) override it",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = next((a for i, a in enumerate(argv) if not a.startswith("-")
                   and (i == 0 or argv[i - 1] != "--settings")), None)
    if wanted in SUBCOMMANDS:
        # Import only the module of the subcommand asked for.
        importlib.import_module(SUBCOMMANDS[wanted][0]).register(sub)
    else:
        for name, (_, help_) in SUBCOMMANDS.items():
            sub.add_parser(name, help=help_)
    return parser


#: Storage failures that are the machine's state, not a bug: one message, not a traceback.
_STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


_UNCHANGED = " Nothing was switched: the index that served before still serves."


def _storage_error(exc: OSError, command: str) -> str | None:
    """A one-line message for a full, read-only or forbidden disk (None: another error)."""
    reason = _STORAGE_ERRNOS.get(exc.errno)
    if reason is None:
        return None
    where = f" ({exc.filename})" if exc.filename else ""
    return (
        f"{reason}{where}. Free space or choose a writable folder (--index, PRACTICE_SEARCH_HOME) and run again."
        + (_UNCHANGED if command == "index" else "")
    )


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.settings:
        if not os.path.isfile(args.settings):
            print(f"practice-search: error: settings file not found: {args.settings}", file=sys.stderr)
            return 2
        os.environ[SETTINGS_FILE_ENV] = os.path.abspath(args.settings)  # for child processes too
    get_settings.cache_clear()
    try:
        get_settings()  # a bad file or value: say so before any work
    except ValueError as exc:
        print(f"practice-search {args.command}: error: {exc}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except sqlite3.OperationalError as exc:  # the embedding cache on a full or read-only disk
        # sqlite says "database or disk is full", "disk I/O error" (a full disk when it
        # creates its WAL files), "attempt to write a readonly database", "unable to open"
        if not any(w in str(exc) for w in ("full", "disk I/O", "readonly", "unable to open")):
            raise
        print(f"practice-search {args.command}: error: the embedding cache cannot be written ({exc}). "
              "Free space or set PRACTICE_SEARCH_HOME to a writable folder, and run again."
              + (_UNCHANGED if args.command == "index" else ""), file=sys.stderr)
        return 5
    except (ValueError, FileNotFoundError, KeyError) as exc:  # user errors: say what to fix
        print(f"practice-search {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        message = _storage_error(exc, args.command)
        if message is None:
            raise
        print(f"practice-search {args.command}: error: {message}", file=sys.stderr)
        return 5
    except RuntimeError as exc:
        from indexer.backends.milvus.client import MilvusUnavailable

        if not isinstance(exc, MilvusUnavailable):
            raise
        print(f"practice-search {args.command}: error: {exc}", file=sys.stderr)
        return 4


if __name__ == "__main__":
    sys.exit(main())
