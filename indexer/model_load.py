"""Loading the embedding model: the offline default (built from PyPI packages on first
use), a hub name, or a local sentence-transformers directory -> an `Embedder`."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from indexer.embedder import E5_PROMPTS, Embedder, configure_torch_threads
from practice_search.config import DEFAULT_MODEL, Settings


class ModelUnavailableError(ValueError):
    """The requested embedding model cannot be loaded here; the message says what to use."""


def _offline_hint() -> str:
    return (
        f"use the offline default model instead: unset PRACTICE_SEARCH_MODEL or set it to "
        f"'{DEFAULT_MODEL}' (built from PyPI packages by `practice-search model build`), or "
        "pass a local sentence-transformers directory"
    )


def _model_prompts(model: Any, model_id: str) -> dict[str, str]:
    """query/passage prefixes from the model's config; E5 defaults for an E5 model without any."""
    prompts = dict(getattr(model, "prompts", None) or {})
    chosen = {k: prompts[k] for k in ("query", "passage") if prompts.get(k)}
    if not chosen and "e5" in model_id.lower():
        return dict(E5_PROMPTS)
    return chosen


def _dir_checksum(path: Path) -> str:
    """sha256 over a model directory's config and weight files (names, sizes, contents)."""
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file() and f.suffix in {".json", ".safetensors", ".bin", ".txt", ".model"}:
            h.update(str(f.relative_to(path)).encode())
            with open(f, "rb") as fh:
                while block := fh.read(1 << 22):
                    h.update(block)
    return h.hexdigest()


def _hub_reachable(timeout: float = 3.0) -> bool:
    """A quick TCP check of the Hugging Face endpoint (avoids minutes of HTTP retries)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _load_sentence_transformer(name: str, device: str) -> tuple[Any, str]:
    """Load a hub name or local directory; returns the model and a checksum string."""
    from sentence_transformers import SentenceTransformer

    path = Path(name).expanduser()
    if path.is_dir():
        try:
            model = SentenceTransformer(str(path), device=device)
        except Exception as exc:  # noqa: BLE001 - any load failure is a bad directory
            raise ModelUnavailableError(f"cannot load model directory {path}: {exc}") from exc
        return model, _dir_checksum(path)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise ModelUnavailableError(f"no model directory at {path}; {_offline_hint()}")
    try:  # already in the local hub cache: no network needed
        model = SentenceTransformer(name, device=device, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached; try the hub below
        model = None
    if model is None:
        if not _hub_reachable():
            raise ModelUnavailableError(
                f"model {name!r} is not a local directory and the Hugging Face hub cannot be "
                f"reached from here (no network, or HF_HUB_OFFLINE is set); {_offline_hint()}"
            )
        try:
            model = SentenceTransformer(name, device=device)
        except Exception as exc:  # noqa: BLE001
            raise ModelUnavailableError(f"cannot load model {name!r} from the hub: {exc}; {_offline_hint()}") from exc
    return model, _hub_revision(model, name)


def _hub_revision(model: Any, name: str) -> str:
    """Identify a hub model by its cached snapshot directory (the commit) when known."""
    try:
        from huggingface_hub import snapshot_download

        snap = snapshot_download(name, local_files_only=True)
        return "hub:" + Path(snap).name
    except Exception:  # noqa: BLE001
        return "hub:" + hashlib.sha256(name.encode()).hexdigest()


def load_embedder(model: str | None = None, settings: Settings | None = None) -> Embedder:
    """The embedder for `model` (default: `settings.model`, itself defaulting to the offline
    multilingual-e5-small, built on first use). Raises `ModelUnavailableError` when a hub
    model cannot be reached."""
    settings = settings or Settings()
    name = (model or settings.model or DEFAULT_MODEL).strip()
    configure_torch_threads()
    t0 = time.perf_counter()
    if name == DEFAULT_MODEL:
        from sentence_transformers import SentenceTransformer

        from indexer.model_build import ensure_default_model, read_build_record

        path = ensure_default_model(settings)
        record = read_build_record(path) or {}
        st = SentenceTransformer(str(path), device=settings.device)
        checksum = record.get("weights_sha256") or _dir_checksum(path)
    else:
        st, checksum = _load_sentence_transformer(name, settings.device)
    st.eval()
    emb = Embedder(
        st,
        name,
        checksum,
        batch_size=settings.batch_size,
        cache_dir=settings.cache_dir,
        prompts=_model_prompts(st, name),
    )
    emb.load_seconds = time.perf_counter() - t0
    return emb
