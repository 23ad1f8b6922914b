"""Country names and codes in English, Spanish and French: resolve, name, region, find in text.

Names come from pycountry (ISO 3166-1 and its 'es'/'fr' catalogues) plus the hand-written tables
in corpus/data/countries.json (variants, Kosovo as XK, text rules, regions) and demonyms.json.
A base name shared by several countries ("Korea", "Virgin Islands") names none of them; bare
"Congo" is CG (the UN short name). UN catalogue forms resolve: "X (… of)" reads as "… of X",
else as X when X is unambiguous. In running text (one regex pass over an accent-folded copy)
names are capitalised, and names that are also words (Chad, Jordan, Niger...) need a place-like
word before them. Demonyms: English capitalised, Spanish/French lower-case; those that are also
language names ("Chinese", "español") count only beside a people noun ("Chinese nationals",
"trabajadores chinos"); one shared by two countries ("Congolese", "Korean") counts for neither;
"Dominican" is DO; "American" is not read as US. See corpus/data/demonyms.json's notes.
"""

from __future__ import annotations

import gettext
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

__all__ = [
    "CountryNotFound",
    "Mention",
    "resolve_country",
    "lookup_country",
    "country_name",
    "country_region",
    "country_mentions",
    "find_countries",
    "fold",
]

_DATA_DIR = Path(__file__).with_name("data")


class CountryNotFound(ValueError):
    """A country name or code that could not be resolved."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A country named in a text: ISO alpha-2 code, character span, "name" or "demonym"."""

    code: str
    start: int
    end: int
    kind: str


@cache
def _json(name: str) -> dict:
    return json.loads((_DATA_DIR / name).read_text(encoding="utf-8"))


_EXTRA: dict[str, dict] = _json("countries.json")["extra"]

#: Extra names (English, Spanish and French variants) -> ISO 3166-1 alpha-2.
ALIASES: dict[str, str] = {
    n: code for code, names in _json("countries.json")["aliases"].items() for n in names
} | {n: code for code, e in _EXTRA.items() for n in e["names"]}

_TEXT = _json("countries.json")["text"]
#: Names that are also ordinary words or given names; they count in running text only in a
#: place-like context (after "in", "from", "en", "au", a comma...) and not before a capitalised word.
AMBIGUOUS: frozenset[str] = frozenset(_TEXT["ambiguous"])
#: Names resolved by resolve_country() but never read in running text (cities, given names, words).
_TEXT_STOP = frozenset(_TEXT["stop"])
#: People/authority nouns that make a language-like demonym a nationality (folded, lower-case):
#: after the demonym in English ("Chinese nationals"), before it in Spanish and French.
_PEOPLE_EN = frozenset(_TEXT["people_en"])
_PEOPLE_ROMANCE = frozenset(_TEXT["people_es_fr"])
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|from|to|of|and|across|between|with|through|via|into|within|at|near|en|de|del|"
    r"desde|hacia|y|e|entre|con|para|por|a|au|aux|du|des|vers|dans|depuis|et|pour|sur|le|la|l|d)"
    r"|[,;(]|\b[dl]')\s*$",
    re.IGNORECASE,
)
_GULF_BEFORE = re.compile(r"\b(?:gulf\s+of|golfe\s+de|golfo\s+de)\s*$", re.IGNORECASE)
_DETERMINERS = frozenset("les des aux ces un une los las unos unas l d".split())
_NOT_BEFORE_NOUN = frozenset("american native west east".split())  # "American Indian", "West Indian"
_LINK_WORDS = frozenset("of the de del la los las du des".split())

#: UN M49-style regions for the gap map (Americas split as the UN does for development work).
_REGION_BY_CODE: dict[str, str] = {
    c: region for region, codes in _json("countries.json")["regions"].items() for c in codes
}

#: The regions' names in Spanish (the project's own wording of the usual UN terms).
REGION_NAMES_ES = {
    "Latin America and the Caribbean": "América Latina y el Caribe", "Northern America": "América del Norte",
    "Africa": "África", "Europe": "Europa", "Asia": "Asia", "Oceania": "Oceanía", "Other": "Otras",
}


