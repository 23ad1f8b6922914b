"""Where a practice takes place: primary countries among those a document names.

A report names many countries: the ones its programme works in, and others in passing (an
annex's list of comparators, a donor, a migration route). A country is *primary* when it is
explicit (a metadata field), named in the title, or dominates the text: its share of the
document's weighted country mentions is at least PRIMARY_SHARE, counting a mention in the
summary or the opening pages more than one in the body, and one in an annex or reference
list much less. A country named as a donor ("funded by the United States") is not counted as
a place, nor is an office's address. Nationality words ("Venezuelan migrants") count at half
weight: they name where people come from more often than where the practice is.

A title places the practice in the countries it names (not donors, office seats, or where
people come from when it also names a place), in the members of a settled sub-region it names
("Horn of Africa") and in the country of a province it names ("Agadez"). In a collection (a
digest, a newsletter, a short document whose sections are about different countries) every
country an item names is a place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from corpus.countries import country_mentions, fold, trie_regex
from corpus.sections import is_back_matter

__all__ = [
    "PlaceEvidence",
    "primary_countries",
    "region_countries",
    "subdivision_mentions",
    "title_countries",
    "PRIMARY_SHARE",
    "MAX_PRIMARY",
]

#: Share of a document's weighted country mentions that makes a country primary.
PRIMARY_SHARE = 0.12
#: Fewest weighted mentions of a primary country found in the text (not in fields or title).
MIN_WEIGHT = 3.0
#: Fewest mentions of a primary country found in the text: one mention is not dominance.
MIN_MENTIONS = 2
#: Most countries taken as primary from the text (fields and title may add more).
MAX_PRIMARY = 6

#: Weight of a mention by where it stands.
WEIGHT_SUMMARY = 3.0  # a summary section, or the opening of the text
WEIGHT_BODY = 1.0
WEIGHT_BACK = 0.2  # annexes, references, lists of acronyms
WEIGHT_DEMONYM = 0.5  # multiplies the above for "Venezuelan", "haitianos"
OPENING_CHARS = 3000

_DONOR = re.compile(
    r"(?:funded|financed|sponsored|supported|donated|granted|contributed|provided|awarded)\s+"
    r"(?:\w+\s+){0,3}by|\bbudget\b|\bgrant\b|\bpresupuesto\b|\bsubvention\b|"
    r"\bdonors?\b|\bfunding from\b|\bcontribution (?:of|from)\b|\baid (?:of|from)\b|\bfinanciad[oa]s?\s+por|"
    r"\bcon (?:el )?(?:apoyo|financiamiento|financiacion|aporte) (?:\w+\s+){0,2}de|\bdonantes?\b|"
    r"\bfinance[es]{0,2}\s+par|\bbailleurs?\b|\bavec (?:le |l')?(?:soutien|appui|financement) "
    r"(?:\w+\s+){0,2}d[eu]|\bdonateurs?\b",
    re.I,
)


#: Sub-regions with a settled membership, as report titles name them (en/es/fr), and their
#: countries. A title that names one ("... in the Horn of Africa") places the practice there.
#: Loose regions (the Sahel, Central America, the Great Lakes) are left out on purpose.
REGIONS: dict[str, tuple[str, ...]] = {
    r"horn of africa|corne de l'afrique|cuerno de africa": ("DJ", "ER", "ET", "SO"),
    r"northern triangle|triangulo norte|triangle du nord": ("GT", "HN", "SV"),
    r"western balkans|balcanes occidentales|balkans occidentaux": ("AL", "BA", "ME", "MK", "RS", "XK"),
    r"lake chad|lac tchad|lago chad": ("CM", "NE", "NG", "TD"),
    r"maghreb|magreb": ("DZ", "LY", "MA", "MR", "TN"),
    r"andean (?:region|countries|community)|region andina|paises andinos|comunidad andina|pays andins":
        ("BO", "CO", "EC", "PE"),
    r"southern cone|cono sur|cone sud": ("AR", "BR", "CL", "PY", "UY"),
    r"gulf cooperation council|\bgcc\b|consejo de cooperacion del golfo|conseil de cooperation du golfe":
        ("AE", "BH", "KW", "OM", "QA", "SA"),
    r"baltic states|estados balticos|etats baltes|pays baltes": ("EE", "LT", "LV"),
}
_REGION_RE = [(re.compile(rf"\b(?:{k})\b", re.I), v) for k, v in REGIONS.items()]


def region_countries(text: str) -> list[str]:
    """Countries of the settled sub-regions a text (a title) names."""
    t = fold(text).replace("\u2019", "'")
    out: list[str] = []
    for pattern, codes in _REGION_RE:
        if pattern.search(t):
            out.extend(c for c in codes if c not in out)
    return out


#: Words that make a subdivision name too generic to place anything ("South", "Eastern
#: Province", "Delta", "Sahel" as ISO 3166-2 spells some of them).
_GENERIC_PLACE = frozenset(
    """north south east west northern southern eastern western central centre center middle upper
    lower province region district capital coast coastal littoral delta sahel lakes lake islands
    island highlands mountain mountains valley plateau river nord sud est ouest centre norte sur
    oriente occidente oriental occidental leste oeste estado state federal territory city
    metropolitan""".split()
)


@lru_cache(maxsize=1)
def _subdivisions() -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """Names of first-level subdivisions (ISO 3166-2, from pycountry) that belong to one
    country only, are not generic words, demonyms or country names: name -> country code."""
    import pycountry

    from corpus.countries import lookup_country

    owners: dict[str, set[str]] = defaultdict(set)
    for sub in pycountry.subdivisions:
        owners[fold(sub.name)].add(sub.country_code)
    names: dict[str, str] = {}
    for name, codes in owners.items():
        words = name.lower().replace("-", " ").split()
        if (len(codes) != 1 or len(name) < 5 or not re.fullmatch(r"[A-Z][\w' -]+", name)
                or all(w in _GENERIC_PLACE for w in words) or lookup_country(name)
                or any(m.kind == "demonym" for m in country_mentions(name))):
            continue
        names[name] = next(iter(codes))
    if not names:
        return None, {}
    return re.compile(rf"(?<![\w-])(?:{trie_regex(list(names))})(?![\w-])"), names


def subdivision_mentions(text: str) -> list[tuple[str, int]]:
    """(country code, offset) of the subdivisions a text names ("Agadez" -> NE, "Puebla" ->
    MX); an all-capitals text is read in title case."""
    pattern, names = _subdivisions()
    if pattern is None:
        return []
    t = fold(text)
    if t.isupper():
        t = t.title()
    out = []
    for m in pattern.finditer(t):
        code = names.get(" ".join(m.group(0).split()))
        if code:
            out.append((code, m.start()))
    return out


@dataclass(frozen=True)
class PlaceEvidence:
    """Weighted mentions per country, and the countries seen only as donors."""

    weight: dict[str, float]
    donors: frozenset[str]
    count: dict[str, int] | None = None  # mentions counted, whatever their weight
    named: frozenset[str] = frozenset()  # countries named by name or province, not only by nationality


_PLACE_WORD = re.compile(r"\b(?:in|en|au|aux|dans|within|across|throughout|de la|"
                         r"hacia|to|towards|vers|para|pour|for|among|entre|between)\b", re.I)


_ADDRESS = re.compile(r"p\.?\s?o\.? box|postal address|\bbox \d|\broute d|\bstreet\b|\bavenue\b|"
                      r"\btel\b|\bphone\b|e-?mail|courriel|www\.|\bcalle\b|\bapartado\b", re.I)


#: A line that credits who wrote or commissioned the report ("Evaluators: PPMI Group, Vilnius,
#: Lithuania"): their seat is not a place of the practice.
_CREDIT_LINE = re.compile(
    r"^\W*(?:evaluators?|evaluation team|evaluated by|prepared by|authors?|written by|consultants?|"
    r"commissioned by|evaluateurs?|evaluatrices?|equipe d'evaluation|realise par|redige par|"
    r"evaluador(?:es|as?)?|equipo evaluador|elaborado por|preparado por|encargado por)\b",
    re.I,
)


def _in_address(folded: str, start: int) -> bool:
    """The mention sits on a postal address or contact line, or on a line crediting the
    evaluators (an office's or a firm's seat, not a place of the practice)."""
    a = folded.rfind("\n", 0, start) + 1
    b = folded.find("\n", start)
    line = folded[a : b if b >= 0 else len(folded)]
    return _ADDRESS.search(line) is not None or _CREDIT_LINE.match(line) is not None


def _in_code(folded: str, start: int, joiners: str = "/_-") -> bool:
    """The name is glued to what precedes it, as in a project code ("PER/17/51/USA")."""
    return start > 0 and folded[start - 1] in joiners


def _named_as_donor(folded: str, start: int) -> bool:
    """The mention stands in a donor phrase: a donor cue shortly before it in the same
    sentence, with no place word ("in", "from", "en"...) between the cue and the name."""
    head = folded[max(0, start - 90) : start]
    cut = max(head.rfind(". "), head.rfind("\n"), head.rfind("; "))
    head = head[cut + 1 :] if cut >= 0 else head
    cues = list(_DONOR.finditer(head))
    return bool(cues) and not _PLACE_WORD.search(head[cues[-1].end() :])


#: Words before a country that make it where people come from, not where the practice is:
#: "migrants from Venezuela", "retornados de Chile", "migrants retournés de l'Algérie".
_ORIGIN_BEFORE = re.compile(
    r"(?:\b(?:migrants?|refugees?|returnees?|nationals|deportees|migrantes|refugiad[oa]s|"
    r"retornad[oa]s|deportad[oa]s|refugies|rapatries|retournes|ressortissants|personas|people|"
    r"children|ninos|ninas|enfants|women|mujeres|femmes)\b[^.;:]{0,30}?|"
    r"\b(?:returned|returning|return|deported|expelled|retour|regreso|retorno|expulsad[oa]s|"
    r"expulses|retournes)\s+(?:\w+\s+){0,2})"
    r"\b(?:from|de|desde|du|des|venant de|originaires? de|provenientes? de)\s+(?:la |l'|el |the |los |les )?$",
    re.I,
)
_OFFICE_BEFORE = re.compile(
    r"\b(?:office|bureau|oficina|mission|embassy|embajada|ambassade)\s+(?:\w+\s+){0,3}$", re.I
)


def title_countries(title: str) -> tuple[list[str], list[str]]:
    """(countries, sub-region/province countries) a title places the practice in.

    Left out: countries named as donors ("funded by Japan"), an office's seat ("Regional
    Office Dakar"), and where people come from ("migrants from Venezuela", "Venezuelan
    migrants") whenever the title also names a place; if it names no other place, the
    people's country is kept (a reintegration project "for Chadian returnees").
    """
    folded = fold(title).replace("\u2019", "'")
    places: list[str] = []
    origins: list[str] = []
    for m in country_mentions(title):
        before = folded[max(0, m.start - 60) : m.start]
        if _named_as_donor(folded, m.start) or _in_code(folded, m.start, "/_"):  # "EU-Turkey" stays
            continue
        if _OFFICE_BEFORE.search(before):
            continue
        if m.kind == "demonym" or _ORIGIN_BEFORE.search(before):
            origins.append(m.code)
        else:
            places.append(m.code)
    wider = region_countries(title) + [
        c for c, start in subdivision_mentions(title) if not _OFFICE_BEFORE.search(folded[max(0, start - 60) : start])
    ]
    named = list(dict.fromkeys(places))
    if not named and not wider:
        named = list(dict.fromkeys(origins))
    return named, [c for c in dict.fromkeys(wider) if c not in named]


def weigh_mentions(segments: Iterable[tuple[str, float]]) -> PlaceEvidence:
    """Weighted country mentions over (text, weight) segments; donor mentions left out."""
    weight: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    named: set[str] = set()
    donor_seen: set[str] = set()
    for text, w in segments:
        if not text or w <= 0:
            continue
        folded = fold(text)
        for m in country_mentions(text):
            if _in_address(folded, m.start) or _in_code(folded, m.start):
                continue
            if _named_as_donor(folded, m.start):
                donor_seen.add(m.code)
                continue
            weight[m.code] += w * (WEIGHT_DEMONYM if m.kind == "demonym" else 1.0)
            count[m.code] += 1
            if m.kind != "demonym":
                named.add(m.code)
        for code, start in subdivision_mentions(text):
            if not _in_address(folded, start):
                weight[code] += w
                count[code] += 1
                named.add(code)
    donors = frozenset(c for c in donor_seen if c not in weight)
    return PlaceEvidence(dict(weight), donors, dict(count), frozenset(named))


#: A short document whose sections are about different countries is a collection of practices
#: (a digest, a newsletter): each item's country is a place of the document.
COLLECTION_MAX_PASSAGES = 30
COLLECTION_MIN_ITEMS = 3


def collection_places(sections: list[tuple[str, list[str]]], doc_type: str | None, n_passages: int) -> list[str]:
    """Countries named (not only by nationality) in the items of a collection, most weighted
    first; [] for a document that is not a collection. `sections` are (label, texts)."""
    items = [weigh_mentions([(t, 1.0) for t in texts]) for label, texts in sections
             if not is_back_matter(label)]
    items = [ev for ev in items if ev.weight]
    tops = {max(ev.weight, key=lambda c: (ev.weight[c], c)) for ev in items}
    is_collection = (doc_type or "").lower() in ("digest", "newsletter") or (
        n_passages <= COLLECTION_MAX_PASSAGES and len(tops) >= COLLECTION_MIN_ITEMS
    )
    if not is_collection:
        return []
    total: dict[str, float] = defaultdict(float)
    for ev in items:
        for code, w in ev.weight.items():
            if code in ev.named:
                total[code] += w
    return sorted(total, key=lambda c: (-total[c], c))


def section_weight(label: str, kind: str) -> float:
    """Weight of a mention in a section with this label and kind."""
    if is_back_matter(label):
        return WEIGHT_BACK
    return WEIGHT_SUMMARY if kind == "summary" else WEIGHT_BODY


def primary_countries(
    evidence: PlaceEvidence,
    explicit: Iterable[str] = (),
    in_title: Iterable[str] = (),
    title_regions: Iterable[str] = (),
    collection: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """(primary codes, why): explicit and title countries first, then the countries of a
    sub-region the title names, then the dominant ones."""
    explicit, in_title, title_regions = list(explicit), list(in_title), list(title_regions)
    out = list(dict.fromkeys([*explicit, *in_title, *title_regions]))
    why = []
    if explicit:
        why.append("explicit")
    if in_title:
        why.append("title")
    if title_regions:
        why.append("title: sub-region or province")
    total = sum(evidence.weight.values())
    ranked = sorted(evidence.weight.items(), key=lambda kv: (-kv[1], kv[0]))
    taken = 0
    for code, w in ranked:
        if taken >= MAX_PRIMARY or total <= 0 or w / total < PRIMARY_SHARE or w < MIN_WEIGHT:
            break
        if (evidence.count or {}).get(code, 2) < MIN_MENTIONS:
            continue
        taken += 1
        if code not in out:
            out.append(code)
    if taken:
        why.append(f"text: share of weighted mentions >= {PRIMARY_SHARE:.2f}")
    items = [c for c in collection if c not in out]
    if items:
        out.extend(items)
        why.append("text: places of the items of a collection (digest, newsletter)")
    return out, why
