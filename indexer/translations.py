"""Word translations between a collection's own languages, for the lexical half of search.

BM25 is blind across languages: a Spanish question's words meet Spanish passages only, and
the English answer is found by the dense half alone. The glossary (`indexer.glossary`)
bridges the field's terms; this bridges the rest of the collection's words. A build embeds
the frequent words of each of the collection's languages (English, Spanish, French) with
the index's own model (names left out) and pairs words of two languages that are each
other's best match (CSLS, at a cosine of MIN_COSINE or more): "mantenimiento" and
"maintenance", "mujeres" and "women". A query's words found in its own language's list
add their pairs to what BM25 scores, beside the glossary's. Serving is a dictionary lookup, no
embedding per query.

A language of QUERY_LANGS (English, Spanish: the languages users ask in) that the
collection lacks (a Spanish question over English and French reports) is given a reference
list instead: its REFERENCE_WORDS most frequent words in general use, from `wordfreq` (a
maintained word-frequency library; code Apache-2.0, word lists CC BY-SA 4.0, read at build
time, not shipped). They are paired with the collection's
words the same way, in one direction: a Spanish question's words find English and French
words, and nothing is translated into a language no passage is in. Only an embedder that
embeds words in big batches and caches them by content (`Embedder.embed_words`) is given
reference lists, so a rebuild reads them from its cache; a plain encoder (tests' fakes)
gets the collection's own languages only.

Measured on MLQA, one collection of English and Spanish paragraphs (README, "Retrieval
quality"): hybrid nDCG@10 0.812 -> 0.821 for English questions and 0.777 -> 0.783 for
Spanish ones, both answers in the top 10 83.3% -> 84.8% and 77.3% -> 78.4%; BM25 alone
0.638 -> 0.682 and 0.618 -> 0.663. With reference lists, on squad-es-en (each language its own
collection): hybrid nDCG@10 es->en 0.777 -> 0.791 and en->es 0.789 -> 0.806.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.lexical import _french, _stopwords, fold

__all__ = ["WordTranslations", "build_translations", "query_expansion", "translation_settings", "FILE"]

LANGS = ("en", "es", "fr")
#: The languages questions are asked in, given a reference list where the collection lacks
#: them. French is a collection language, not a question language: a French list would cost
#: a first build of an English and Spanish collection (the demo's) 20,000 more words to
#: embed (about 28 s on a Zen 4 at bf16) for no question.
QUERY_LANGS = ("en", "es")
#: Most words embedded per language (the most frequent, by passages holding them).
MAX_WORDS = 8000
#: A language needs this many passages to get a word list.
MIN_PASSAGES = 20
#: Words of a reference list (a language the collection lacks): its most frequent content
#: words in general use. 20,000 hold 82% of the content words of squad-es-en's Spanish
#: questions (8,000: 69%).
REFERENCE_WORDS = 20000
#: A word's translation into another language is its best word there by CSLS (cross-domain
#: similarity local scaling, as in bilingual lexicon induction: the cosine corrected for
#: words that sit near everything), over its HUB_K nearest, at a cosine of MIN_COSINE or
#: more. The plain nearest word at 0.90 gave "recepción" -> "migración" and "were" ->
#: "ser" on the sample corpus; CSLS gives "aspirina" -> "aspirin", "tema" -> "theme".
HUB_K = 10
MIN_COSINE = 0.88
#: Share of a word's occurrences written with a capital from which it is a name.
NAME_SHARE = 0.6
#: The version folder's files: the table and word lists; the words' vectors (float16).
FILE, VECTORS = "translations.json", "translations.npz"

_WORDS = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def translation_settings() -> dict[str, float]:
    """What an index's manifest records of how its word translations were made."""
    return {"max_words": MAX_WORDS, "min_cosine": MIN_COSINE, "hub_k": HUB_K, "reference_words": REFERENCE_WORDS}


def _stop() -> frozenset[str]:
    return _stopwords() | _french()[1]


def words_of(text: str) -> list[str]:
    """A text's content words, lowercased (accents kept: they are what the model reads)."""
    stop = _stop()
    return [w for w in _WORDS.findall(text.replace("\u2019", "'").lower()) if fold(w) not in stop]


def reference_words(lang: str, n: int = REFERENCE_WORDS) -> list[str]:
    """A language's n most frequent content words in general use (wordfreq's list, read as
    `words_of` reads a text: lowercase, three letters or more, no stop words)."""
    from wordfreq import top_n_list

    out: list[str] = []
    seen: set[str] = set()
    for w in top_n_list(lang, 2 * n):
        if words_of(w) == [w] and fold(w) not in seen:
            seen.add(fold(w))
            out.append(w)
            if len(out) == n:
                break
    return out


