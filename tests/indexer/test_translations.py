"""Word translations between a collection's languages (indexer.translations)."""

from __future__ import annotations

import numpy as np

import indexer.translations as translations
from indexer.ranking import HybridParams
from indexer.search import SearchIndex
from indexer.translations import (
    MIN_COSINE,
    MIN_PASSAGES,
    WordTranslations,
    build_translations,
    reference_words,
    words_of,
)
from tests.fakes import FakeEncoder
from tests.indexer.conftest import make_doc

SPANISH = ["frontera", "niños", "trata", "retorno", "salud", "empleo", "vivienda", "escuela", "justicia",
           "agua", "mujeres", "datos"]
ENGLISH = ["border", "children", "trafficking", "return", "health", "employment", "housing", "school", "justice",
           "water", "women", "data"]


class TableEncoder:
    """Words to fixed vectors; anything else to a vector far from all of them."""

    model_id, checksum = "table", "table"

    def __init__(self, table: dict[str, np.ndarray]):
        self.table, self.dim = table, len(next(iter(table.values())))

    def embed_passages(self, texts, progress=False):
        far = np.zeros(self.dim, dtype=np.float32)
        far[-1] = 1.0
        return np.stack([self.table.get(t, far) for t in texts]).astype(np.float32)


class WordTableEncoder(TableEncoder):
    """The same, with the word-embedding entry point that earns reference lists."""

    def __init__(self, table):
        super().__init__(table)
        self.words_embedded: list[str] = []

    def embed_words(self, words):
        self.words_embedded += list(words)
        return self.embed_passages(words)


def _unit(v):
    return (v / np.linalg.norm(v)).astype(np.float32)


def _hub_table(pair_noise: float = 0.573) -> dict[str, np.ndarray]:
    """Spanish word i: a common direction plus its own; its English pair: the same plus
    noise (cosine 0.89 at the default noise); "migration": the common direction alone, at
    cosine 0.894 with every Spanish word, nearer each of them than its pair is."""
    dim, n = 64, len(SPANISH)
    basis = np.eye(dim, dtype=np.float32)
    common = basis[0]
    table = {"migration": _unit(common)}
    for i, (es, en) in enumerate(zip(SPANISH, ENGLISH, strict=True)):
        table[es] = _unit(common + 0.5 * basis[1 + i])
        table[en] = _unit(common + 0.5 * basis[1 + i] + pair_noise * basis[1 + n + i])
    return table


def _texts(words: list[str], lang: str, extra: str = "") -> tuple[list[str], list[str]]:
    texts = [f"{words[i % len(words)]} {extra}".strip() for i in range(MIN_PASSAGES)]
    return texts, [lang] * len(texts)


def test_words_of_keeps_content_words_lowercased_with_their_accents():
    assert words_of("Los NIÑOS de la frontera y el 2023 de la OIM") == ["niños", "frontera", "oim"]
    assert words_of("the children at the border") == ["children", "border"]


def test_each_word_gets_its_pair_and_not_the_word_near_everything():
    table = _hub_table()
    assert all(float(table[es] @ table["migration"]) > float(table[es] @ table[en]) >= MIN_COSINE
               for es, en in zip(SPANISH, ENGLISH, strict=True))  # plain nearest-word would pick the hub
    es_texts, es_langs = _texts(SPANISH, "es")
    en_texts, en_langs = _texts(ENGLISH + ["migration"], "en")
    tr = build_translations(es_texts + en_texts, es_langs + en_langs, TableEncoder(table))
    assert tr.languages == ["en", "es"]
    assert tr.table["es"] == {"ninos" if es == "niños" else es: [en] for es, en in zip(SPANISH, ENGLISH, strict=True)}
    assert tr.table["en"]["border"] == ["frontera"]


