"""A tiny bilingual corpus, its fake-encoder index and a query file for the eval tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.types import Countries, Document, Objectives, Passage
from tests.fakes import FakeEncoder

#: (doc id, language, country, objective, passages): the project's own made-up texts.
TINY = [
    ("pe-kids", "es", "PE", 10, ["Protección de niñas y niños frente a la trata en la frontera norte.",
                                 "Las defensorías comunitarias detectaron casos de trata infantil."]),
    ("ec-remit", "en", "EC", 20, ["Remittance transfers became cheaper through a mobile wallet.",
                                  "Families used remittances to pay school fees."]),
    ("mx-skills", "en", "MX", 18, ["Skills recognition let returning workers certify their trade.",
                                   "Certification centres opened in three border towns."]),
    ("co-climate", "es", "CO", 2, ["Las comunidades desplazadas por inundaciones recibieron vivienda.",
                                   "Mapas de riesgo climático guiaron la reubicación."]),
]


def tiny_documents() -> list[Document]:
    docs = []
    for did, lang, country, objective, texts in TINY:
        passages = tuple(
            Passage(id=f"{did}#{i}", doc_id=did, ordinal=i, text=t, lang=lang) for i, t in enumerate(texts)
        )
        docs.append(
            Document(
                id=did, title=did, source=f"{did}.txt", format="txt", passages=passages, languages=(lang,),
                countries=Countries(explicit=(country,)), objectives=Objectives(explicit=(objective,)), years=(2021,),
            )
        )
    return docs


TINY_QUERIES = [
    {"id": "t1", "query": "remittance mobile wallet", "lang": "en", "relevant": ["ec-remit"],
     "evidence": "MOBILE   wallet", "extra": "ignored"},
    {"id": "t2", "query": "trata infantil defensorías", "lang": "es", "relevant": ["pe-kids"],
     "evidence": "trata infantil", "filters": {"country": "Perú"},
     "must_include": ["pe-kids"], "must_exclude": ["ec-remit"]},
    {"id": "t3", "query": "skills certification", "lang": "en", "relevant": ["mx-skills"],
     "filters": {"objective": 18}, "must_include": ["mx-skills"], "must_exclude": ["co-climate"]},
    {"id": "t4", "query": "inundaciones vivienda", "relevant": ["co-climate"]},
]


@pytest.fixture()
def tiny_index(tmp_path) -> Path:
    from indexer.build import build_index_from_documents

    index_dir = tmp_path / "index"
    build_index_from_documents(tiny_documents(), index_dir, embedder=FakeEncoder())
    return index_dir


@pytest.fixture()
def tiny_queries(tmp_path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in TINY_QUERIES) + "\n", encoding="utf-8")
    return path
