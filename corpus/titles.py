"""Is this a title? Rules shared by the PDF and Word readers.

A title names something: not a file name ("Microsoft Word - report_v2.docx"), a number, a
date, a placeholder ("Untitled document") or a form label standing where a title should be
("EVALUATION BRIEF", "APPEL A CANDIDATURES", "Management Response Matrix").
"""

from __future__ import annotations

import re

from corpus.countries import fold

__all__ = ["is_form_label", "real_title", "strip_label_prefix"]

_GENERIC = frozenset(
    """a and annex annexe anexo appel brief call candidatures cover d de del des draft du
    evaluation evaluacion evaluations executive final finale for informe inception initial la
    learning le les management matrice matrix of plan project proposals rapport report reference
    references resume respuesta response summary template terms termes terminos the to tor
    version y et action actions accion mid term midterm intermediaire borrador projet gerencial
    matriz reponse plan d'action du de la et l'evaluation d'evaluation""".split()
)


_PLACEHOLDERS = frozenset(
    """untitled|sin titulo|sans titre|word document|new document|untitled document|nuevo documento|
    document sans titre|documento sin titulo""".replace("\n", "").split("|")
)
_FILE_LIKE = re.compile(r"^microsoft (?:word|powerpoint|excel)\s*-|\.(?:docx?|pdf|odt|pptx?)$|^[\w.-]+$", re.I)


_LABEL_PREFIX = re.compile(
    r"^(?:titre(?: de la position| du projet| de l'evaluation)?|title(?: of the evaluation)?|"
    r"evaluation title(?:/year)?|titulo(?: del proyecto| de la evaluacion)?|project title|"
    r"intitule|nom du projet|nombre del proyecto)\s*:\s*",
    re.I,
)


def is_form_label(text: str) -> bool:
    """True for a document-type label standing for a title ("EVALUATION BRIEF", "APPEL A
    CANDIDATURES", "Management Response Matrix"): only generic words."""
    words = re.findall(r"[a-z']+", fold(text).lower().replace("’", "'"))
    return bool(words) and len(words) <= 8 and all(w in _GENERIC for w in words)


def real_title(text: str | None) -> bool:
    """A metadata or candidate title that names something: not a file name, number, date or
    form label."""
    if not text:
        return False
    t = text.strip()
    if _FILE_LIKE.search(t) or is_form_label(t) or fold(t).lower() in _PLACEHOLDERS:
        return False
    letters = re.findall(r"[^\W\d_]{2,}", t)
    if len(letters) < 2:
        return False
    from corpus.metadata import find_dates

    return not (find_dates(t) and len(letters) <= 3)


def strip_label_prefix(text: str) -> str:
    """'Titre de la position : X', 'Evaluation title/year: X' -> 'X'."""
    return _LABEL_PREFIX.sub("", text.replace("\u2019", "'")).strip(" :")