def _vocabulary(texts: Sequence[str], langs: Sequence[str]) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """(the MAX_WORDS most frequent words, by passages, of each language with enough
    passages, names left out; every folded word of each language, names included)."""
    counts: dict[str, Counter] = {}
    capital: Counter = Counter()
    seen: Counter = Counter()
    n_passages: Counter = Counter()
    for text, lang in zip(texts, langs, strict=True):
        if lang not in LANGS:
            continue
        n_passages[lang] += 1
        counts.setdefault(lang, Counter()).update(set(words_of(text)))
        for w in _WORDS.findall(text):
            seen[w.lower()] += 1
            capital[w.lower()] += w[0].isupper()
    vocab = {}
    for lang, c in counts.items():
        if n_passages[lang] >= MIN_PASSAGES:
            # a word mostly written with a capital is a name ("Tapachula", "Melilla"): it is
            # the same in every language, and as a translation it drew unrelated words
            common = [(w, n) for w, n in c.items() if capital[w] < NAME_SHARE * seen[w]]
            vocab[lang] = [w for w, _ in sorted(common, key=lambda kv: (-kv[1], kv[0]))[:MAX_WORDS]]
    return vocab, {lang: {fold(w) for w in c} for lang, c in counts.items()}


def _embed_words(embedder, words: list[str], previous: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    """The words' vectors (float16, as saved) and how many were embedded: the previous
    version's vectors are reused, the rest embedded."""
    dim = int(embedder.dim)
    out = np.zeros((len(words), dim), dtype=np.float16)
    todo = [i for i, w in enumerate(words) if w not in previous or previous[w].shape != (dim,)]
    for i, w in enumerate(words):
        if w in previous and previous[w].shape == (dim,):
            out[i] = previous[w]
    if todo:
        embed = getattr(embedder, "embed_words", None) or embedder.embed_passages
        out[todo] = np.asarray(embed([words[i] for i in todo]), dtype=np.float32).astype(np.float16)
    return out, len(todo)


def build_translations(texts: Sequence[str], langs: Sequence[str], embedder,
                       previous: dict[str, np.ndarray] | None = None,
                       reference: bool | None = None) -> WordTranslations:
    """The table of a collection (passage texts and their languages). Each language with
    MIN_PASSAGES passages gets its frequent words; each other language of QUERY_LANGS a reference
    list (`reference`: default when the embedder has `embed_words`), translated into the
    collection's languages only. Empty with fewer than two languages in all. `previous`:
    word -> vector of the index being rebuilt (`WordTranslations.load_vectors`), reused
    instead of embedded."""
    vocab, every = _vocabulary(texts, langs)
    if reference is None:
        reference = callable(getattr(embedder, "embed_words", None))
    order = sorted(vocab)  # the collection's languages: their words are the targets
    extra: dict[str, list[str]] = {}
    if reference and vocab:
        # a language the collection holds keeps its own words: adding the reference list to
        # them as sources left MLQA where it was (hybrid nDCG@10 0.820 / 0.786 against
        # 0.820 / 0.783, both answers in the top 10 unchanged)
        for lang in QUERY_LANGS:
            ws = reference_words(lang) if lang not in vocab else []
            if ws:
                extra[lang] = ws
    if len(set(order) | set(extra)) < 2:
        return WordTranslations({})
    saved, embedded = _embed_words(embedder, [w for lang in order for w in vocab[lang]], previous or {})
    vectors = saved.astype(np.float32)  # a rebuild and a fresh build compute on the same values
    start, sources, kept = 0, {}, {}
    for lang in order:  # a collection language's words are its sources and its targets
        sources[lang] = vectors[start : start + len(vocab[lang])]
        kept[lang] = saved[start : start + len(vocab[lang])]
        start += len(vocab[lang])
    # the reference lists are sources only (translated one way)
    source_words, held = dict(vocab), dict(every)
    for lang, ws in extra.items():  # the embedder's cache keeps these; the index does not
        sources[lang] = np.asarray(embedder.embed_words(ws), dtype=np.float32).astype(np.float16).astype(np.float32)
        # a general-use list holds the other languages' loanwords ("health" in Spanish): none
        # is held back as a target ("salud" -> "health"); the loanword itself pairs with no
        # one, since the way back skips words the collection holds
        source_words[lang], held[lang] = ws, set()
    pairs = [(a, b) for a in sources for b in order if a != b]
    sides = list(dict.fromkeys(side for a, b in pairs for side in ((a, b), (b, a))))
    hub = {(x, y): _knn_mean(sources[x], sources[y]) for x, y in sides}
    best = {(x, y): _best(sources[x], sources[y], hub[(x, y)], hub[(y, x)], source_words[y], held[x]) for x, y in sides}
    table: dict[str, dict[str, list[str]]] = {lang: {} for lang in sources}
    for a, b in pairs:
        (j, cos), back = best[(a, b)], best[(b, a)][0]
        for i, w in enumerate(source_words[a]):
            # each other's best (mutual): a word that is everyone's nearest is nobody's pair
            if j[i] >= 0 and cos[i] >= MIN_COSINE and back[j[i]] == i:
                table[a].setdefault(fold(w), []).append(vocab[b][j[i]])
    return WordTranslations(table, vocab, kept, embedded, reference=sorted(extra))


def _knn_mean(va: np.ndarray, vb: np.ndarray, block: int = 2048) -> np.ndarray:
    """Each row of va: the mean cosine of its HUB_K nearest rows of vb (how crowded its
    neighbourhood in the other language is)."""
    k = min(HUB_K, len(vb))
    out = np.empty(len(va), dtype=np.float32)
    for lo in range(0, len(va), block):
        sims = va[lo : lo + block] @ vb.T
        out[lo : lo + block] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
    return out


def _best(va, vb, hub_ab, hub_ba, words_b, held_a: set[str], block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(index, cosine) of each row of va's best word of b by CSLS (twice the cosine less
    both words' neighbourhood crowding, so a word near everything is nobody's translation),
    among the words of b that a does not hold as well (a word a text of language b borrows
    matches already); index -1 when there is none."""
    own = np.array([fold(w) in held_a for w in words_b], dtype=bool)
    j = np.full(len(va), -1, dtype=np.int64)
    cos = np.zeros(len(va), dtype=np.float32)
    if own.all():
        return j, cos
    for lo in range(0, len(va), block):
        sims = va[lo : lo + block] @ vb.T
        csls = 2 * sims - hub_ab[lo : lo + block, None] - hub_ba[None, :]
        csls[:, own] = -np.inf
        pick = csls.argmax(axis=1)
        j[lo : lo + block] = pick
        cos[lo : lo + block] = sims[np.arange(len(pick)), pick]
    return j, cos


class WordTranslations:
    """language -> folded word -> its words in the collection's other languages; at build
    time also the collection's words embedded per language and their vectors (saved for the
    next build), and which languages came from reference lists."""

    def __init__(self, table: dict[str, dict[str, list[str]]], words: dict[str, list[str]] | None = None,
                 vectors: dict[str, np.ndarray] | None = None, embedded: int = 0,
                 reference: Sequence[str] = ()):
        self.table = table
        self.words = words or {}
        self.vectors = vectors or {}
        self.embedded = embedded
        self.reference = list(reference)  # languages given a reference list, not the collection's

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.table.values())

    @property
    def languages(self) -> list[str]:
        return sorted(self.table)

    def expand(self, query: str, lang: str) -> str:
        """The words to add to `query` (in language `lang`) for BM25: translations of its
        words, none already in the query; "" for a language the table does not hold
        (undetected, or one the collection lacks)."""
        rows = self.table.get(lang)
        if not rows:
            return ""
        words = [fold(w) for w in words_of(query)]
        seen, out = set(words), []
        for w in words:
            for t in rows.get(w, ()):
                if fold(t) not in seen:
                    seen.add(fold(t))
                    out.append(t)
        return " ".join(out)

    def save(self, directory: str | Path) -> None:
        d = Path(directory)
        (d / FILE).write_text(json.dumps({"table": self.table, "words": self.words}, ensure_ascii=False,
                                         separators=(",", ":")), encoding="utf-8")
        if self.vectors:
            np.savez(d / VECTORS, **{lang: v for lang, v in self.vectors.items()})

    @classmethod
    def load(cls, directory: str | Path) -> WordTranslations:
        """The version folder's table (what serving needs); an index built before
        translations has none (empty)."""
        path = Path(directory) / FILE
        if not path.is_file():
            return cls({})
        return cls(json.loads(path.read_text(encoding="utf-8"))["table"])

    @staticmethod
    def load_vectors(directory: str | Path) -> dict[str, np.ndarray]:
        """word -> vector of a version folder, for the next build to reuse ({} if none)."""
        d = Path(directory)
        try:
            words = json.loads((d / FILE).read_text(encoding="utf-8"))["words"]
            with np.load(d / VECTORS, allow_pickle=False) as z:
                return {w: v for lang, ws in words.items() if lang in z.files
                        for w, v in zip(ws, z[lang], strict=True)}
        except (OSError, KeyError, ValueError, json.JSONDecodeError):
            return {}


def query_expansion(query: str, translations: WordTranslations | None, hybrid, lang: str | None = None) -> str:
    """What BM25 scores beside a query's own words: the glossary's terms in the other
    languages (`hybrid.glossary`) and the collection's translations of its words
    (`hybrid.translate`; `lang`: the query's language, detected when None). The match
    set's coverage rule weighs the query's words alone."""
    from indexer.glossary import expansion
    from indexer.ranking import detect_query_lang

    parts = [expansion(query)] if hybrid.glossary else []
    if hybrid.translate and translations is not None and translations.table:
        parts.append(translations.expand(query, lang or detect_query_lang(query)))
    return " ".join(p for p in parts if p)