def region_name(region: str, lang: str = "en") -> str:
    """A region's display name in 'en' or 'es' (unknown names come back as they are)."""
    return REGION_NAMES_ES.get(region, region) if lang.lower().startswith("es") else region


_FOLD_CACHE: dict[int, str] = {}


def fold(text: str) -> str:
    """Strip accents character by character, keeping the string's length (for offsets)."""
    if text.isascii():
        return text
    table = _FOLD_CACHE
    for ch in set(text):
        o = ord(ch)
        if o >= 128 and o not in table:
            base = unicodedata.normalize("NFD", ch)[0]
            table[o] = base if len(base) == 1 else ch
    return text.translate(table)


def _key(text: str) -> str:
    """Lookup key: accent-folded, lower-case, single-spaced, hyphens as spaces, no leading article."""
    k = fold(text.replace("\u2019", "'")).lower().replace("-", " ")
    k = re.sub(r"\s+", " ", k).strip(" .")
    return re.sub(r"^(?:the|le|la|les) |^l'", "", k)


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:  # pragma: no cover - pycountry without locales
        return gettext.NullTranslations()


def _invert(base: str, rest: str) -> str | None:
    """'Korea', 'Republic of' -> 'Republic of Korea'; 'Iran', "République islamique d'" -> ..."""
    if "(" in rest:
        return None
    if rest.endswith("d'"):
        return rest + base
    last = rest.split()[-1].lower()
    if last in _LINK_WORDS or last in {"île", "îles", "isla", "islas"}:
        return re.sub(r"^the ", "", f"{rest} {base}", flags=re.I)
    return None


def _variants(name: str, shorts: set[str]) -> tuple[set[str], set[str]]:
    """(full names, base names) a pycountry name gives: inversions, UN '(… of)' forms, bases."""
    name = re.sub(r"^(?:the|The|L') ?", "", name.replace("\u2019", "'"))
    full, bases = {name}, set()
    if ", " in name:
        base, rest = name.split(", ", 1)
        bases.add(base)
        inv = _invert(base, rest)
        if inv:
            full |= {inv, f"{base} ({rest})"}
    m = re.fullmatch(r"(.+?) \((.+)\)(.*)", name)
    if m:
        bases.add((m[1] + m[3]).strip())
    for short in shorts:  # official "Kingdom of the Netherlands" -> "Netherlands (Kingdom of the)"
        for sep in (" ", ""):
            head = name[: -len(short) - len(sep)] if name.endswith(sep + short) else ""
            if head and (head.endswith("d'") if not sep else head.split()[-1].lower() in _LINK_WORDS):
                full.add(f"{short} ({head})")
    return full, bases


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """(lookup key -> code, ambiguous key -> codes, written name -> code for text matching)."""
    import pycountry

    full: dict[str, dict[str, str]] = {}  # key -> {code: written form}
    bases: dict[str, dict[str, str]] = {}
    for c in pycountry.countries:
        raw = {c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)} - {None}
        for lang in ("es", "fr"):
            raw |= {_catalogue(lang).gettext(n) for n in list(raw)}
        shorts = {n for n in raw if ", " not in n and "(" not in n and len(n.split()) <= 3}
        shorts |= {n.split(", ")[0] for n in raw}
        for n in raw:
            f, b = _variants(n, shorts)
            for v in f:
                full.setdefault(_key(v), {}).setdefault(c.alpha_2, v)
            for v in b:
                bases.setdefault(_key(v), {}).setdefault(c.alpha_2, v)
    heads: dict[str, set[str]] = {}  # "virgin islands" -> codes of the names it begins
    for k, codes in full.items():
        words = k.split()
        for i in range(1, len(words) + 1):
            heads.setdefault(" ".join(words[:i]), set()).update(codes)
    lookup: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    written: dict[str, str] = {}
    for k, codes in full.items():
        if len(codes) == 1:
            ((code, w),) = codes.items()
            lookup[k], written[w] = code, code
    for k, codes in bases.items():
        if k in lookup:
            continue
        rivals = heads.get(k, set())
        if len(codes) == 1 and rivals <= set(codes):
            ((code, w),) = codes.items()
            lookup[k], written[w] = code, code
        else:
            ambiguous[k] = tuple(sorted(set(codes) | rivals))
    for alias, code in ALIASES.items():
        lookup[_key(alias)] = code
        written[alias] = code
        ambiguous.pop(_key(alias), None)
    return lookup, ambiguous, written


