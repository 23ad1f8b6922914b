"""Section labels of practice write-ups and evaluation reports (English, Spanish, French) and
their normalised kinds.

A label such as "Key Lessons", "Lecciones aprendidas", "3.2 Efficacité" or "RECOMMENDATIONS
(if the practice is to be replicated)" maps to one of corpus.types.SECTION_KINDS; back matter
("Annex 2: Evaluation matrix", "Glossary") maps to "other", and lists that answer no question
("References", "Notes", "Acronyms", "Table des matières") to "references"; both end the
section before it. Labels of metadata fields on practice pages ("Dates", "Country:",
"Main Implementer") are told apart: their content is metadata, not passage text. Captions
("Figure 3. ...", "Cuadro 2", "Source: ...") are never section labels.
"""

from __future__ import annotations

import re

from corpus.countries import fold

__all__ = ["normalize_label", "section_kind", "is_meta_label", "is_boilerplate", "is_caption"]

_KINDS: dict[str, tuple[str, ...]] = {
    "summary": (
        "summary", "executive summary", "resumen", "resumen ejecutivo", "abstract", "overview",
        "sinopsis", "description", "descripcion", "practice description",
        "descripcion de la practica", "summary of the practice", "about the practice",
        # fr
        "resume", "resume executif", "synthese", "sommaire executif", "synthese de l'evaluation",
    ),
    "context": (
        "background", "context", "contexto", "antecedentes", "introduction", "introduccion",
        "problem statement", "rationale", "justificacion", "situation analysis",
        "analisis de situacion", "the problem", "el problema", "problematica",
        # evaluation reports
        "purpose", "purpose of the evaluation", "objectives of the evaluation",
        "evaluation objectives", "purpose and objectives", "purpose and scope",
        "scope of the evaluation", "objetivos de la evaluacion", "proposito",
        "alcance de la evaluacion", "objet de l'evaluation", "objectifs de l'evaluation",
        "portee de l'evaluation",
        # fr
        "contexte", "historique", "justification", "problematique",
    ),
    "activities": (
        "activities", "actividades", "methodology", "metodologia", "implementation",
        "implementacion", "approach", "enfoque", "intervention", "intervencion", "key activities",
        "actividades principales", "actions", "acciones", "strategy", "estrategia",
        "what was done", "main activities", "description of activities", "methods", "metodos",
        # evaluation reports
        "evaluation methodology", "scope and methodology", "evaluation approach",
        "metodologia de la evaluacion", "alcance y metodologia", "methodologie de l'evaluation",
        "portee et methodologie",
        # fr
        "methodologie", "approche", "mise en oeuvre", "activites", "strategie",
    ),
    "results": (
        "results", "resultados", "impact", "impacto", "benefit and impact", "benefits and impact",
        "beneficio e impacto", "beneficios e impacto", "outcomes", "achievements", "logros",
        "findings", "key findings", "main findings", "hallazgos", "hallazgos principales",
        "conclusions", "conclusiones", "key findings and conclusions", "results and impact",
        "resultados e impacto", "efectos", "effects", "outputs", "productos",
        "main findings and conclusions", "principales hallazgos",
        "evaluation findings", "findings of the evaluation", "hallazgos de la evaluacion",
        # fr
        "constatations", "principales constatations", "resultats", "effets", "realisations",
        "constatations de l'evaluation",
        # evaluation criteria (OECD-DAC): findings sections
        "relevance", "pertinencia", "pertinence", "coherence", "coherencia", "effectiveness",
        "eficacia", "efectividad", "efficacite", "efficiency", "eficiencia", "efficience",
        "sustainability", "sostenibilidad", "sustentabilidad", "durabilite", "viabilite",
        "cross-cutting issues", "cross-cutting themes", "cross cutting issues",
        "temas transversales", "enfoques transversales", "questions transversales",
        "thematiques transversales",
    ),
    "lessons": (
        "key lessons", "lessons learned", "lessons learnt", "lessons", "lecciones aprendidas",
        "lecciones", "good practices", "good practice", "best practices", "buenas practicas",
        "mejores practicas", "challenges", "desafios", "retos", "key lessons learned",
        "challenges and lessons learned", "desafios y lecciones aprendidas", "emerging good practices",
        "lessons learned and good practices", "dificultades",
        # fr
        "lecons apprises", "lecons tirees", "lecons", "enseignements tires", "enseignements",
        "bonnes pratiques", "defis", "difficultes",
    ),
    "recommendations": (
        "recommendations", "recomendaciones", "way forward", "next steps", "proximos pasos",
        "key recommendations", "recomendaciones principales", "replicability",
        "camino a seguir", "el camino a seguir",
        # fr
        "recommandations", "prochaines etapes", "voie a suivre",
    ),
    "innovation": (
        "innovation", "innovacion", "innovative aspects", "aspectos innovadores",
        "innovative elements", "what makes it innovative", "elementos innovadores",
    ),
    # Back matter and front matter: "other" closes the section before it, so that generic
    # headings after it do not inherit that section's kind.
    "other": (
        "annex", "annexes", "appendix", "appendices", "anexo", "anexos", "annexe",
        "glossary", "glosario", "glossaire",
        "acknowledgements", "acknowledgments", "remerciements", "agradecimientos",
    ),
    # Lists that are never the answer to a question (a reference list full of report titles,
    # notes citing interviews, acronyms): searchable, ranked low (indexer.search).
    "references": (
        "references", "bibliography", "bibliographie", "bibliografia", "referencias",
        "works cited", "list of references",
        "acronyms", "abbreviations", "list of acronyms", "list of abbreviations",
        "acronyms and abbreviations", "abbreviations and acronyms", "sigles et abreviations",
        "liste des sigles", "sigles", "abreviations", "acronimos", "siglas y acronimos",
        "siglas", "lista de acronimos", "lista de siglas", "abreviaturas",
        "table of contents", "contents", "table des matieres", "sommaire", "indice",
        "notes", "footnotes", "endnotes", "notes de bas de page", "notas", "notas al pie",
        "list of tables", "list of figures", "liste des tableaux", "liste des figures",
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

_NUMBERING = re.compile(
    r"^(?:[ivxlc]+[.)]|\(?\d+(?:\.\d+)*[.)]?|[a-z][.)]|[a-z]{1,3}\.?\s?\d+(?:\.\d+)*\.?)\s+", re.I
)
#: "Chapter 2:", "Capítulo III.", "Section 4 –", "Partie A" before a label (folded, lower-case).
_CHAPTER = re.compile(
    r"^(?:chapter|chapitre|capitulo|section|seccion|part|partie|parte)\s+"
    r"(?:\d+(?:\.\d+)*|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})|[a-z])\b\s*[.:)\-\u2013\u2014]?\s*"
)
#: A back-matter label that starts with its number or letter: "Annex 1: Evaluation matrix".
_ANNEX = re.compile(
    r"^(?:annex(?:es|e)?|appendix|appendices|anexos?)\s+(?:n[o\u00ba\u00b0]\.?\s*)?"
    r"(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])\b(\s*[.:)\-\u2013\u2014])?\s*(.*)$",
    re.I,
)
#: A numbered finding, recommendation or lesson standing alone: "Finding 3:", "Recomendación 2".
_ITEM = re.compile(
    r"^(finding|hallazgo|constatation|recommendation|recomendacion|recommandation|lesson|leccion|"
    r"lecon)s?\s*(?:n[o\u00ba\u00b0]\.?\s*|#\s*)?(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])$"
)
_ITEM_KIND = {"finding": "results", "hallazgo": "results", "constatation": "results",
              "recommendation": "recommendations", "recomendacion": "recommendations",
              "recommandation": "recommendations", "lesson": "lessons", "leccion": "lessons",
              "lecon": "lessons"}
_PARENS = re.compile(r"\s*\([^)]*\)\s*")


_BACK_MATTER = re.compile(
    r"^(?:annex|appendix|anexo|annexe|bibliograph|references|referencias|acronym|abbreviation|"
    r"sigles|acronimos|siglas|list of|liste des|lista de|footnote|notes?\b|notas\b|endnotes)",
    re.I,
)


def is_back_matter(label: str) -> bool:
    """A section label of back matter: annexes, references, acronyms, lists, notes."""
    return bool(_BACK_MATTER.match(fold(label or "").strip()))


def normalize_label(text: str) -> str:
    """Lower-case, accent-free label without numbering, trailing ':' or '*' and parentheses."""
    t = fold(text).strip().lower()
    t = re.sub(r"[*:\s]+$", "", t)
    t = re.sub(r"^[#*\s]+", "", t)
    return re.sub(r"\s+", " ", t)


def _strip_extras(label: str) -> str:
    t = label.replace("\u0153", "oe").replace("\u2019", "'").replace("\u2011", "-")
    t = _NUMBERING.sub("", _CHAPTER.sub("", t))
    return _PARENS.sub(" ", t).strip(" -\u2013\u2014:.")


def section_kind(label: str) -> str | None:
    """The kind of a known section label ('Lecciones aprendidas' -> 'lessons'), else None.

    Combined labels count by their first part: 'Lessons learned, best practices and
    recommendations' -> 'lessons'; 'BACKGROUND AND CONTEXT' -> 'context'. Numbering
    ('3.2', 'III.', 'Chapter 2:') is ignored. Back matter ('Annex 1: ...', 'References',
    'Acronyms') is 'other'. Captions ('Figure 3. ...') are None.
    """
    if is_caption(label) or re.search(r"[,;]\s*$", label):
        return None  # a caption, or a line that runs on ("implementation," in a table cell)
    n = normalize_label(label)
    m = _ANNEX.match(n)
    if m and len(n) <= 120:
        # "Annex 2: List of people met", "ANNEX B TERMS OF REFERENCE"; not "Annex 2 lists ..."
        words = re.sub(r"^[#*\s]+", "", label).split(None, 2)
        first = words[2][:1] if len(words) > 2 else ""
        if m.group(1) or not m.group(2) or first.isupper() or first.isdigit():
            return "other"
    t = _strip_extras(n)
    if not t or len(t) > 80:
        return None
    parts = [_bare(p.strip()) for p in re.split(r",|\band\b|\by\b|\bet\b|&|/", t) if p.strip()]
    if _bare(t) in _LABEL_KIND:
        return _LABEL_KIND[_bare(t)]
    if parts and all(p in _LABEL_KIND for p in parts):
        return _LABEL_KIND[parts[0]]
    if item := _ITEM.match(t):
        return _ITEM_KIND[item.group(1)]
    return None


_MODIFIERS = re.compile(
    r"^(?:(?:key|main|major|other|some|general|final|overall|principales|principal|otros|otras|"
    r"algunos|algunas|generales|finales|principaux|autres|generaux|evaluation|project|programme|"
    r"program|proyecto|programa|projet)\s+)+|"
    r"(?:\s+(?:obtenidos|obtenidas|alcanzados|alcanzadas|achieved|identified|identificados|"
    r"identificadas|clave|principales|finales|generales|encountered|enfrentados|cles|"
    r"principaux|obtenus|identifies|identifiees|"
    r"of the (?:evaluation|project|programme|program|intervention)|"
    r"de (?:l'evaluation|l'intervention)|du (?:projet|programme)|"
    r"de la (?:evaluacion|intervencion)|del (?:proyecto|programa)))+$"
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
    home$|inicio$|main\ navigation|navegacion\ principal|breadcrumb|
    page\ \d+(?:\ sur\ \d+)?$|sommaire$|retour\ en\ haut(?:\ de\ (?:la\ )?page)?$|
    (?:aller|passer)\ au\ contenu(?:\ principal)?$|lire\ la\ suite$|en\ savoir\ plus$|
    partager(?:\ cette\ page)?$|imprimer(?:\ cette\ page)?$|cliquez\ ici|accueil$|rechercher$|
    navigation\ principale|fil\ d'ariane|avis\ de\ non-responsabilite|
    clause\ de\ non-responsabilite|mentions\ legales$)""",
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
    r"ne\s+refl[eè]te(?:nt)?\s+pas\s+(?:n[eé]cessairement\s+)?(?:la|les|le|l['’])|"
    r"views\s+expressed\s+(?:herein|in\s+th)|"
    r"\bdisclaimer\s*:)",
    re.IGNORECASE,
)


_CAPTION = re.compile(
    r"^(?i:figures?|fig\.|fig|tables?|tableaux?|tablas?|cuadros?|graph(?:s|ique|iques)?|graficos?|"
    r"charts?|box|encadres?|recuadros?|maps?|cartes?|mapas?|diagrams?|diagrammes?|diagramas?|"
    r"illustrations?|ilustracion|photos?|fotos?|images?|exhibits?)"
    r"(?:\s+|(?<=\.)\s*)(?i:n[o\u00ba\u00b0]\.?\s*)?"
    r"(?i:[a-z]?\.?\d+(?:[.\-]\d+)*|(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})|[a-z])\b"
    r"(?:\s*[.:|)\-\u2013\u2014]|\s*$|\s+(?=[A-Z0-9\"'(\u201c]))"
)
_SOURCE_NOTE = re.compile(r"^(?:sources?|fuentes?|notes?|notas?)\s*:", re.I)


def is_caption(line: str) -> bool:
    """True for a figure, table, box, chart or map caption, or a 'Source:'/'Note:' line
    ('Figure 3. Overall process', 'Tableau 2 :', 'Cuadro 2', 'Fuente: ...'); not for a
    sentence that starts so ('Table 1 shows ...')."""
    t = re.sub(r"^[#*\s]+", "", fold(line.split("\n", 1)[0])).strip()
    return bool(_SOURCE_NOTE.match(t) or _CAPTION.match(t))
