"""Highlighting: HTML-escaped passage text with <mark> around words that match the query
after accent folding and Spanish/English stemming (the same analysis as BM25)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from indexer.lexical import fold, stems

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=200_000)
def word_stems(word: str) -> tuple[str, ...]:
    """Stems of one word as written (folded first); cached, words repeat a lot."""
    return stems(fold(word))


def query_terms(query: str) -> frozenset[str]:
    """The stems a passage word must share with the query to be marked."""
    return frozenset(s for w in _WORD.findall(fold(query)) for s in stems(w))


def highlight(text: str, query: str | frozenset[str]) -> str:
    """HTML-escape `text`, wrapping query-matching words in <mark>...</mark>."""
    terms = query_terms(query) if isinstance(query, str) else query
    if not terms:
        return html.escape(text)
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not terms.isdisjoint(word_stems(word)):
            out.append(html.escape(text[pos : m.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)
