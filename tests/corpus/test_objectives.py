"""GCM objective labels, mentions and inference."""

from __future__ import annotations

import json

import pytest

from corpus.objectives import (
    OBJECTIVES,
    find_mentioned_objectives,
    infer_objectives,
    objective_label,
    objective_title,
)


def test_twenty_three_objectives_match_the_taxonomy(shared_dir):
    tax = json.loads((shared_dir / "taxonomy" / "gcm_objectives.json").read_text())["objectives"]
    assert [o.number for o in OBJECTIVES] == list(range(1, 24))
    for o, t in zip(OBJECTIVES, tax, strict=True):
        assert o.title_en == t["title"] and o.short_en == t["short"]
        assert o.short_es and o.title_es and o.desc_en and o.desc_es


def test_labels():
    assert objective_label(10) == "Counter trafficking"
    assert objective_label(10, "es") == "Combatir la trata de personas"
    assert objective_title(15, "en").startswith("Provide access to basic services")
    with pytest.raises(ValueError, match="1 to 23"):
        objective_label(24)


@pytest.mark.parametrize(
    "text, nums",
    [("in response to objective 7 of the Migration Global Compact (MGC)", [7]),
     ("en línea con el Objetivo 10 del Pacto Mundial", [10]),
     ("This supports GCM Objective 16 and the SDGs.", [16]),
     ("contributes to GCM objectives 2 and 3", [2, 3]),
     ("Objetivos 5, 6 y 7 del PMM", [5, 6, 7]),
     ("The project's strategic objective 2 was met.", []),
     ("GCM objective 31 does not exist", [])],
)
def test_mentions(text, nums):
    assert find_mentioned_objectives(text) == nums


def test_inference_bilingual():
    es = ("Las víctimas de trata de personas recibieron protección; la fiscalía investigó a los "
          "tratantes y se fortaleció la identificación de víctimas de explotación sexual.")
    en = ("Migrants sent remittances home through bank accounts at lower transfer cost, and "
          "financial literacy courses improved their access to credit.")
    assert infer_objectives([(es, "es")])[0].number == 10
    assert infer_objectives([(en, "en")])[0].number == 20
    assert infer_objectives([("", "en")]) == ()


def test_explicit_objectives_by_number_or_name():
    from corpus.metadata import explicit_objectives

    fields = [("GCM Objectives", "Counter trafficking"), ("Secondary GCM Objectives", "6"),
              ("Objetivos del PMM", "Proporcionar a los migrantes acceso a servicios básicos"),
              ("Dates", "2020")]
    nums, sources = explicit_objectives(fields)
    assert nums == [6, 10, 15]
    assert sources[0] == "field:GCM Objectives"
