"""Cross-language query expansion for the lexical half of search, from a domain glossary.

BM25 cannot match "rendición de cuentas" with "accountability": a Spanish question finds
English reports by the dense half alone. `corpus/data/glossary.json` holds the field's
terms (trafficking, smuggling, reintegration, border management, lessons learned...) in
English, Spanish and French, one concept per entry, in the project's own words. A query's
terms are found by their Snowball stems (so "víctimas de trata" matches "victimas de la
trata" and plurals), and each concept found adds its terms in the *other* languages to
the query that BM25 scores; the words already in the query are not added twice. The dense
half, the match set's coverage rule and a query in a one-language collection are left as
they are: the added words are in another language, so they only meet passages in it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from indexer.lexical import _WORD, _french, _stopwords, fold

_PATH = Path(__file__).resolve().parent.parent / "corpus" / "data" / "glossary.json"
LANGS = ("en", "es", "fr")
_STEMMER_NAMES = {"en": "english", "es": "spanish", "fr": "french"}


@lru_cache(maxsize=1)
def _stemmers():
    import Stemmer

    return {lang: Stemmer.Stemmer(name) for lang, name in _STEMMER_NAMES.items()}


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    """The lexical index's stopwords, English, Spanish and French (folded)."""
    return _stopwords() | _french()[1]


def _content_words(text: str) -> list[str]:
    stop = _stop()
    return [w for w in _WORD.findall(fold(text.replace("'", " ").replace("\u2019", " "))) if len(w) > 1 and w not in stop]


@lru_cache(maxsize=50_000)
def _word_stems(word: str) -> frozenset[str]:
    return frozenset(s.stemWord(word) for s in _stemmers().values())


_Entry = tuple[tuple[str, ...], tuple[str, ...], int, str]  # (stems, word prefixes, concept, language)


def _prefix(word: str) -> str:
    """What a query word must start with to be a form of a term's word: the stem alone lets
    "find" be "findings"; the word less three letters keeps "víctima"/"víctimas" together."""
    return word[: max(3, len(word) - 3)]


@lru_cache(maxsize=1)
def _concepts() -> tuple[list[dict[str, list[str]]], dict[str, list[_Entry]]]:
    """(concepts, first stem -> [entry], longest first)."""
    concepts = json.loads(_PATH.read_text(encoding="utf-8"))["concepts"]
    stemmers = _stemmers()
    index: dict[str, list[_Entry]] = {}
    for i, concept in enumerate(concepts):
        for lang in LANGS:
            for term in concept.get(lang, ()):
                words = _content_words(term)
                if words:
                    seq = tuple(stemmers[lang].stemWord(w) for w in words)
                    index.setdefault(seq[0], []).append((seq, tuple(map(_prefix, words)), i, lang))
    for entries in index.values():
        entries.sort(key=lambda e: -len(e[0]))
    return concepts, index


def find_concepts(query: str) -> list[tuple[int, str, int]]:
    """(concept, language of the term found, its length in words) for each glossary term
    in `query`, in text order; the longest term wins where terms overlap."""
    _, index = _concepts()
    words = _content_words(query)
    stems = [_word_stems(w) for w in words]
    found: list[tuple[int, str, int]] = []
    i = 0
    while i < len(stems):
        best = None
        for s in stems[i]:
            for seq, prefixes, concept, lang in index.get(s, ()):  # longest first
                n = len(seq)
                if i + n <= len(stems) and all(
                    seq[j] in stems[i + j] and words[i + j].startswith(prefixes[j]) for j in range(n)
                ):
                    if best is None or n > len(best[0]):
                        best = (seq, concept, lang)
                    break
        if best is None:
            i += 1
            continue
        found.append((best[1], best[2], len(best[0])))
        i += len(best[0])
    return found


def language_votes(query: str) -> dict[str, int]:
    """Per language, how many of the glossary concepts in `query` it names in that language
    alone: "retornados" votes Spanish, "migrants" (an English and a French term) nothing."""
    concepts, _ = _concepts()
    have = {s for w in _content_words(query) for s in _word_stems(w)}
    votes: dict[str, int] = {}
    for c, _lang, _n in find_concepts(query):
        held = {
            lg for lg in LANGS for t in concepts[c].get(lg, ())
            if (ws := _content_words(t)) and all(_word_stems(w) & have for w in ws)
        }
        if len(held) == 1:
            lg = held.pop()
            votes[lg] = votes.get(lg, 0) + 1
    return votes


def expansion(query: str) -> str:
    """The other languages' terms of the glossary concepts in `query`, as text for BM25;
    '' when the query names none. Per language, the terms closest in length to the one
    found ("retornados" gives "returnees", not "returned migrants"); a term whose words
    the query already holds (by stem) is left out."""
    concepts, _ = _concepts()
    have = {s for w in _content_words(query) for s in _word_stems(w)}
    out: list[str] = []
    seen: set[int] = set()
    for c, lang, n in find_concepts(query):
        if c in seen:
            continue
        seen.add(c)
        for other in LANGS:
            terms = [_content_words(t) for t in concepts[c].get(other, ()) if other != lang]
            terms = [t for t in terms if t]
            if not terms:
                continue
            gap = min(abs(len(t) - n) for t in terms)
            for words in terms:
                if abs(len(words) - n) == gap and not all(_word_stems(w) & have for w in words):
                    out.extend(words)
                    have.update(st for w in words for st in _word_stems(w))
    return " ".join(out)