def lookup_country(name: str) -> str | None:
    """ISO alpha-2 code of an English, Spanish or French country name, or None (no errors)."""
    lookup, _, _ = _tables()
    key = _key(name)
    if key in lookup:
        return lookup[key]
    m = re.fullmatch(r"(.+?),? \((.+)\)", key) or re.fullmatch(r"(.+?), (.+)", key)
    if m:  # "Irán (República Islámica del)": "República Islámica del Irán", else "Irán"
        inv = _invert(m[1], m[2])
        return lookup.get(_key(inv)) if inv and _key(inv) in lookup else lookup.get(m[1])
    return None


def resolve_country(text: str) -> str:
    """ISO 3166-1 alpha-2 code for a code (alpha-2/alpha-3) or an English/Spanish/French name.

    Case and accent insensitive: 'Perú', 'peru', 'PER' and 'PE' all give 'PE'.
    Raises CountryNotFound (a ValueError) for anything it cannot resolve, or that names
    several countries ('Korea').
    """
    import pycountry

    if not isinstance(text, str) or not text.strip():
        raise CountryNotFound("empty country: give an ISO code (PE) or a name (Peru, Perú)")
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", raw):
        up = raw.upper()
        for code, e in _EXTRA.items():
            if up in (code, e["alpha_3"]):
                return code
        c = pycountry.countries.get(**{"alpha_2" if len(up) == 2 else "alpha_3": up})
        if c is not None:
            return c.alpha_2
    code = lookup_country(raw)
    if code:
        return code
    lookup, ambiguous, _ = _tables()
    key = _key(raw)
    if key in ambiguous:
        options = ", ".join(f"{c} ({country_name(c)})" for c in ambiguous[key])
        hint = f"; {raw!r} names several countries: {options}"
    else:
        near = sorted(k for k in lookup if k[:3] == key[:3])[:5]
        hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise CountryNotFound(
        f"unknown country {text!r}: use an ISO 3166-1 code (e.g. PE) or an English, Spanish or "
        f"French name (e.g. Peru, Perú, Pérou){hint}"
    )


def country_name(code: str, lang: str = "en") -> str:
    """Display name of a country code in English ('en'), Spanish ('es') or French ('fr')."""
    import pycountry

    code = resolve_country(code)
    lang = next((x for x in ("es", "fr") if lang.lower().startswith(x)), "en")
    override = _json("countries.json")["display"][lang].get(code)
    if override or code in _EXTRA:
        return override or _EXTRA[code][lang]
    c = pycountry.countries.get(alpha_2=code)
    tr = _catalogue(lang).gettext
    name = (getattr(c, "common_name", None) or c.name) if lang == "en" else tr(c.name)
    if ", " not in name:
        return name
    base, rest = name.split(", ", 1)
    if lookup_country(base) == code:  # "Bolivia, Plurinational State of" -> "Bolivia"
        return base
    official = getattr(c, "official_name", None)
    return _invert(base, rest) or (tr(official) if official else base)  # "Democratic Republic of the Congo"


def country_region(code: str) -> str:
    """UN M49-style region of a country ('Latin America and the Caribbean', 'Africa'...)."""
    return _REGION_BY_CODE.get(resolve_country(code), "Other")


# --- demonyms -------------------------------------------------------------------------------


