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
    p.add_argument("--time", action="store_true",
                   help="print to stderr how long loading the tokenizer and language profiles, "
                   "and then ingesting, took, with pages per second for PDF and Word files")
    p.set_defaults(func=run)


def _objectives_line(d) -> str:
    from corpus.objectives import objective_label

    parts = []
    for n in d.objectives.explicit:
        parts.append(f"{n} {objective_label(n)} [explicit]")
    for n in d.objectives.mentioned:
        parts.append(f"{n} {objective_label(n)} [mentioned]")
    for o in d.objectives.inferred:
        kind = "inferred" if o.confident else "suggested"
        parts.append(f"{o.number} {objective_label(o.number)} [{kind} {o.score:.2f}]")
    return "; ".join(parts) or "-"


def format_document(d, width: int = 160, passages: bool = True) -> str:
    """A readable block for one document."""
    c = d.countries
    lines = [
        f"== {d.id}  ({d.format}, {d.source})",
        f"title:         {d.title}",
        f"type:          {d.doc_type or '-'}",
        f"languages:     {', '.join(d.languages) or '-'}",
        f"countries:     explicit {', '.join(c.explicit) or '-'}; primary {', '.join(c.primary) or '-'}; "
        f"mentioned {', '.join(c.mentioned) or '-'}",
        f"objectives:    {_objectives_line(d)}",
        f"published:     {d.published or '-'}",
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
    import time

    from corpus.ingest import load_corpus

    if args.time:
        from corpus.chunking import get_counter
        from corpus.countries import find_countries
        from corpus.language import detect_language
        from corpus.objectives import infer_objectives

        t0, c0 = time.perf_counter(), time.process_time()
        get_counter()
        find_countries("Perú y Ecuador")
        detect_language("una frase corta para cargar los perfiles de idioma de langdetect ahora")
        infer_objectives([("warm up", "en")])
        t1, c1 = time.perf_counter(), time.process_time()
    report = load_corpus(args.path)
    if args.time:
        t2, c2 = time.perf_counter(), time.process_time()
        n_pass = sum(len(d.passages) for d in report.documents)
        print(f"time: loaders (tokenizer, language profiles, country tables, objective index) "
              f"{t1 - t0:.2f} s wall ({c1 - c0:.2f} s CPU); ingest {t2 - t1:.3f} s wall "
              f"({c2 - c1:.3f} s CPU) for {report.files_read} file(s), "
              f"{len(report.documents)} document(s), {n_pass} passage(s)", file=sys.stderr)
        if report.pages_read:
            print(f"time: {report.pages_read} PDF page(s) at {report.pages_read / max(t2 - t1, 1e-9):.1f} "
                  f"pages/s (all files' ingestion counted)", file=sys.stderr)
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