def test_no_translation_below_the_cosine_floor_nor_to_a_word_both_languages_hold():
    far = build_translations(*_joined(_texts(SPANISH, "es"), _texts(ENGLISH, "en")),
                             TableEncoder(_hub_table(pair_noise=1.5)))  # pairs at cosine 0.60
    assert far.table.get("es", {}) == {}
    # "tapachula" is in the Spanish texts too: a name, not a translation of anything
    table = _hub_table()
    table["tapachula"] = table["frontera"]
    shared = build_translations(*_joined(_texts(SPANISH, "es", "tapachula"), _texts(ENGLISH + ["tapachula"], "en")),
                                TableEncoder(table))
    assert shared.table["es"]["frontera"] == ["border"]
    assert "tapachula" not in {t for ts in shared.table["es"].values() for t in ts}


def _joined(a, b):
    return a[0] + b[0], a[1] + b[1]


def test_one_language_or_too_few_passages_make_no_table():
    table = _hub_table()
    assert len(build_translations(*_texts(SPANISH, "es"), TableEncoder(table))) == 0
    few_texts, few_langs = ["border"] * (MIN_PASSAGES - 1), ["en"] * (MIN_PASSAGES - 1)
    es_texts, es_langs = _texts(SPANISH, "es")
    assert build_translations(es_texts + few_texts, es_langs + few_langs, TableEncoder(table)).table == {}


def test_expand_adds_translations_once_and_only_for_the_table_languages(tmp_path):
    tr = WordTranslations({"es": {"frontera": ["border"], "ninos": ["children"]}, "en": {"border": ["frontera"]}})
    assert tr.expand("¿Qué pasó con los niños en la frontera?", "es") == "children border"
    assert tr.expand("la frontera y la border", "es") == ""  # "border" is in the query already
    assert tr.expand("la frontera", "und") == "" and tr.expand("la frontera", "fr") == ""
    tr.save(tmp_path)
    assert WordTranslations.load(tmp_path).table == tr.table
    assert WordTranslations.load(tmp_path / "elsewhere").table == {}  # an index built before them


class _PairEncoder(FakeEncoder):
    """The fake encoder, with "frontera" and "border" one word to it."""

    def _vec(self, text: str) -> np.ndarray:
        return super()._vec(text.replace("frontera", "border"))


def test_a_spanish_query_finds_the_english_passage_by_its_translated_word(tmp_path):
    from indexer.build import build_index_from_documents, read_manifest

    filler_en = ["Crop yields were recorded each season.", "Rainfall data came from the highlands."]
    filler_es = ["Las cosechas se registraron cada temporada.", "Los datos de lluvia vinieron del altiplano."]
    docs = [make_doc(0, ["Officials at the border checked papers of every traveller."])]
    docs += [make_doc(1 + i, [filler_en[i % 2]]) for i in range(MIN_PASSAGES)]
    docs += [make_doc(100 + i, [filler_es[i % 2]], lang="es") for i in range(MIN_PASSAGES)]
    docs.append(make_doc(200, ["Se reforzó la frontera norte con nuevos puestos."], lang="es"))
    build_index_from_documents(docs, tmp_path / "ix", embedder=_PairEncoder())
    assert "es" in read_manifest(tmp_path / "ix")["translations"]["languages"]
    query = "¿Qué controles hubo en la frontera?"
    on = SearchIndex.open(tmp_path / "ix", _PairEncoder())
    off = SearchIndex.open(tmp_path / "ix", _PairEncoder(), hybrid=HybridParams(translate=False))
    assert {h.doc_id for h in on.search(query, mode="bm25", k=5).hits} == {"d000", "d200"}
    assert {h.doc_id for h in off.search(query, mode="bm25", k=5).hits} == {"d200"}
    hit = next(h for h in on.search(query, mode="bm25", k=5).hits if h.doc_id == "d000")
    assert "<mark>border</mark>" in hit.passages[0].highlighted


def test_reference_words_are_a_languages_frequent_content_words():
    words = reference_words("es", 20000)
    assert len(words) == 20000 == len({w.lower() for w in words})
    assert all(words_of(w) == [w] for w in words)  # lowercase, three letters or more, no stop word
    assert {"frontera", "niños", "trabajo", "mujeres"} <= set(words) and "para" not in words
    assert "protección" in reference_words("es") and "frontière" in reference_words("fr")


