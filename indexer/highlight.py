"""Highlighting: HTML-escaped passage text with <mark> around words that match the query
after accent folding and Spanish/English stemming, and French stemming in French passages
(the same analysis as BM25)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

from indexer.lexical import fold, french_stem, stems

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=200_000)
def word_stems(word: str, french: bool = False) -> tuple[str, ...]:
    """Stems of one word as written (folded first); cached, words repeat a lot."""
    w = fold(word)
    f = french_stem(w) if french else None
    return stems(w) + ((f,) if f else ())


def query_terms(query: str) -> frozenset[str]:
    """The stems a passage word must share with the query to be marked."""
    out: set[str] = set()
    for w in _WORD.findall(fold(query)):
        out.update(stems(w))
        f = french_stem(w)
        if f:
            out.add(f)
    return frozenset(out)


def highlight(text: str, query: str | frozenset[str], lang: str = "") -> str:
    """HTML-escape `text`, wrapping query-matching words in <mark>...</mark> (`lang` "fr"
    also matches French stems)."""
    terms = query_terms(query) if isinstance(query, str) else query
    french = lang == "fr"
    if not terms:
        return html.escape(text)
    out: list[str] = []
    pos = 0
    for m in _WORD.finditer(text):
        word = m.group(0)
        if not terms.isdisjoint(word_stems(word, french)):
            out.append(html.escape(text[pos : m.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)
