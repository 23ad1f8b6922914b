"""Language of a text with langdetect, made deterministic (DetectorFactory.seed = 0)."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["detect_language", "MIN_WORDS", "MAX_CHARS", "TRIALS"]

#: Passages shorter than this inherit the document's language: langdetect guesses on them.
MIN_WORDS = 12
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


def detect_language(text: str, default: str = "und") -> str:
    """ISO 639-1 code of the text's language, or `default` when it cannot tell."""
    if len(text.split()) < MIN_WORDS:
        return default
    from langdetect.lang_detect_exception import LangDetectException

    try:
        detector = _factory().create()
        detector.n_trial = TRIALS
        detector.set_max_text_length(MAX_CHARS)
        detector.append(text)
        lang = detector.detect()
    except LangDetectException:
        return default
    return default if lang == "unknown" else lang.split("-")[0]
