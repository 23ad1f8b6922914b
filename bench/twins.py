"""Language bias without labels: a question and its translation should find the same
things. Each pair holds a question in one language and its twin in another; over one
index, per mode, this prints how much of the twin's top 10 passages (top 5 documents) the
question also finds, and each language's share of both result lists.

    python -m bench.twins --index DIR [--pairs bench/data/twins_es_en.jsonl] [--out R.json] [--no-translate]

The bundled pairs are Spanish questions with English twins, written for this project
about what evaluation reports cover (return and reintegration, accountability, dialogue,
data, monitoring); run them over a collection without Spanish (the real IOM reports in
`../shared/real-reports/files`: English and French) to see where a Spanish question's
results lean. No relevance labels: a bias measure, not a quality one.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

PAIRS = Path(__file__).parent / "data" / "twins_es_en.jsonl"


def load_pairs(path: str | Path = PAIRS) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    for r in rows:
        if not r.get("query") or not r.get("twin"):
            raise ValueError(f"{path}: pair {r.get('id')!r} needs both 'query' and 'twin'")
    return rows


def measure(index, pairs: list[dict[str, str]], modes=("dense", "hybrid"), k: int = 10, k_docs: int = 5) -> dict[str, Any]:
    """Per mode: mean passage overlap@k and document overlap@k_docs between each question
    and its twin, and the languages of their passages (shares of all shown)."""
    out: dict[str, Any] = {}
    for mode in modes:
        ov_p = ov_d = 0.0
        langs_q: Counter[str] = Counter()
        langs_t: Counter[str] = Counter()
        for pair in pairs:
            a = index.search(pair["query"], k=k, group=False, mode=mode)
            b = index.search(pair["twin"], k=k, group=False, mode=mode)
            ov_p += len({p.passage_id for p in a.passages} & {p.passage_id for p in b.passages}) / k
            da = index.search(pair["query"], k=k_docs, mode=mode)
            db = index.search(pair["twin"], k=k_docs, mode=mode)
            ov_d += len({h.doc_id for h in da.hits} & {h.doc_id for h in db.hits}) / k_docs
            langs_q.update(p.lang for p in a.passages)
            langs_t.update(p.lang for p in b.passages)
        n = max(len(pairs), 1)
        out[mode] = {
            f"passage_overlap@{k}": round(ov_p / n, 3),
            f"document_overlap@{k_docs}": round(ov_d / n, 3),
            "question_langs": {lg: round(c / sum(langs_q.values()), 3) for lg, c in sorted(langs_q.items())},
            "twin_langs": {lg: round(c / sum(langs_t.values()), 3) for lg, c in sorted(langs_t.items())},
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.twins", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True, help="an index directory (practice-search index ...)")
    ap.add_argument("--pairs", default=str(PAIRS), help="JSON Lines of id, query, twin")
    ap.add_argument("--out", help="write the figures as JSON here")
    ap.add_argument("--no-translate", action="store_true", help="without the word translations (indexer.translations)")
    args = ap.parse_args(argv)
    from indexer.ranking import HybridParams
    from indexer.search import SearchIndex

    hybrid = HybridParams(translate=not args.no_translate)
    res = measure(SearchIndex.open(args.index, hybrid=hybrid), load_pairs(args.pairs))
    for mode, r in res.items():
        print(mode, json.dumps(r, ensure_ascii=False))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
