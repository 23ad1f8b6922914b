"""`practice-search index | search | gapmap`: thin wrappers over indexer.build and
indexer.search.SearchIndex (heavy imports happen inside the handlers)."""

from __future__ import annotations

import argparse
import json
import sys


def _add_filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--country", action="append", help="ISO code or name (English/Spanish); repeatable")
    p.add_argument("--objective", action="append", help="GCM objective number 1-23; repeatable")
    p.add_argument(
        "--objective-source",
        action="append",
        dest="objective_sources",
        help="explicit | mentioned | inferred | suggested (default: explicit, mentioned and inferred, 'inferred' being the high-confidence inferences); repeatable",
    )
    p.add_argument(
        "--country-source",
        action="append",
        dest="country_sources",
        help="explicit | primary | mentioned (default: explicit and primary, where the practice "
        "takes place); repeatable",
    )
    p.add_argument("--lang", action="append", help="passage language, e.g. es or en; repeatable")
    p.add_argument("--section", action="append", help="passage section kind (summary, lessons...); repeatable")
    p.add_argument("--doc-type", action="append", dest="doc_type", help="document type; repeatable")
    p.add_argument("--year-from", dest="year_from",
                   help="documents published (else covering a year) in or after this year")
    p.add_argument("--year-to", dest="year_to",
                   help="documents published (else covering a year) in or before this year")


def _filters(args: argparse.Namespace):
    from indexer.filters import parse_filters

    return parse_filters(
        country=args.country,
        objective=args.objective,
        objective_sources=args.objective_sources,
        lang=args.lang,
        year_from=args.year_from,
        year_to=args.year_to,
        doc_type=args.doc_type,
        section=args.section,
        country_sources=args.country_sources,
    )


def register(subparsers) -> None:
    p = subparsers.add_parser("index", help="build or update a search index from a corpus folder")
    p.add_argument("corpus", metavar="CORPUS_DIR")
    p.add_argument("--index", required=True, metavar="INDEX_DIR")
    p.add_argument("--backend", choices=["flat", "hnsw", "hnsw-sq8", "ivf", "milvus"], default=None)
    p.add_argument("--milvus-uri", default=None, metavar="URI",
                   help="backend milvus: PATH.db (Milvus Lite) or http://host:19530; credentials come from "
                        "PRACTICE_SEARCH_MILVUS_TOKEN (or _USER/_PASSWORD), never from here")
    p.add_argument("--model", default=None, help="model name or path (default: settings)")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16", "int8"], default=None,
                   help="precision passages are embedded at (default auto: bf16 where the CPU has native bf16, "
                        "else fp32; an update keeps its index's precision)")
    p.add_argument("--ray", action="store_true",
                   help="read, chunk and embed on Ray (a local Ray, or the cluster of --ray-address)")
    p.add_argument("--ray-address", default=None, metavar="ADDR",
                   help="a Ray cluster to run on (ray://host:10001, host:6379 or auto); implies --ray")
    p.add_argument("--ray-actors", type=int, default=None, metavar="N",
                   help="embedding actors, one model each (default: one per CPU of the cluster)")
    p.add_argument("--progress", action="store_true", help="show an embedding progress bar")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=cmd_index)

    p = subparsers.add_parser(
        "search", help="search an index from the command line (without QUERY: list the filtered documents)"
    )
    p.add_argument("query", metavar="QUERY", nargs="?", default="")
    p.add_argument("--index", required=True, metavar="INDEX_DIR")
    _add_filter_args(p)
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", choices=["published", "title"], default="published",
                   help="without QUERY: newest first (default) or by title")
    p.add_argument("--passages", action="store_true", help="list passages instead of documents")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = subparsers.add_parser("gapmap", help="document counts per GCM objective x country")
    p.add_argument("--index", required=True, metavar="INDEX_DIR")
    p.add_argument("--query", default=None)
    _add_filter_args(p)
    p.add_argument("--by-region", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gapmap)


