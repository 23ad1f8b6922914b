"""Section labels of practice write-ups (English and Spanish) and their normalised kinds.

A label such as "Key Lessons", "Lecciones aprendidas" or "RECOMMENDATIONS (if the practice
is to be replicated)" maps to one of corpus.types.SECTION_KINDS. Labels of metadata fields
on practice pages ("Dates", "Country:", "Main Implementer") are told apart: their content is
metadata, not passage text.
"""

from __future__ import annotations

import re

from corpus.countries import fold

__all__ = ["normalize_label", "section_kind", "is_meta_label", "is_boilerplate"]

_KINDS: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary", "executive summary", "resumen", "resumen ejecutivo", "abstract", "overview",
        "sinopsis", "description", "descripcion", "practice description",
        "descripcion de la practica", "summary of the practice", "about the practice",
    ),
    "context": (
        "background", "context", "contexto", "antecedentes", "introduction", "introduccion",
        "problem statement", "rationale", "justificacion", "situation analysis",
        "analisis de situacion", "the problem", "el problema", "problematica",
    ),
    "activities": (
        "activities", "actividades", "methodology", "metodologia", "implementation",
        "implementacion", "approach", "enfoque", "intervention", "intervencion", "key activities",
        "actividades principales", "actions", "acciones", "strategy", "estrategia",
        "what was done", "main activities", "description of activities", "methods", "metodos",
    ),
    "results": (
        "results", "resultados", "impact", "impacto", "benefit and impact", "benefits and impact",
        "beneficio e impacto", "beneficios e impacto", "outcomes", "achievements", "logros",
        "findings", "key findings", "main findings", "hallazgos", "hallazgos principales",
        "conclusions", "conclusiones", "key findings and conclusions", "results and impact",
        "resultados e impacto", "efectos", "effects", "outputs", "productos",
        "main findings and conclusions", "principales hallazgos",
    ),
    "lessons": (
        "key lessons", "lessons learned", "lessons learnt", "lessons", "lecciones aprendidas",
        "lecciones", "good practices", "good practice", "best practices", "buenas practicas",
        "mejores practicas", "challenges", "desafios", "retos", "key lessons learned",
        "challenges and lessons learned", "desafios y lecciones aprendidas", "emerging good practices",
    ),
    "recommendations": (
        "recommendations", "recomendaciones", "way forward", "next steps", "proximos pasos",
        "key recommendations", "recomendaciones principales", "replicability",
    ),
    "innovation": (
        "innovation", "innovacion", "innovative aspects", "aspectos innovadores",
        "innovative elements", "what makes it innovative", "elementos innovadores",
    ),
}
_LABEL_KIND: dict[str, str] = {label: kind for kind, labels in _KINDS.items() for label in labels}

#: Labels of metadata fields on practice pages: what follows them is metadata.
META_LABELS: frozenset[str] = frozenset(
    """gcm objectives|primary gcm objectives|secondary gcm objectives|gcm guiding principles|
    guiding principles|sustainable development goals (sdgs)|sustainable development goals|sdgs|
    ods|objetivos de desarrollo sostenible|objetivos del pmm|objetivos del pacto mundial|
    dates|date|fechas|fecha|geographic scope|alcance geografico|regions|region|regiones|
    sub regions|subregions|sub-regions|subregiones|country|countries|pais|paises|pais(es)|local|
    type of practice|tipo de practica|organizations|organisations|organizaciones|collaborators|
    colaboradores|main implementing organization(s)|main implementing organizations|
    main implementing organization|main implementer|main implementers|implementing partners|
    implementing organization|implementing organizations|detailed information|
    partner/donor organizations|partners|partner organizations|donors|donor|socios|donantes|
    donante|socios implementadores|organizacion implementadora|media|additional images|
    date submitted|fecha de envio|contact|contacto|tags|keywords|palabras clave|
    stakeholders|thematic area|thematic areas|area tematica|related content|
    contenido relacionado""".replace("\n", "").split("|")
)
META_LABELS = frozenset(x.strip() for x in META_LABELS)

_NUMBERING = re.compile(r"^(?:[ivxlc]+\.|\d+(?:\.\d+)*\.?|[a-z]{1,3}\.?\s?\d+(?:\.\d+)*\.?)\s+", re.I)
_PARENS = re.compile(r"\s*\([^)]*\)\s*")


