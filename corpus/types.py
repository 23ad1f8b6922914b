"""The project's one currency: documents and passages with their metadata.

Every layer speaks these types: `corpus` produces them, `indexer` stores and
searches them, `service` and `eval` read them back. They are plain frozen
dataclasses so they can be hashed, compared and turned into JSON without
surprises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Normalised section kinds that passages carry (labels in English and Spanish map to these).
SECTION_KINDS: tuple[str, ...] = (
    "summary",
    "context",
    "activities",
    "results",
    "lessons",
    "recommendations",
    "innovation",
    "references",  # reference lists, notes, acronym lists, contents: searchable, ranked low
    "other",
)

#: Where an objective number came from, strongest first: listed in a field, named in the text
#: ("objective 21 of the Global Compact"), inferred from the text with high confidence
#: (counts by default, always marked as inferred), inferred with low confidence (opt-in).
OBJECTIVE_SOURCES: tuple[str, ...] = ("explicit", "mentioned", "inferred", "suggested")

#: Where a country code came from, strongest first: given in a field, where the practice
#: takes place (explicit ones, the title's, and those that dominate the text), named in passing.
COUNTRY_SOURCES: tuple[str, ...] = ("explicit", "primary", "mentioned")


@dataclass(frozen=True)
class Passage:
    """A contiguous piece of one section of one document, bounded in model tokens."""

    id: str  # f"{doc_id}#{ordinal}", unique in a corpus
    doc_id: str
    ordinal: int  # position of the passage in its document, from 0
    text: str
    section: str = ""  # the section label as written in the document ("Key Lessons", "Resumen")
    section_kind: str = "other"  # one of SECTION_KINDS
    lang: str = "und"  # ISO 639-1 code from langdetect, "und" when it cannot tell
    #: objectives this passage is about, inferred with high confidence (empty until indexed)
    objectives: tuple[InferredObjective, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class InferredObjective:
    number: int  # 1-23
    #: confidence in [0, 1] that the text is about the objective (calibrated when the index
    #: inferred it with the embedding model; a lexical relative score before that)
    score: float
    #: high confidence: counts under the default sources as "inferred"; else "suggested"
    confident: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "score": round(self.score, 4), "confident": self.confident}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InferredObjective:
        # indexes written before confidence levels existed: every inference was opt-in
        return cls(int(d["number"]), float(d["score"]), bool(d.get("confident", False)))


@dataclass(frozen=True)
class Countries:
    explicit: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, from labelled fields and metadata
    mentioned: tuple[str, ...] = ()  # named in the text, not where the practice takes place
    #: where the practice takes place: the explicit ones, the title's, and those that dominate
    #: the summary and the body (a superset of explicit; disjoint from mentioned)
    primary: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.explicit + self.primary + self.mentioned))

    def codes(self, sources: tuple[str, ...] = ("explicit", "primary")) -> tuple[str, ...]:
        """Country codes from the given sources, without repeats, strongest source first."""
        out: list[str] = []
        if "explicit" in sources:
            out.extend(self.explicit)
        if "primary" in sources:
            out.extend(self.primary)
        if "mentioned" in sources:
            out.extend(self.mentioned)
        return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Objectives:
    explicit: tuple[int, ...] = ()  # listed in an objectives field
    mentioned: tuple[int, ...] = ()  # "objective 7 of the Global Compact"
    inferred: tuple[InferredObjective, ...] = ()  # from the text, with a score

    def numbers(self, sources: tuple[str, ...] = ("explicit", "mentioned")) -> tuple[int, ...]:
        """Objective numbers from the given sources, without repeats, in ascending order."""
        out: set[int] = set()
        if "explicit" in sources:
            out.update(self.explicit)
        if "mentioned" in sources:
            out.update(self.mentioned)
        if "inferred" in sources:
            out.update(o.number for o in self.inferred if o.confident)
        if "suggested" in sources:
            out.update(o.number for o in self.inferred if not o.confident)
        return tuple(sorted(out))

    def inferred_only(self, sources: tuple[str, ...]) -> tuple[InferredObjective, ...]:
        """The inferred objectives among `numbers(sources)` that no field or mention gives:
        the placements to mark as inferred wherever they are shown."""
        given = set(self.numbers(tuple(s for s in sources if s in ("explicit", "mentioned"))))
        return tuple(
            o
            for o in self.inferred
            if o.number not in given and ("inferred" if o.confident else "suggested") in sources
        )


@dataclass(frozen=True)
class Document:
    """One practice document (a file, or one JSON Lines record) with its passages."""

    id: str  # path relative to the corpus folder without extension; a JSONL record's `id`
    title: str
    source: str  # path of the file it came from, relative to the corpus folder
    format: str  # txt | md | html | pdf | jsonl
    passages: tuple[Passage, ...]
    languages: tuple[str, ...] = ()  # languages of its passages, most text first
    countries: Countries = field(default_factory=Countries)
    objectives: Objectives = field(default_factory=Objectives)
    years: tuple[int, ...] = ()  # ascending; the years the text covers, none after `published`
    dates: tuple[str, ...] = ()  # ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD) as found
    #: publication date, ISO YYYY, YYYY-MM or YYYY-MM-DD (metadata field, cover page or the
    #: file's own date; provenance["published"] says which)
    published: str | None = None
    organizations: tuple[str, ...] = ()
    doc_type: str | None = None  # practice | evaluation | digest | newsletter | report | ...
    url: str | None = None
    #: where each field came from, e.g. {"title": "heading", "countries.explicit": "field:Country"}
    provenance: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: a content hash of the source (for incremental re-indexing)
    checksum: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape printed by `practice-search inspect --json`."""
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "format": self.format,
            "languages": list(self.languages),
            "countries": {
                "explicit": list(self.countries.explicit),
                "primary": list(self.countries.primary),
                "mentioned": list(self.countries.mentioned),
            },
            "objectives": {
                "explicit": list(self.objectives.explicit),
                "mentioned": list(self.objectives.mentioned),
                "inferred": [o.to_dict() for o in self.objectives.inferred],
            },
            "years": list(self.years),
            "dates": list(self.dates),
            "published": self.published,
            "organizations": list(self.organizations),
            "doc_type": self.doc_type,
            "url": self.url,
            "provenance": dict(self.provenance),
            "checksum": self.checksum,
            "passages": [
                {
                    "id": p.id,
                    "section": p.section,
                    "section_kind": p.section_kind,
                    "lang": p.lang,
                    "text": p.text,
                    **({"objectives": [o.to_dict() for o in p.objectives]} if p.objectives else {}),
                }
                for p in self.passages
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        """Inverse of `to_dict` (used by the index's metadata store)."""
        passages = tuple(
            Passage(
                id=p["id"],
                doc_id=d["id"],
                ordinal=i,
                text=p["text"],
                section=p.get("section", ""),
                section_kind=p.get("section_kind", "other"),
                lang=p.get("lang", "und"),
                objectives=tuple(InferredObjective.from_dict(x) for x in p.get("objectives", ())),
            )
            for i, p in enumerate(d.get("passages", []))
        )
        c = d.get("countries") or {}
        o = d.get("objectives") or {}
        return cls(
            id=d["id"],
            title=d.get("title", ""),
            source=d.get("source", ""),
            format=d.get("format", ""),
            passages=passages,
            languages=tuple(d.get("languages", ())),
            countries=Countries(
                tuple(c.get("explicit", ())),
                tuple(c.get("mentioned", ())),
                # indexes written before primary countries existed: explicit ones are primary
                tuple(c["primary"]) if "primary" in c else tuple(c.get("explicit", ())),
            ),
            objectives=Objectives(
                tuple(o.get("explicit", ())),
                tuple(o.get("mentioned", ())),
                tuple(InferredObjective.from_dict(x) for x in o.get("inferred", ())),
            ),
            years=tuple(d.get("years", ())),
            dates=tuple(d.get("dates", ())),
            published=d.get("published"),
            organizations=tuple(d.get("organizations", ())),
            doc_type=d.get("doc_type"),
            url=d.get("url"),
            provenance=dict(d.get("provenance", {})),
            checksum=d.get("checksum", ""),
        )


@dataclass(frozen=True)
class Skipped:
    """A file (or JSON Lines line) that was not ingested, and why."""

    path: str
    reason: str
    line: int | None = None


@dataclass
class IngestReport:
    """What a corpus walk read and what it skipped."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files_read: int = 0
    #: pages of the paged files (PDF) read, skipped ones aside
    pages_read: int = 0
    #: files that were ingested with a caveat (truncated, decoded as cp1252...), and why
    warnings: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        n_pass = sum(len(d.passages) for d in self.documents)
        lines = [
            f"read {self.files_read} file(s): {len(self.documents)} document(s), "
            f"{n_pass} passage(s); skipped {len(self.skipped)}"
        ]
        for s in self.skipped:
            where = f"{s.path}:{s.line}" if s.line is not None else s.path
            lines.append(f"  skipped {where}: {s.reason}")
        for w in self.warnings:
            where = f"{w.path}:{w.line}" if w.line is not None else w.path
            lines.append(f"  note {where}: {w.reason}")
        return "\n".join(lines)
