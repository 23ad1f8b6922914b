"""Country resolution, names, regions and matching in running text."""

from __future__ import annotations

import pytest

from corpus.countries import country_name, country_region, find_countries, resolve_country


@pytest.mark.parametrize(
    "text, code",
    [("Perú", "PE"), ("peru", "PE"), ("PE", "PE"), ("pe", "PE"), ("PER", "PE"),
     ("Brasil", "BR"), ("Brazil", "BR"), ("México", "MX"), ("mexico", "MX"),
     ("Estados Unidos", "US"), ("United States", "US"), ("USA", "US"), ("U.S.A", "US"),
     ("EE.UU.", "US"), ("Bolivia", "BO"), ("Venezuela", "VE"), ("Tanzania", "TZ"),
     ("Côte d’Ivoire", "CI"), ("Costa de Marfil", "CI"), ("República Dominicana", "DO"),
     ("Dominica", "DM"), ("Türkiye", "TR"), ("Turquía", "TR"), ("  ecuador ", "EC"),
     ("Democratic Republic of the Congo", "CD"), ("Congo", "CG"), ("Países Bajos", "NL")],
)
def test_resolve_country(text, code):
    assert resolve_country(text) == code


def test_resolve_country_same_for_variants():
    assert resolve_country("Perú") == resolve_country("peru") == resolve_country("PE") == "PE"


@pytest.mark.parametrize("bad", ["Narnia", "", "   ", "XX", "Europe"])
def test_unknown_country_raises_valueerror_with_help(bad):
    with pytest.raises(ValueError, match="ISO 3166-1|empty"):
        resolve_country(bad)


def test_names_and_regions():
    assert country_name("PE") == "Peru"
    assert country_name("PE", "es") == "Perú"
    assert country_name("us", "es") == "Estados Unidos"
    assert country_name("BO") == "Bolivia"
    assert country_region("PE") == "Latin America and the Caribbean"
    assert country_region("US") == "Northern America"
    assert country_region("ZM") == "Africa"
    assert country_region("DE") == "Europe"
    assert country_region("PH") == "Asia"
    assert country_region("FJ") == "Oceania"


def test_find_countries_bilingual_and_bounded():
    text = (
        "Migrants from Venezuela reached Perú and Brasil; others went to the United States "
        "(EE.UU.) or to Nigeria. Nigerian and Peruvian officials met."
    )
    assert find_countries(text) == ["US", "VE", "PE", "BR", "NG"]  # most mentioned first


def test_find_countries_avoids_false_positives():
    text = (
        "Michael Jordan and Chad Smith spoke in Georgia State. Turkey sandwiches were served. "
        "The Dominican Republic and Guinea-Bissau sent delegates; Papua New Guinea did too. "
        "The peru project (lower case) and the word chile in a recipe do not count."
    )
    found = find_countries(text)
    assert "JO" not in found and "TD" not in found and "GE" not in found and "TR" not in found
    assert "DM" not in found and "GN" not in found
    assert {"DO", "GW", "PG"} <= set(found)
    assert "PE" not in found and "CL" not in found


def test_find_countries_place_context_for_ambiguous_names():
    assert "JO" in find_countries("Syrian refugees in Jordan received cash assistance.")
    assert "TD" in find_countries("Sudanese refugees arrived in Chad last year.")
    assert "NE" in find_countries("Transit migration through Niger, and Nigeria.")
    assert find_countries("Niger") == []


def test_accents_and_case():
    assert find_countries("PERÚ y COLOMBIA firmaron") == ["PE", "CO"]
    assert find_countries("en Panamá y Haití") == ["PA", "HT"]