def normalize_label(text: str) -> str:
    """Lower-case, accent-free label without numbering, trailing ':' or '*' and parentheses."""
    t = fold(text).strip().lower()
    t = re.sub(r"[*:\s]+$", "", t)
    t = re.sub(r"^[#*\s]+", "", t)
    return re.sub(r"\s+", " ", t)


def _strip_extras(label: str) -> str:
    t = _NUMBERING.sub("", label)
    return _PARENS.sub(" ", t).strip(" -–:.")


def section_kind(label: str) -> str | None:
    """The kind of a known section label ('Lecciones aprendidas' -> 'lessons'), else None.

    Combined labels count by their first part: 'Lessons learned, best practices and
    recommendations' -> 'lessons'; 'BACKGROUND AND CONTEXT' -> 'context'.
    """
    t = _strip_extras(normalize_label(label))
    if not t or len(t) > 80:
        return None
    parts = [_bare(p.strip()) for p in re.split(r",|\band\b|\by\b|&|/", t) if p.strip()]
    if _bare(t) in _LABEL_KIND:
        return _LABEL_KIND[_bare(t)]
    if parts and all(p in _LABEL_KIND for p in parts):
        return _LABEL_KIND[parts[0]]
    return None


_MODIFIERS = re.compile(
    r"^(?:(?:key|main|major|other|some|general|final|overall|principales|principal|otros|otras|"
    r"algunos|algunas|generales|finales)\s+)+|"
    r"(?:\s+(?:obtenidos|obtenidas|alcanzados|alcanzadas|achieved|identified|identificados|"
    r"identificadas|clave|principales|finales|generales|encountered|enfrentados))+$"
)


def _bare(label: str) -> str:
    """A label without modifiers: 'main results' -> 'results', 'resultados obtenidos' ->
    'resultados' (unless the label itself is known, like 'key lessons')."""
    if label in _LABEL_KIND:
        return label
    return _MODIFIERS.sub("", label).strip()


def is_meta_label(label: str) -> bool:
    """True for labels of metadata fields ('Dates', 'País(es):', 'Main Implementer')."""
    t = normalize_label(label)
    return t in META_LABELS or _PARENS.sub(" ", t).strip() in META_LABELS


_BOILERPLATE = re.compile(
    r"""^(?:skip\ to\ (?:main\ )?content|saltar\ al\ contenido(?:\ principal)?|
    repository\ of\ practices|repositorio\ de\ practicas|latest\ content|additional\ images|
    \*?\s*all\ practices\ are\ to\ uphold|disclaimer|descargo\ de\ responsabilidad|
    aviso\ legal|\*?\s*references\ to\ kosovo|-*>?\s*find\ out\ more|read\ more|leer\ mas|
    back\ to\ top|volver\ arriba|share\ this|compartir|print\ this|imprimir|
    haga\ clic\ aqui|click\ here\ to\ enter|use\ themes\ as\ provided|[ij]-eval\ discovery$|
    evaluation\ office$|page\ \d+(?:\ of\ \d+)?$|pagina\ \d+(?:\ de\ \d+)?$|cookie|accept\ cookies|menu$|search$|buscar$|
    home$|inicio$|main\ navigation|navegacion\ principal|breadcrumb)""",
    re.IGNORECASE | re.VERBOSE,
)


def is_boilerplate(paragraph: str) -> bool:
    """Navigation, page furniture, notes and disclaimers that are not practice content."""
    t = fold(paragraph).strip()
    if not t:
        return True
    if _BOILERPLATE.match(t):
        return True
    if not re.search(r"\w{2}|\d", t):  # stray punctuation or a lone letter
        return True
    return False


#: Sentences to drop wherever they occur: disclaimers and access notes.
DISCLAIMER_SENTENCE = re.compile(
    r"(?:do(?:es)?\s+not\s+necessarily\s+(?:reflect|represent)|"
    r"no\s+(?:necesariamente\s+)?refleja[n]?\s+(?:necesariamente\s+)?(?:la|las|los)\s+|"
    r"views\s+expressed\s+(?:herein|in\s+th)|"
    r"\bdisclaimer\s*:)",
    re.IGNORECASE,
)
