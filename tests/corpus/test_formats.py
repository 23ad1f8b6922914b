"""Readers for .txt, .md, .html, .pdf and .jsonl; ids, folders, explicit metadata."""

from __future__ import annotations

import hashlib
import json

from corpus.ingest import load_corpus, load_document
from tests.corpus.conftest import make_pdf

EN = (
    "The city council set up a helpdesk where newly arrived migrants get legal advice and "
    "referrals to health services. Staff speak several languages and follow each case."
)
ES = (
    "La municipalidad abrió una oficina donde las personas migrantes reciben orientación "
    "legal y derivación a servicios de salud. El personal acompaña cada caso hasta cerrarlo."
)


def test_folder_walk_ids_and_formats(tmp_path):
    sub = tmp_path / "region" / "andes"
    sub.mkdir(parents=True)
    (sub / "helpdesk.txt").write_text(f"Helpdesk for migrants\n\nSummary\n\n{EN}\n", encoding="utf-8")
    (tmp_path / "page.md").write_text(
        f"---\ntitle: Oficina de orientación\ncountries: [Perú, Chile]\n---\n# Oficina\n\n"
        f"## Resumen\n\n{ES} Ver [el informe](http://example.org/x).\n", encoding="utf-8")
    (tmp_path / "site.html").write_text(
        "<html lang='en'><head><title>Site | Helpdesk</title>"
        "<link rel='canonical' href='https://example.org/helpdesk'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/p'>Repository of Practices</a></nav>"
        f"<h1>City helpdesk</h1><h2>Key Lessons</h2><p>{EN} <a href='/more'>Read the note</a>.</p>"
        "<script>var x = 1;</script><footer>Disclaimer: views are the authors' own.</footer>"
        "</body></html>", encoding="utf-8")
    make_pdf(tmp_path / "report.pdf", ["Evaluation of the helpdesk", "", "Recommendations", "", EN[:90], EN[90:]])
    (tmp_path / ".hidden.txt").write_text(EN, encoding="utf-8")
    report = load_corpus(tmp_path)
    assert not report.skipped, report.summary()
    docs = {d.id: d for d in report.documents}
    assert set(docs) == {"region/andes/helpdesk", "page", "report", "site"}
    assert report.files_read == 4
    assert docs["page"].format == "md" and docs["site"].format == "html"
    assert docs["page"].countries.explicit == ("PE", "CL")
    d = docs["region/andes/helpdesk"]
    assert d.source == "region/andes/helpdesk.txt" and d.format == "txt"
    assert d.title == "Helpdesk for migrants"
    assert d.passages[0].section_kind == "summary"
    pdf = docs["report"]
    assert pdf.format == "pdf"
    assert "helpdesk" in " ".join(p.text for p in pdf.passages)
    data = (tmp_path / "region" / "andes" / "helpdesk.txt").read_bytes()
    assert d.checksum == hashlib.sha256(data).hexdigest()


def test_markdown_front_matter_and_sections(tmp_path):
    p = tmp_path / "oficina.md"
    p.write_text(
        f"---\ntitle: Oficina de orientación\ncountries: [Perú, Chile]\nobjectives: [15]\n---\n"
        f"# Oficina\n\n## Resumen ejecutivo\n\n{ES} Ver [el informe](http://example.org/x).\n\n"
        f"## Lecciones aprendidas\n\n{ES}\n", encoding="utf-8")
    d = load_document(p)
    assert d.title == "Oficina de orientación"
    assert d.countries.explicit[:2] == ("PE", "CL")
    assert d.objectives.explicit == (15,)
    kinds = [(x.section, x.section_kind) for x in d.passages]
    assert ("Resumen ejecutivo", "summary") in kinds
    assert all(x.lang == "es" for x in d.passages)
    assert all("http" not in x.text and "](" not in x.text for x in d.passages)


def test_html_furniture_removed(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(
        "<html lang='en'><head><title>Site | Helpdesk</title>"
        "<link rel='canonical' href='https://example.org/helpdesk'></head><body>"
        "<nav><a href='/'>Home</a></nav><p>Skip to main content</p>"
        f"<h1>City helpdesk</h1><h2>Key Lessons</h2><p>{EN} <a href='/more'>Read the note</a>.</p>"
        "<ul><li>First point about referrals to services for migrants in the city.</li>"
        "<li>Second point about case follow-up by trained staff in the helpdesk.</li></ul>"
        "<script>var x = 1;</script><footer>Disclaimer: views are the authors' own.</footer>"
        "</body></html>", encoding="utf-8")
    d = load_document(p)
    assert d.title == "City helpdesk"
    assert d.url == "https://example.org/helpdesk"
    text = " ".join(x.text for x in d.passages)
    assert "var x" not in text and "Disclaimer" not in text and "Home" not in text
    assert "Skip to main content" not in text
    assert d.passages[0].section == "Key Lessons" and d.passages[0].section_kind == "lessons"
    assert "Second point" in text


def test_jsonl_explicit_metadata(tmp_path):
    rec = {
        "id": "rec-7", "title": "Ventanilla única", "lang": "es",
        "text": f"Resumen\n{ES}\nRecomendaciones\n{ES.replace('oficina', 'ventanilla')}",
        "countries": ["Perú", "EC", "Brazil"], "objectives": [7, "15"], "years": "2019-2021",
        "date": "2021-03-04", "organizations": ["OIM"], "doc_type": "practice",
        "url": "https://example.org/r7", "extra": {"ignored": True},
    }
    path = tmp_path / "recs.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    report = load_corpus(path)
    (d,) = report.documents
    assert d.id == "rec-7" and d.format == "jsonl" and d.source == "recs.jsonl"
    assert d.countries.explicit == ("PE", "EC", "BR")
    assert d.objectives.explicit == (7, 15)
    assert d.years == (2019, 2020, 2021)
    assert "2021-03-04" in d.dates
    assert d.organizations[0] == "OIM"
    assert d.doc_type == "practice" and d.url == "https://example.org/r7"
    assert d.provenance["countries.explicit"].startswith("metadata:countries")
    assert [p.section_kind for p in d.passages] == ["summary", "recommendations"]
    canon = json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert d.checksum == hashlib.sha256(canon.encode()).hexdigest()


def test_jsonl_bad_metadata_is_noted_not_fatal(tmp_path):
    rec = {"id": "x", "title": "T", "text": EN, "countries": ["Narnia"], "objectives": [99]}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    report = load_corpus(path)
    assert len(report.documents) == 1
    reasons = " ".join(w.reason for w in report.warnings)
    assert "Narnia" in reasons and "99" in reasons


def test_single_file_id_is_stem(tmp_path):
    p = tmp_path / "deep" / "My Practice.txt"
    p.parent.mkdir()
    p.write_text(f"Title here\n\n{EN}\n", encoding="utf-8")
    report = load_corpus(p)
    assert [d.id for d in report.documents] == ["My Practice"]
    assert load_document(p, root=tmp_path).id == "deep/My Practice"
