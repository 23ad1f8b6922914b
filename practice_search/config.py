"""One settings object for the whole project (environment prefix PRACTICE_SEARCH_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The name that selects the offline default model, built from PyPI packages.
DEFAULT_MODEL = "multilingual-e5-small"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRACTICE_SEARCH_", extra="ignore")

    #: Where built models and the embedding cache live.
    home: Path = Field(default_factory=lambda: Path.home() / ".cache" / "practice-search")
    #: "multilingual-e5-small" (the offline default), a hub name, or a local model directory.
    model: str = DEFAULT_MODEL
    device: str = "cpu"
    batch_size: int = 32
    #: Passage length bound, in model tokens, and the overlap between consecutive pieces.
    passage_tokens: int = 200
    passage_overlap: int = 32
    #: Vector index backend: exact (flat), or approximate for large corpora.
    index_backend: Literal["flat", "hnsw", "ivf"] = "flat"
    #: Longest query accepted, in characters.
    max_query_chars: int = 1000
    #: Largest k a search may ask for.
    max_k: int = 100

    @field_validator("batch_size", "passage_tokens")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("must be a positive integer")
        return v

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