def _spanish_reference(monkeypatch, words=SPANISH):
    monkeypatch.setattr(translations, "reference_words", lambda lang, n=0: list(words) if lang == "es" else [])


def test_a_language_the_collection_lacks_gets_a_reference_list_translated_one_way(monkeypatch):
    _spanish_reference(monkeypatch)
    enc = WordTableEncoder(_hub_table())
    tr = build_translations(*_texts(ENGLISH + ["migration"], "en"), enc)
    assert tr.reference == ["es"] and tr.languages == ["en", "es"]
    assert tr.table["es"] == {"ninos" if es == "niños" else es: [en] for es, en in zip(SPANISH, ENGLISH, strict=True)}
    assert tr.table["en"] == {}  # nothing is translated into a language no passage is in
    assert set(SPANISH) <= set(enc.words_embedded)  # through the embedder's cached word path
    assert set(tr.words) == {"en"}  # the index keeps the collection's words only
    # a plain encoder (no embed_words), or reference=False: the collection's languages only
    assert len(build_translations(*_texts(ENGLISH, "en"), TableEncoder(_hub_table()))) == 0
    assert len(build_translations(*_texts(ENGLISH, "en"), enc, reference=False)) == 0


def test_a_reference_list_is_not_given_for_a_language_the_collection_holds(monkeypatch):
    _spanish_reference(monkeypatch, words=["vivienda"])
    enc = WordTableEncoder(_hub_table())
    tr = build_translations(*_joined(_texts(SPANISH, "es"), _texts(ENGLISH, "en")), enc)
    assert tr.reference == [] and "vivienda" in tr.table["es"] and enc.words_embedded.count("vivienda") == 1


class _WordPairEncoder(_PairEncoder):
    def embed_words(self, words):
        return self.embed_passages(words)


def test_a_spanish_query_finds_english_passages_of_an_english_only_collection(tmp_path, monkeypatch):
    from indexer.build import build_index_from_documents, read_manifest

    _spanish_reference(monkeypatch, words=["frontera", "cosechas", "lluvia"])
    filler = ["Crop yields were recorded each season.", "Rainfall data came from the highlands."]
    docs = [make_doc(0, ["Officials at the border checked papers of every traveller."])]
    docs += [make_doc(1 + i, [filler[i % 2]]) for i in range(MIN_PASSAGES)]
    build_index_from_documents(docs, tmp_path / "ix", embedder=_WordPairEncoder())
    assert read_manifest(tmp_path / "ix")["translations"]["reference"] == ["es"]
    query = "¿Qué controles hubo en la frontera?"
    on = SearchIndex.open(tmp_path / "ix", _WordPairEncoder())
    off = SearchIndex.open(tmp_path / "ix", _WordPairEncoder(), hybrid=HybridParams(translate=False))
    assert [h.doc_id for h in on.search(query, mode="bm25", k=5).hits] == ["d000"]
    assert off.search(query, mode="bm25", k=5).hits == []


def test_reference_lists_are_for_question_languages_only(monkeypatch):
    # every language would have a list; French is a collection language, not a question one
    monkeypatch.setattr(translations, "reference_words", lambda lang, n=0: list(SPANISH))
    tr = build_translations(*_texts(ENGLISH + ["migration"], "en"), WordTableEncoder(_hub_table()))
    assert tr.reference == ["es"] and "fr" not in tr.table


def test_a_reference_list_holding_a_borrowed_word_still_translates_into_it(monkeypatch):
    # general-use Spanish holds English loanwords ("border" here); the English word stays a
    # target of "frontera", and the loanword itself is no one's pair
    _spanish_reference(monkeypatch, words=SPANISH + ["border"])
    tr = build_translations(*_texts(ENGLISH + ["migration"], "en"), WordTableEncoder(_hub_table()))
    assert tr.table["es"]["frontera"] == ["border"] and "border" not in tr.table["es"]
