"""Country names and codes in English and Spanish: resolve, name, region, and find in text.

Built from pycountry (English names and its Spanish gettext catalogue) plus a small table
of the variants that practice texts use ("Peru"/"Perú", "USA", "Bolivia", "Tanzania").
Matching in running text is word-bounded, accent-insensitive and case-aware, and a few
names that are also common words or first names ("Chad", "Jordan", "Turkey") count only
where they read as a place.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import Counter
from functools import lru_cache

__all__ = [
    "CountryNotFound",
    "resolve_country",
    "lookup_country",
    "country_name",
    "country_region",
    "find_countries",
    "fold",
]


class CountryNotFound(ValueError):
    """A country name or code that could not be resolved."""


#: Extra names (English and Spanish variants) -> ISO 3166-1 alpha-2.
ALIASES: dict[str, str] = {
    "USA": "US", "U.S.A": "US", "U.S.A.": "US", "U.S.": "US", "United States of America": "US",
    "EE.UU.": "US", "EE. UU.": "US", "EEUU": "US", "Estados Unidos de America": "US",
    "UK": "GB", "U.K.": "GB", "Great Britain": "GB", "Britain": "GB", "Gran Bretana": "GB",
    "England": "GB", "Inglaterra": "GB",
    "Bolivia": "BO", "Venezuela": "VE", "Tanzania": "TZ", "Iran": "IR", "Syria": "SY",
    "Siria": "SY", "Russia": "RU", "Rusia": "RU", "Vietnam": "VN", "Viet Nam": "VN",
    "Laos": "LA", "South Korea": "KR", "Corea del Sur": "KR", "North Korea": "KP",
    "Corea del Norte": "KP", "Moldova": "MD", "Moldavia": "MD", "Czech Republic": "CZ",
    "Republica Checa": "CZ", "Ivory Coast": "CI", "Cote d'Ivoire": "CI", "Costa de Marfil": "CI",
    "Cape Verde": "CV", "Swaziland": "SZ", "Eswatini": "SZ", "Macedonia": "MK", "Turkey": "TR",
    "Turkiye": "TR", "Turquia": "TR", "Palestine": "PS", "Palestina": "PS",
    "Democratic Republic of the Congo": "CD", "DR Congo": "CD", "DRC": "CD",
    "Republica Democratica del Congo": "CD", "RD Congo": "CD", "Republic of the Congo": "CG",
    "Congo-Brazzaville": "CG", "Micronesia": "FM", "Holland": "NL", "The Netherlands": "NL",
    "Paises Bajos": "NL", "Holanda": "NL", "The Gambia": "GM", "Gambia": "GM",
    "The Bahamas": "BS", "Brasil": "BR", "Mexico": "MX", "Peru": "PE", "Panama": "PA",
    "Haiti": "HT", "Belice": "BZ", "Republica Dominicana": "DO", "Trinidad y Tobago": "TT",
    "Guayana": "GY", "Surinam": "SR", "Timor-Leste": "TL", "East Timor": "TL", "Burma": "MM",
    "Myanmar": "MM", "Kyrgyzstan": "KG", "Kirguistan": "KG", "Sudan del Sur": "SS",
    "South Sudan": "SS", "Libia": "LY", "Libya": "LY", "Marruecos": "MA", "Tunez": "TN",
    "Egipto": "EG", "Etiopia": "ET", "Nigeria": "NG", "Niger": "NE", "Camerun": "CM",
    "Kenia": "KE", "Sudafrica": "ZA", "Filipinas": "PH", "Camboya": "KH", "Tailandia": "TH",
    "Bangladesh": "BD", "Pakistan": "PK", "Afganistan": "AF", "Irak": "IQ", "Jordania": "JO",
    "Libano": "LB", "Yemen": "YE", "Alemania": "DE", "Francia": "FR", "Italia": "IT",
    "Espana": "ES", "Grecia": "GR", "Suiza": "CH", "Suecia": "SE", "Belgica": "BE",
    "Benin": "BJ", "Zambia": "ZM", "Malawi": "MW", "Zimbabwe": "ZW", "Ucrania": "UA",
    "Ukraine": "UA", "Polonia": "PL", "Hungria": "HU", "Rumania": "RO", "Canada": "CA",
    "Japon": "JP", "China": "CN", "India": "IN", "Indonesia": "ID", "Malasia": "MY",
    "Nueva Zelanda": "NZ", "Australia": "AU", "Guinea Ecuatorial": "GQ",
    "Papua Nueva Guinea": "PG", "Sierra Leona": "SL", "Mauritania": "MR",
}

#: Names that are also ordinary words or given names; they count in running text only in a
#: place-like context (after "in", "from", "en", a comma...) and not before a capitalised word.
AMBIGUOUS: frozenset[str] = frozenset(
    {"Chad", "Georgia", "Jordan", "Turkey", "Guinea", "Niger", "Jersey", "Dominica", "Israel"}
)
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:in|from|to|of|and|across|between|with|through|via|into|within|at|near|en|de|del|"
    r"desde|hacia|y|e|entre|con|para|"
    r"por|a)|[,;(])\s*$",
    re.IGNORECASE,
)

#: UN M49-style regions for the gap map (Americas split as the UN does for development work).
_REGION_BY_CODE: dict[str, str] = {}
_REGIONS: dict[str, str] = {
    "Latin America and the Caribbean": (
        "AG AI AR AW BB BL BO BQ BR BS BZ CL CO CR CU CW DM DO EC FK GD GF GP GT GY HN HT JM KN "
        "KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI"
    ),
    "Northern America": "BM CA GL PM US",
    "Africa": (
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA "
        "MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW IO"
    ),
    "Europe": (
        "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI "
        "LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    "Asia": (
        "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM "
        "MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    "Oceania": "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF",
}
for _region, _codes in _REGIONS.items():
    for _c in _codes.split():
        _REGION_BY_CODE[_c] = _region


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
    """Lookup key: accent-folded, lower-case, single-spaced, without a leading 'the'."""
    k = re.sub(r"\s+", " ", fold(text.replace("\u2019", "'")).strip().lower())
    k = k.strip(" .")
    return re.sub(r"^the ", "", k)


@lru_cache(maxsize=1)
def _spanish() -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    except OSError:  # pragma: no cover - pycountry without locales
        return gettext.NullTranslations()


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(lookup key -> code, display name as written -> code) for every known name."""
    import pycountry

    es = _spanish()
    names: dict[str, str] = {}  # written name -> code, for matching in text
    bases: Counter[str] = Counter()
    base_code: dict[str, str] = {}
    for c in pycountry.countries:
        code = c.alpha_2
        variants = [c.name, getattr(c, "common_name", None), getattr(c, "official_name", None)]
        variants.append(es.gettext(c.name))
        for v in filter(None, variants):
            if ", " in v:  # "Tanzania, United Republic of": also "Tanzania" if unambiguous
                base = v.split(", ")[0]
                bases[base] += 1
                base_code[base] = code
            else:
                names.setdefault(v, code)
    for base, n in bases.items():
        if n == 1 or len({base_code[base]}) == 1:
            names.setdefault(base, base_code[base])
    for alias, code in ALIASES.items():
        names[alias] = code
    names.pop("Kosovo", None)
    lookup = {_key(n): code for n, code in names.items()}
    for alias, code in ALIASES.items():
        lookup[_key(alias)] = code
    return lookup, names


