"""Where a practice takes place: primary countries, donors, addresses, regions, origins."""

from __future__ import annotations

from corpus.document import document_from_text
from corpus.places import (
    MAX_PRIMARY,
    primary_countries,
    region_countries,
    subdivision_mentions,
    title_countries,
    weigh_mentions,
)

BODY_PE = (
    "Resumen\n\nEl proyecto trabajó en el Perú con las regiones de frontera. En el Perú, las "
    "oficinas regionales del Perú atendieron a familias. El Perú aprobó un protocolo nuevo.\n\n"
    "Context\n\nThe project was funded by the United States and by Japan. Staff in Peru met the "
    "ministries of Peru every month; Peru's border offices kept records.\n\n"
    "Annex 3: Comparable programmes\n\nSimilar desks exist in Chile, Brazil and Mexico."
)


def test_dominant_country_is_primary_and_annex_names_are_mentioned():
    d = document_from_text("pe", BODY_PE, meta={"title": "Una evaluación de oficinas de frontera"})
    assert d.countries.primary == ("PE",)
    assert {"CL", "BR", "MX"} <= set(d.countries.mentioned)
    assert "text: share" in d.provenance["countries.primary"]


def test_donors_are_not_places():
    d = document_from_text("pe", BODY_PE, meta={"title": "Border desks"})
    assert {"US", "JP"} <= set(d.countries.mentioned)
    assert "US" not in d.countries.primary
    assert "US" in d.provenance["countries.donors"] and "JP" in d.provenance["countries.donors"]
    # a country after a donor cue but with a place word between is a place, not a donor
    ev = weigh_mentions([("Activities supported by IOM in Ethiopia. Ethiopia again.", 1.0)])
    assert ev.weight.get("ET") == 2.0 and not ev.donors


def test_an_office_address_is_not_a_place():
    ev = weigh_mentions([("17 Route des Morillons, P.O. Box 17, Geneva, Switzerland\n"
                          "The study covered Nepal, Nepal and Nepal.", 3.0)])
    assert "CH" not in ev.weight and ev.weight["NP"] == 9.0


def test_the_evaluators_seat_and_an_aid_donor_are_not_places():
    ev = weigh_mentions([("Evaluators: Northwind Consulting, Vilnius, Lithuania\n"
                          "Évaluatrices : Cabinet Sahel, Dakar, Sénégal\n"
                          "The study covered Nepal, Nepal and Nepal.", 3.0)])
    assert "LT" not in ev.weight and "SN" not in ev.weight and ev.weight["NP"] == 9.0
    # the same names in a sentence are places
    ev = weigh_mentions([("The evaluators met returnees in Lithuania.", 1.0)])
    assert ev.weight.get("LT") == 1.0
    assert title_countries("Evaluation of the foreign development aid of the Czech Republic in Moldova")[0] == ["MD"]


def test_one_mention_never_dominates():
    ev = weigh_mentions([("The programme ran in Ghana.", 3.0)])
    primary, _ = primary_countries(ev)
    assert primary == []


def test_at_most_max_primary_from_text():
    names = ["Kenya", "Uganda", "Rwanda", "Burundi", "Malawi", "Zambia", "Angola"]
    text = " ".join(f"{n} and {n} and {n}." for n in names)
    primary, _ = primary_countries(weigh_mentions([(text, 1.0)]))  # each 1/7 of the mentions
    assert len(primary) == MAX_PRIMARY == 6


def test_explicit_and_title_countries_are_primary_first():
    ev = weigh_mentions([("Bolivia, Bolivia, Bolivia and Bolivia.", 1.0)])
    primary, why = primary_countries(ev, explicit=["PE"], in_title=["EC"])
    assert primary[:3] == ["PE", "EC", "BO"] and why[:2] == ["explicit", "title"]


def test_regions_and_provinces_in_titles():
    assert set(region_countries("Reintegration in the Horn of Africa")) == {"DJ", "ER", "ET", "SO"}
    assert set(region_countries("Migración en el Triángulo Norte")) == {"GT", "HN", "SV"}
    assert region_countries("A programme in Central America") == []  # loose: left out
    assert [c for c, _ in subdivision_mentions("SHELTERS FOR STRANDED TRAVELLERS NEAR AGADEZ")] == ["NE"]
    assert [c for c, _ in subdivision_mentions("Apoyo en Puebla")] == ["MX"]
    assert subdivision_mentions("Programmes in the South and the North") == []


def test_title_countries_tell_places_from_origins_donors_and_offices():
    places, wider = title_countries("Support to Venezuelan migrants in Colombia")
    assert places == ["CO"] and wider == []
    places, _ = title_countries("Asistencia a refugiados y migrantes de Venezuela en Ecuador")
    assert places == ["EC"]
    places, _ = title_countries("Reintegration of Chadian returnees")  # no other place: kept
    assert places == ["TD"]
    places, _ = title_countries("Border management in Ghana funded by the Netherlands")
    assert places == ["GH"]
    places, wider = title_countries("Office OIM Dakar : postes frontaliers communs au Mali et en Mauritanie")
    assert set(places) == {"ML", "MR"} and "SN" not in wider


def test_country_filter_fields_from_catalogue_records():
    rec = {"title": "Evaluation of a health programme", "countries_covered": ["Worldwide"]}
    d = document_from_text("r", "", meta=rec)
    assert d.countries.explicit == () and d.passages[0].text == rec["title"]
    rec = {"title": "Evaluation of a health programme", "countries_covered": ["Bolivia (Plurinational State of)"]}
    d = document_from_text("r", "", meta=rec)
    assert d.countries.explicit == ("BO",) and d.countries.primary == ("BO",)


def test_a_digest_places_each_item_in_its_country():
    digest = (
        "Partner requests this quarter\n\n"
        "Legal aid at the border\n\nA network of lawyers in Brazil now answers asylum seekers online "
        "after the pandemic closed the offices.\n\n"
        "Health training\n\nHealth officials in Costa Rica will train regional staff on migration and "
        "health next year.\n\n"
        "Climate data\n\nA study will count people displaced by floods in Benin and the coastal towns.\n\n"
        "Traders\n\nSmall-scale traders crossing between Zambia and Malawi received cash grants."
    )
    d = document_from_text("digest", digest, meta={"title": "What our partners request"})
    assert {"BR", "CR", "BJ", "ZM", "MW"} <= set(d.countries.primary)
    assert "collection" in d.provenance["countries.primary"]
    # the same items in one long report section are not a collection: one mention is not a place
    report = "Findings\n\n" + " ".join(digest.split("\n\n")[2::2])
    d = document_from_text("report", report, meta={"title": "What our partners request"})
    assert d.countries.primary == () and "BR" in d.countries.mentioned
