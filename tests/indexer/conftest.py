"""Hand-made documents and a small fake-encoder index for the indexer tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.types import Countries, Document, Objectives, Passage
from indexer.build import build_index_from_documents
from indexer.search import SearchIndex
from tests.fakes import FakeEncoder


def make_doc(
    i: int,
    texts: list[str],
    *,
    countries: tuple[str, ...] = (),
    objectives: tuple[int, ...] = (),
    inferred: tuple[int, ...] = (),
    lang: str = "en",
    sections: list[str] | None = None,
    years: tuple[int, ...] = (2020,),
    doc_type: str | None = "practice",
) -> Document:
    from corpus.types import InferredObjective

    did = f"d{i:03d}"
    ps = tuple(
        Passage(
            id=f"{did}#{j}",
            doc_id=did,
            ordinal=j,
            text=t,
            section_kind=sections[j] if sections else "summary",
            lang=lang,
        )
        for j, t in enumerate(texts)
    )
    return Document(
        id=did,
        title=f"Practice {i}",
        source=f"{did}.txt",
        format="txt",
        passages=ps,
        languages=(lang,),
        countries=Countries(explicit=countries),
        objectives=Objectives(explicit=objectives, inferred=tuple(InferredObjective(n, 0.5) for n in inferred)),
        years=years,
        doc_type=doc_type,
    )


TOPICS = [
    ("child trafficking and protection of children at borders", "trata de niños y protección de la infancia en fronteras"),
    ("remittances and financial inclusion of migrant workers", "remesas e inclusión financiera de trabajadores migrantes"),
    ("labour migration and skills recognition", "migración laboral y reconocimiento de competencias"),
    ("climate displacement and disaster risk reduction", "desplazamiento climático y reducción del riesgo de desastres"),
    ("return and reintegration of migrants", "retorno y reintegración de migrantes"),
]
COUNTRIES = ["PE", "EC", "MX", "CO", "CL", "AR"]
SECTIONS = ["summary", "context", "activities", "lessons"]


def synthetic_documents(n: int = 60) -> list[Document]:
    """n documents over 5 topics, 6 countries, two languages, 4 sections each."""
    docs = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        lang = "en" if i % 2 == 0 else "es"
        base = topic[0] if lang == "en" else topic[1]
        texts = [f"{base} {s} number {i} {'summary' if lang == 'en' else 'resumen'}" for s in SECTIONS]
        docs.append(
            make_doc(
                i,
                texts,
                countries=(COUNTRIES[i % len(COUNTRIES)],),
                objectives=(1 + i % 23,),
                lang=lang,
                sections=SECTIONS,
                years=(2015 + i % 10,),
            )
        )
    return docs


@pytest.fixture(scope="module")
def synth_docs() -> list[Document]:
    return synthetic_documents()


@pytest.fixture(scope="module")
def synth_index(tmp_path_factory, synth_docs) -> tuple[SearchIndex, Path]:
    d = tmp_path_factory.mktemp("ix") / "index"
    enc = FakeEncoder()
    build_index_from_documents(synth_docs, d, embedder=enc)
    return SearchIndex.open(d, enc), d


def backend_options(request, backend: str) -> dict:
    """build_index_from_documents keywords for `backend`: milvus builds go to the
    session's Milvus Lite server."""
    return {"milvus_uri": request.getfixturevalue("milvus_server").uri} if backend == "milvus" else {}


@pytest.fixture(scope="module")
def flat_index(synth_docs, tmp_path_factory) -> SearchIndex:
    """The exact reference the approximate backends are compared with."""
    d = tmp_path_factory.mktemp("flat") / "index"
    enc = FakeEncoder()
    build_index_from_documents(synth_docs, d, embedder=enc)
    return SearchIndex.open(d, enc)