def cmd_index(args: argparse.Namespace) -> int:
    from indexer.build import IndexBusy, build_index, get_embedder
    from practice_search.config import get_settings

    settings = get_settings()
    if args.model:
        settings = settings.model_copy(update={"model": args.model})
    embedder = get_embedder(args.model, settings)
    ray = None
    if args.ray or args.ray_address:
        from indexer.distributed import RayOptions

        if args.ray_actors is not None and args.ray_actors < 1:
            raise ValueError("--ray-actors must be at least 1")
        ray = RayOptions(address=args.ray_address, actors=args.ray_actors)
    try:
        report = build_index(
            args.corpus, args.index, embedder=embedder, settings=settings, backend=args.backend,
            progress=args.progress, milvus_uri=args.milvus_uri, ray=ray,
            precision=args.precision,
        )
    except IndexBusy as exc:
        print(f"practice-search index: error: {exc}", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    else:
        print(report.ingest_summary)
        print(report.summary())
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from indexer.search import SearchIndex

    filters = _filters(args)
    ix = SearchIndex.open(args.index)
    if args.query.strip():
        resp = ix.search(args.query, filters, mode=args.mode, k=args.k, offset=args.offset, group=not args.passages)
    else:
        resp = ix.browse(filters, sort=args.sort, k=args.k, offset=args.offset)
    if args.json:
        print(json.dumps(resp.to_dict(), indent=1, ensure_ascii=False))
        return 0
    print(
        f"{resp.matched_documents} matching document(s), {resp.matched_passages} passage(s); "
        f"filters {resp.filters or 'none'}; mode {resp.mode}; {resp.timing_ms.get('total', 0):.0f} ms"
    )
    shown = resp.passages if args.passages else resp.hits
    if resp.mode != "browse" and shown and not resp.matched_documents:
        print("no relevant practice; these are the nearest ones:")
    if not args.passages:
        for h in resp.hits:
            inferred = {o["number"] for o in h.inferred}
            objectives = ",".join(f"{n} (inferred)" if n in inferred else str(n) for n in h.objectives)
            meta = ", ".join(
                x for x in (",".join(h.countries), "obj " + objectives if h.objectives else "",
                            f"published {h.published}" if h.published
                            else "-".join(map(str, h.years[:1] + h.years[-1:])) if h.years else "") if x
            )
            score = "" if resp.mode == "browse" else f"  score {h.score:.3f}" + ("" if h.relevant else " (nearest, not relevant)")
            print(f"\n{h.rank}. {h.title}  [{h.doc_id}]{score}  ({meta})")
            for p in h.passages:
                print(f"   - ({p.section_kind}, {p.lang}) {_snippet(p.text)}")
    else:
        for p in resp.passages:
            mark = "" if p.relevant else " (nearest, not relevant)"
            print(f"{p.rank}. [{p.passage_id}] score {p.score:.3f}{mark} ({p.section_kind}, {p.lang}) {_snippet(p.text)}")
    return 0


def _snippet(text: str, n: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def cmd_gapmap(args: argparse.Namespace) -> int:
    from indexer.search import SearchIndex

    filters = _filters(args)
    ix = SearchIndex.open(args.index)
    g = ix.gapmap(args.query, filters, objective_sources=filters.objective_sources, by_region=args.by_region)
    if args.json:
        print(json.dumps(g, indent=1, ensure_ascii=False))
        return 0
    cols = g["columns"]
    width = max([4] + [len(c) for c in cols])
    print(f"{g['matched_documents']} matching document(s); objectives from {', '.join(g['objective_sources'])}")
    print("obj  " + " ".join(c.rjust(width) for c in cols))
    for row in g["rows"]:
        cells = " ".join((str(row["counts"][c]) if row["counts"][c] else ".").rjust(width) for c in cols)
        print(f"{row['objective']:>3}  {cells}")
    return 0
