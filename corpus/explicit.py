"""Explicit metadata given with a text (JSON Lines fields, front matter, HTML and file
properties), validated, and the publication date with where it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from corpus.countries import resolve_country
from corpus.metadata import find_dates

__all__ = ["Explicit", "explicit_from", "published_date"]


def _ensure_list(v: Any) -> list[Any]:
    if v is None or v == "":
        return []
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[;,|]", v) if p.strip()]
    return [v]


@dataclass
class Explicit:
    """Explicit metadata given alongside the text (JSONL fields, front matter, HTML tags)."""

    title: str = ""
    countries: list[str] = field(default_factory=list)
    objectives: list[int] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    doc_type: str | None = None
    url: str | None = None
    lang: str | None = None
    published: str | None = None
    published_src: str = ""
    problems: list[str] = field(default_factory=list)


#: Values of a countries field that name no country: the record is simply not tied to one.
_NO_COUNTRY = re.compile(r"^(?:worldwide|global|multi-?country|regional|various|n/?a|none|"
                         r"mundial|varios|international|internacional|monde|plusieurs pays)$", re.I)


def explicit_from(meta: dict[str, Any]) -> Explicit:
    e = Explicit()
    e.title = str(meta.get("title") or "").strip()
    for c in _ensure_list(meta.get("countries", meta.get("country", meta.get("countries_covered")))):
        if _NO_COUNTRY.match(str(c).strip()):
            continue
        try:
            e.countries.append(resolve_country(str(c)))
        except ValueError as exc:
            e.problems.append(f"countries: {exc}")
    for o in _ensure_list(meta.get("objectives", meta.get("gcm_objectives"))):
        try:
            n = int(str(o).strip())
        except ValueError:
            e.problems.append(f"objectives: {o!r} is not a number from 1 to 23")
            continue
        if 1 <= n <= 23:
            e.objectives.append(n)
        else:
            e.problems.append(f"objectives: {n} is outside 1-23")
    for y in _ensure_list(meta.get("years", meta.get("year"))):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-|–|to)\s*(\d{4})\s*", str(y))
        if m and int(m.group(1)) <= int(m.group(2)) <= int(m.group(1)) + 50:
            e.years.extend(range(int(m.group(1)), int(m.group(2)) + 1))
        elif re.fullmatch(r"\s*\d{4}\s*", str(y)):
            e.years.append(int(str(y).strip()))
        else:
            e.problems.append(f"years: {y!r} is not a year")
    for d in _ensure_list(meta.get("dates", meta.get("date"))):
        d = str(d).strip()
        if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", d):
            e.dates.append(d)
        else:
            found = find_dates(d)
            if found:
                e.dates.extend(found)
            else:
                e.problems.append(f"date: {d!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    e.organizations = [str(o).strip() for o in _ensure_list(meta.get("organizations")) if str(o).strip()]
    e.doc_type = (str(meta["doc_type"]).strip().lower() or None) if meta.get("doc_type") else None
    e.url = str(meta["url"]).strip() if meta.get("url") else None
    e.lang = str(meta["lang"]).strip().lower()[:2] if meta.get("lang") else None
    for key in ("published", "publication_date", "date_published"):
        v = str(meta.get(key) or "").strip()
        if not v:
            continue
        iso = v[:10] if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?(?:[T ].*)?", v) else None
        found = [iso] if iso else find_dates(v)
        if found:
            e.published, e.published_src = found[-1], f"metadata:{key}"
            break
        e.problems.append(f"{key}: {v!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    y = meta.get("year")
    if e.published is None and re.fullmatch(r"\s*(?:19|20)\d{2}\s*", str(y or "")):
        e.published, e.published_src = str(y).strip(), "metadata:year"
    return e


def published_date(ex: Explicit, meta: dict[str, Any], fields: list[tuple[str, str]]) -> tuple[str | None, str]:
    """Publication date and where it came from: a metadata field, the cover page (the latest
    date on it, none after the file's own date), a date line, or the file's creation date."""
    if ex.published:
        return ex.published, ex.published_src
    created = str(meta.get("doc_created") or "") or None
    limit = created[:4] + "-12-31" if created else None

    def latest(text: str) -> str | None:
        found = [d for d in find_dates(text) if limit is None or d <= limit]
        return found[-1] if found else None

    cover = latest(str(meta.get("cover_text") or ""))
    if cover:
        return cover, "cover page"
    line = latest("\n".join(v for label, v in fields if label == "date line"))
    if line:
        return line, "date line"
    if created:
        return created, f"file metadata: created ({meta.get('format_name') or 'document properties'})"
    return None, ""
