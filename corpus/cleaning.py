"""Text cleaning for the structure parser (`corpus.structure`): inline markup, links and
URLs out of a line; paragraphs a document repeats (a page copied twice, a form's instructions
under every item) found once."""

from __future__ import annotations

import hashlib
import re

from corpus.countries import fold

__all__ = ["clean_inline", "Dedup", "drop_repeated_lines"]

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)(]|\([^)]*\))*\)")
_HTML_TAG = re.compile(r"</?(?:u|b|i|em|strong|a|span|sup|sub|br|font)\b[^>]*>", re.I)
_URL = re.compile(r"<?https?://\S+>?")
_ACCESS_NOTE = re.compile(r"\((?:link|links?)\s+only\s+accessible\s+to[^)]*\)\.?", re.I)
_EMPH = re.compile(r"(?<![\w*])\*{1,2}(?=\S)([^*\n]+?)(?<=\S)\*{1,2}(?![\w*])")


def clean_inline(text: str) -> str:
    """Remove markdown/HTML link noise, emphasis markers, URLs and access notes from a line."""
    t = _MD_IMAGE.sub("", text)
    t = _MD_LINK.sub(r"\1", t)
    t = _HTML_TAG.sub("", t)
    t = _ACCESS_NOTE.sub("", t)
    t = _URL.sub("", t)
    t = _EMPH.sub(r"\1", t)
    t = re.sub(r"(?<=\w)\*+(?=\w)", " ", t)  # "*Officer*ILO": a marker between two words
    t = re.sub(r"(?<=\S)\*+|\*+(?=\S)", "", t)  # stray emphasis and footnote markers
    t = t.replace("\u00a0", " ").replace("\u200b", "")
    t = re.sub(r"\|_+\||_{3,}|\.{6,}|[☐□]", " ", t)  # a form's blanks and tick boxes: "Autre (préciser)____ |__|"
    return re.sub(r"[ \t]{2,}", " ", t).strip()


def norm_for_dup(text: str) -> str:
    """Lower-case, accent-free words of a text, for comparing repeats."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text).lower()).strip()


class Dedup:
    """Exact and near-exact repeats of paragraphs (word 3-gram Jaccard >= 0.9).

    Near-exact candidates come from a small sketch (the 4 smallest shingle hashes); buckets
    and comparisons are capped so that a long file of similar lines stays linear.
    """

    MAX_BUCKET = 64
    MAX_CANDIDATES = 32

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.sketches: dict[int, list[frozenset[int]]] = {}

    def seen(self, text: str) -> bool:
        norm = norm_for_dup(text)
        words = norm.split()
        if len(words) < 6:
            return False  # short lines repeat legitimately
        h = hashlib.blake2b(norm.encode(), digest_size=12).hexdigest()
        if h in self.exact:
            return True
        self.exact.add(h)
        shingles = frozenset(hash(" ".join(words[i : i + 3])) for i in range(len(words) - 2))
        sketch = sorted(shingles)[:4]
        candidates: list[frozenset[int]] = []
        for s in sketch:
            candidates.extend(self.sketches.get(s, ()))
        for other in candidates[: self.MAX_CANDIDATES]:
            inter = len(shingles & other)
            if inter and inter / len(shingles | other) >= 0.9:
                return True
        for s in sketch:
            bucket = self.sketches.setdefault(s, [])
            if len(bucket) < self.MAX_BUCKET:
                bucket.append(shingles)
        return False


def drop_repeated_lines(text: str) -> str:
    """Keep the first of a line of 6 words or more that a document repeats 3 times or more
    (a form's instructions under every item, a table's header row in every table)."""
    lines = text.split("\n")
    keys = [norm_for_dup(ln) if len(ln.split()) >= 6 else "" for ln in lines]
    counts: dict[str, int] = {}
    for k in keys:
        if k:
            counts[k] = counts.get(k, 0) + 1
    if not any(n >= 3 for n in counts.values()):
        return text
    seen: set[str] = set()
    out = []
    for ln, k in zip(lines, keys, strict=True):
        if k and counts[k] >= 3:
            if k in seen:
                continue
            seen.add(k)
        out.append(ln)
    return "\n".join(out)
