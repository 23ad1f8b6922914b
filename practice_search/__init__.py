"""practice-search: multilingual semantic search over migration-governance practice texts."""

__version__ = "0.1.0"