def lookup_country(name: str) -> str | None:
    """ISO alpha-2 code of an English or Spanish country name, or None (no codes, no errors)."""
    lookup, _ = _tables()
    return lookup.get(_key(name))


def resolve_country(text: str) -> str:
    """ISO 3166-1 alpha-2 code for a code (alpha-2/alpha-3) or an English/Spanish name.

    Case and accent insensitive: 'Perú', 'peru', 'PER' and 'PE' all give 'PE'.
    Raises CountryNotFound (a ValueError) for anything it cannot resolve.
    """
    import pycountry

    if not isinstance(text, str) or not text.strip():
        raise CountryNotFound("empty country: give an ISO code (PE) or a name (Peru, Perú)")
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}", raw):
        c = pycountry.countries.get(alpha_2=raw.upper())
        if c is not None:
            return c.alpha_2
    if re.fullmatch(r"[A-Za-z]{3}", raw):
        c = pycountry.countries.get(alpha_3=raw.upper())
        if c is not None:
            return c.alpha_2
    code = lookup_country(raw)
    if code:
        return code
    lookup, _ = _tables()
    key = _key(raw)
    near = sorted(k for k in lookup if k[:3] == key[:3])[:5]
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise CountryNotFound(
        f"unknown country {text!r}: use an ISO 3166-1 code (e.g. PE) or an English or Spanish "
        f"name (e.g. Peru, Perú){hint}"
    )


def country_name(code: str, lang: str = "en") -> str:
    """Display name of a country code in English ('en') or Spanish ('es')."""
    import pycountry

    c = pycountry.countries.get(alpha_2=resolve_country(code))
    name = getattr(c, "common_name", None) or c.name
    if lang.lower().startswith("es"):
        translated = _spanish().gettext(c.name)
        if ", " in translated:  # "Bolivia, Estado plurinacional de" -> "Bolivia"
            translated = translated.split(", ")[0]
        return translated
    if ", " in name:
        name = name.split(", ")[0]
    return name


def country_region(code: str) -> str:
    """UN M49-style region of a country ('Latin America and the Caribbean', 'Africa'...)."""
    return _REGION_BY_CODE.get(resolve_country(code), "Other")


@lru_cache(maxsize=1)
def _matcher() -> re.Pattern[str]:
    _, names = _tables()
    written: set[str] = set()
    for n in names:
        f = fold(n)
        written.add(f)
        if len(f) > 3:
            written.add(f.upper())
    alts = sorted(written, key=len, reverse=True)  # longest first: "Guinea-Bissau" before "Guinea"
    body = "|".join(re.escape(a) for a in alts)
    return re.compile(rf"(?<![\w.-])(?:{body})(?![\w-]|\.\w)")


@lru_cache(maxsize=1)
def _folded_names() -> dict[str, str]:
    _, names = _tables()
    out: dict[str, str] = {}
    for n, code in names.items():
        out[fold(n)] = code
        out[fold(n).upper()] = code
    return out


def find_countries(text: str) -> list[str]:
    """Country codes named in running text, most mentioned first (ties: first seen)."""
    folded = fold(text)
    table = _folded_names()
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in _matcher().finditer(folded):
        name = m.group(0)
        code = table.get(name)
        if code is None:
            continue
        if name in AMBIGUOUS or name.title() in AMBIGUOUS:
            before = folded[max(0, m.start() - 30) : m.start()]
            after = folded[m.end() : m.end() + 20]
            if not _PLACE_BEFORE.search(before):
                continue
            if re.match(r"\s+[A-Z][a-z]", after) or re.match(r"\s*'s\b", after):
                continue
        counts[code] += 1
        first.setdefault(code, m.start())
    return sorted(counts, key=lambda c: (-counts[c], first[c]))
