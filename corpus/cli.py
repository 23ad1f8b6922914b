"""`practice-search inspect PATH [--json]`: what ingestion reads from a file or folder."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `inspect` subcommand."""
    p = subparsers.add_parser(
        "inspect",
        help="show the documents, metadata and passages read from a path",
        description="Read a corpus folder or one file and show each document's metadata and "
        "passages (section, section kind, language). The ingest summary goes to stderr.",
    )
    p.add_argument("path", help="a corpus folder (read recursively) or one file")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per document per line (Document.to_dict())")
    p.add_argument("--no-passages", action="store_true", help="metadata only")
    p.add_argument("--width", type=int, default=160, help="characters of passage text shown")
    p.set_defaults(func=run)


def _objectives_line(d) -> str:
    from corpus.objectives import objective_label

    parts = []
    for n in d.objectives.explicit:
        parts.append(f"{n} {objective_label(n)} [explicit]")
    for n in d.objectives.mentioned:
        parts.append(f"{n} {objective_label(n)} [mentioned]")
    for o in d.objectives.inferred:
        parts.append(f"{o.number} {objective_label(o.number)} [inferred {o.score:.2f}]")
    return "; ".join(parts) or "-"


def format_document(d, width: int = 160, passages: bool = True) -> str:
    """A readable block for one document."""
    c = d.countries
    lines = [
        f"== {d.id}  ({d.format}, {d.source})",
        f"title:         {d.title}",
        f"type:          {d.doc_type or '-'}",
        f"languages:     {', '.join(d.languages) or '-'}",
        f"countries:     explicit {', '.join(c.explicit) or '-'}; mentioned {', '.join(c.mentioned) or '-'}",
        f"objectives:    {_objectives_line(d)}",
        f"years:         {', '.join(map(str, d.years)) or '-'}",
        f"dates:         {', '.join(d.dates) or '-'}",
        f"organizations: {'; '.join(d.organizations) or '-'}",
    ]
    if d.url:
        lines.append(f"url:           {d.url}")
    lines.append("provenance:    " + "; ".join(f"{k} <- {v}" for k, v in d.provenance.items()))
    lines.append(f"passages:      {len(d.passages)}")
    if passages:
        for p in d.passages:
            text = " ".join(p.text.split())
            if len(text) > width:
                text = text[: width - 3] + "..."
            lines.append(f"  #{p.ordinal:<3} [{p.section_kind}/{p.lang}] {p.section or '(no heading)'}")
            lines.append(f"       {text}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from corpus.ingest import load_corpus

    report = load_corpus(args.path)
    out = sys.stdout
    for i, d in enumerate(report.documents):
        if args.json:
            out.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
        else:
            if i:
                out.write("\n")
            out.write(format_document(d, args.width, not args.no_passages) + "\n")
    print(report.summary(), file=sys.stderr)
    return 0 if report.documents or not report.skipped else 1
