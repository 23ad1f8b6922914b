"""Language of a text with langdetect, made deterministic (DetectorFactory.seed = 0).

Clear English, Spanish or French prose is settled first by counting function words (microseconds
instead of milliseconds a passage); everything else goes to langdetect.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["detect_language", "MIN_WORDS", "MIN_PROB", "MIN_WORDS_SWITCH", "MAX_CHARS", "TRIALS"]

#: Passages shorter than this inherit the document's language: langdetect guesses on them.
MIN_WORDS = 12
#: A passage gets a language other than its document's only from langdetect with at least
#: this probability, over at least this many words (place lists, names and table rows are not).
MIN_PROB = 0.9
MIN_WORDS_SWITCH = 20
#: Characters of text langdetect looks at, and its number of random trials (default 7): enough
#: to tell English from Spanish reliably while keeping detection at milliseconds per passage.
MAX_CHARS = 400
TRIALS = 3


@lru_cache(maxsize=1)
def _factory():
    from langdetect import DetectorFactory, detector_factory

    DetectorFactory.seed = 0
    detector_factory.init_factory()
    return detector_factory._factory  # noqa: SLF001 - langdetect's shared, loaded factory


# Function words for a quick first look: a passage whose function words are overwhelmingly
# English or Spanish (and shows no sign of Portuguese, French, Italian or Catalan) is settled
# without running langdetect; anything less clear goes to langdetect.
_EN = frozenset("the and of to is that for with are was were this be from which have has its "
                "their by it an".split())
_ES = frozenset("el la los las del y que por para con una es se su sus al lo como más mas "
                "esta este entre fue son".split())
_FR = frozenset("le les des une est sont avec dans pour du au aux et qui sur pas ces cette leur "
                "leurs ont été par".split())
_OTHER = frozenset("não nao uma com em os das dos pelo pela são della delle che gli sono nel amb "
                   "els ao às".split())
_WORD = re.compile(r"[^\W\d_]+")


def _quick(text: str) -> str | None:
    en = es = fr = 0
    for w in _WORD.findall(text[:MAX_CHARS * 2].lower()):
        if w in _EN:
            en += 1
        elif w in _ES:
            es += 1
        elif w in _FR:
            fr += 1
        elif w in _OTHER:
            return None
    if en >= 6 and en >= 5 * (es + fr):
        return "en"
    if es >= 6 and es >= 5 * (en + fr):
        return "es"
    if fr >= 6 and fr >= 5 * (en + es):
        return "fr"
    return None


def detect_language(text: str, default: str = "und") -> str:
    """ISO 639-1 code of the text's language, or `default` when it cannot tell."""
    if len(text.split()) < MIN_WORDS:
        return default
    quick = _quick(text)
    if quick:
        return quick
    from langdetect.lang_detect_exception import LangDetectException

    try:
        detector = _factory().create()
        detector.n_trial = TRIALS
        detector.set_max_text_length(MAX_CHARS)
        detector.append(text)
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return default
    lang = best.lang.split("-")[0]
    if lang == "unknown":
        return default
    # Too little prose to tell (a list of place names, a table row): the document's language,
    # unless langdetect is sure and the text is a few sentences long.
    if default != "und" and lang != default and (
        best.prob < MIN_PROB or len(_WORD.findall(text)) < MIN_WORDS_SWITCH
    ):
        return default
    return lang