#: Regular inflections by ending: (ending, the forms that replace it). English: plural -s;
#: Spanish (accents kept): -o/-a/-os/-as, -és/-esa/-eses/-esas...; French (folded): -en/-enne...
_INFLECT: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("ese", "ese"), ("ss", "ss"), ("sh", "sh"), ("ch", "ch"), ("y", "y"), ("", "|s")),
    "es": (("és", "és|esa|eses|esas"), ("án", "án|ana|anes|anas"), ("ín", "ín|ina|ines|inas"),
           ("ón", "ón|ona|ones|onas"), ("o", "o|a|os|as"), ("l", "l|la|les|las"), ("e", "e|es"),
           ("a", "a|as"), ("", "|es|s")),
    "fr": (("en", "en|enne|ens|ennes"), ("on", "on|onne|ons|onnes"), ("s", "s|se|ses"), ("e", "e|es"),
           ("", "|e|s|es")),
}


def _forms(word: str, lang: str) -> list[str]:
    """A demonym's forms: 'venezolano' -> venezolano, venezolana, venezolanos, venezolanas."""
    if "|" in word:  # irregular: every form given
        return word.split("|")
    probe = word if lang == "es" else fold(word)
    end, forms = next(r for r in _INFLECT[lang] if probe.endswith(r[0]))
    return [word[: len(word) - len(end)] + f for f in forms.split("|")]


def _tkey(form: str) -> str:
    return fold(form.replace("\u2019", "'")).lower()


@lru_cache(maxsize=1)
def _entries() -> dict[str, tuple[tuple[str, str, str, str], ...]]:
    """Text key -> ((code, kind, rule, written), ...); rule: exact/cap/amb/en/en_noun/rom/rom_noun."""
    _, _, names = _tables()
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    amb = {_tkey(a) for a in AMBIGUOUS}
    stop = {_tkey(s) for s in _TEXT_STOP}
    for n, code in names.items():
        for w in {n, n.replace("-", " ")}:
            k = _tkey(w)
            if k in stop:
                continue
            letters = [ch for ch in w if ch.isalpha()]
            rule = "amb" if k in amb else "exact" if all(ch.isupper() for ch in letters) else "cap"
            out.setdefault(k, []).append((code, "name", rule, fold(w)))
    dem = _json("demonyms.json")
    demonyms: dict[str, set[tuple[str, str]]] = {}
    for lang in ("en", "es", "fr"):
        noun_only = {_tkey(f) for w in dem["noun_only"][lang] for f in _forms(w, lang)}
        for code, words in dem[lang].items():
            for f in {f for w in words for f in _forms(w, lang)}:
                k = _tkey(f)
                kind = ("en" if lang == "en" else "rom") + ("_noun" if k in noun_only else "")
                demonyms.setdefault(k, set()).add((code, kind))
    for k, found in demonyms.items():
        codes = {code for code, _ in found} | {e[0] for e in out.get(k, ())}
        if len(codes) > 1:
            continue  # "Congolese" (CG, CD), "Korean" (KR, KP); a name wins over a demonym
        out.setdefault(k, []).extend((code, "demonym", kind, k) for code, kind in sorted(found))
    return {k: tuple(v) for k, v in out.items()}


def trie_regex(words: list[str]) -> str:
    """One alternation, prefix-shared so the regex tries few branches per position."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


@lru_cache(maxsize=1)
def _matcher() -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.-])(?:{trie_regex(list(_entries()))})(?![\w-]|\.\w)", re.IGNORECASE)


_PREV_WORD = re.compile(r"([^\W\d_]+)\s+$")
_NEXT_TOKEN = re.compile(r"\s*(,|[^\W\d_]+(?:-[^\W\d_]+)*)")
#: Endings of the adjectives that may stand between a language-name demonym and its people
#: noun ("Thai domestic workers", "Vietnamese unaccompanied children", "Chinese migrant workers").
_ADJECTIVE_END = ("ed", "al", "ic", "ous", "ive", "ary", "ant", "ent", "ful", "less", "ing", "ar", "able", "ible")
_NOT_ADJECTIVE = frozenset("speaking teaching learning training during according including bring thing".split())


def _people_noun_follows(folded: str, end: int) -> bool:
    """A people noun follows a language-name demonym, past one adjective and a coordination
    of demonyms ("Thai and Vietnamese workers"), but not past "speaking" or "language"."""
    pos, adjective, joined = end, False, False
    for _ in range(6):
        tok = _NEXT_TOKEN.match(folded, pos)
        if not tok:
            return False
        pos, w = tok.end(), tok[1]
        low = w.lower()
        if low in (",", "and", "or"):
            if joined:
                return False
            joined = True  # a coordination: the next word must be capitalised ("Thai and Vietnamese")
            continue
        caps_text = folded[end - 1].isupper()  # "THAI AND VIETNAMESE WORKERS": case tells nothing
        if joined and not w[0].isupper():
            return False
        if low in _PEOPLE_EN:
            return True
        if joined or w[0].isupper() and not caps_text:
            joined = False
            continue  # the second demonym of a coordination, "Chinese Government officials"
        if adjective or not low.endswith(_ADJECTIVE_END) or low in _NOT_ADJECTIVE:
            return False
        adjective = True
    return False


_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\u2022*-])\s*$")


def _accept(entry: tuple[str, str, str, str], s: str, folded: str, start: int, end: int) -> bool:
    """Does the match s = folded[start:end] count for this entry (case and context rules)?"""
    _code, _kind, rule, written = entry
    if rule == "exact":
        return s == written
    if rule.startswith("rom"):
        if not (s.islower() or s.isupper()):
            before = folded[max(0, start - 12) : start]
            prev = _PREV_WORD.search(before)
            if not (before.endswith(("l'", "d'")) or (prev and prev[1].lower() in _DETERMINERS)
                    or _SENTENCE_START.search(before)):
                return False
        if rule == "rom_noun":
            prev = _PREV_WORD.search(folded, max(0, start - 30), start)
            return bool(prev) and prev[1].lower() in _PEOPLE_ROMANCE
        return True
    if not s[0].isupper():
        return False
    if rule == "en_noun":
        prev = _PREV_WORD.search(folded, max(0, start - 30), start)
        if prev and prev[1].lower() in _NOT_BEFORE_NOUN:
            return False
        return _people_noun_follows(folded, end)
    if rule == "amb":
        before = folded[max(0, start - 30) : start]
        after = folded[end : end + 20]
        if not _PLACE_BEFORE.search(before) or _GULF_BEFORE.search(before):
            return False
        return not (re.match(r"\s+[A-Z][a-z]", after) or re.match(r"\s*'s\b", after))
    return True


def country_mentions(text: str, demonyms: bool = True) -> list[Mention]:
    """Every country named in running text, in text order: names and (optionally) demonyms."""
    folded = fold(text).replace("\u2019", "'")
    entries = _entries()
    out: list[Mention] = []
    search, pos = _matcher().search, 0
    while m := search(folded, pos):
        s = " ".join(m.group(0).split())
        for entry in entries.get(s.lower(), ()):
            if (demonyms or entry[1] == "name") and _accept(entry, s, folded, m.start(), m.end()):
                out.append(Mention(entry[0], m.start(), m.end(), entry[1]))
                pos = m.end()
                break
        else:  # rejected ("república dominicana"): words inside it may still count
            pos = m.start() + 1
    return out


def find_countries(text: str, demonyms: bool = True) -> list[str]:
    """Country codes named in running text, most mentioned first (ties: first seen).

    Counts names and, unless demonyms=False, nationality words ("Venezuelan", "haitianos").
    """
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for mention in country_mentions(text, demonyms=demonyms):
        counts[mention.code] += 1
        first.setdefault(mention.code, mention.start)
    return sorted(counts, key=lambda c: (-counts[c], first[c]))
