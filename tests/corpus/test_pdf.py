"""The PDF reader with layout (corpus.pdf) on PDFs written here with reportlab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from corpus.ingest import load_corpus, load_document
from corpus.pdf import read_pdf
from corpus.readers import BadInput
from corpus.titles import is_form_label, real_title

W, H = A4
HEADER = "Final evaluation of the Coastal Livelihoods Programme for returnees"
BODY = (
    "The programme supported returnees in three coastal districts with vocational training, "
    "small grants and referral to health services. Staff kept case files for every person "
    "and met partners each month to agree on the next steps."
)


def _wrap(text: str, width: int = 88) -> list[str]:
    lines, cur = [], ""
    for w in text.split():
        if len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return lines + [cur]


class _Doc:
    """A report page by page: running header and footer on every page, like Word's."""

    def __init__(self, path: Path, n_pages: int, title_meta: str = "", encrypt: str | None = None):
        self.c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
        if title_meta:
            self.c.setTitle(title_meta)
        self.page = 0
        self.n_pages = n_pages
        self.y = H - 100

    def furniture(self) -> None:
        self.page += 1
        self.c.setFont("Helvetica", 8)
        self.c.drawString(72, H - 40, HEADER)
        self.c.drawString(W / 2, 30, f"Page {self.page} of {self.n_pages}")
        self.y = H - 100

    def text(self, lines: list[str], size: float = 10, font: str = "Helvetica", gap: float = 8) -> None:
        self.c.setFont(font, size)
        for ln in lines:
            self.c.drawString(72, self.y, ln)
            self.y -= size * 1.2
        self.y -= gap

    def heading(self, text: str, size: float = 16) -> None:
        self.y -= 6
        self.text([text], size, "Helvetica-Bold", gap=6)

    def new_page(self) -> None:
        self.c.showPage()
        self.furniture()

    def save(self) -> None:
        self.c.showPage()
        self.c.save()


def _report(path: Path, title_meta: str = "Microsoft Word - report_final_v2.docx") -> Path:
    d = _Doc(path, 6, title_meta)
    d.furniture()
    d.text(["Coastal Livelihoods Programme"], 26, "Helvetica-Bold")
    d.text(["for returnees in Ghana"], 26, "Helvetica-Bold")
    d.text(["Final evaluation report", "July 2025"], 12)
    d.new_page()
    d.heading("Table of contents")
    for i, entry in enumerate(["Executive summary", "Background", "Findings", "Recommendations"]):
        d.text([f"{i + 1}. {entry} " + "." * 60 + f" {i + 3}"], 10, gap=2)
    d.new_page()
    d.heading("Executive summary")
    d.text(_wrap(BODY))
    d.text(["The district teams agreed a joint plan for the reintegra-",
            "tion of returnees and a common follow-",
            "up form that every partner used."])
    d.new_page()
    d.heading("Background")
    d.text(_wrap("Ghana has seen many returns from Libya and Niger since 2017. " + BODY))
    d.text(["Partners signed a follow-up agreement in the second year."])
    d.text(["Figure 1. Overall process of recommendations"], 10, "Helvetica-Bold")
    d.new_page()
    d.heading("Findings")
    d.text(_wrap("Relevance was high in Ghana. " + BODY))
    d.new_page()
    d.heading("Recommendations")
    d.text(_wrap("Keep the referral desks open in Ghana and extend grants to host families. " + BODY))
    d.save()
    return path


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory) -> Path:
    return _report(tmp_path_factory.mktemp("pdf") / "report.pdf")


def test_furniture_contents_and_page_marks_are_removed(report_pdf):
    raw = read_pdf(report_pdf)
    assert HEADER not in raw.text
    assert not re.search(r"Page \d+ of \d+", raw.text)
    assert "....." not in raw.text and "Table of contents" not in raw.text
    assert raw.meta["pages"] == 6


def test_headings_come_from_font_size_and_captions_are_not_headings(report_pdf):
    raw = read_pdf(report_pdf)
    heads = [ln for ln in raw.text.split("\n") if ln.startswith("#")]
    assert any(h.endswith(" Executive summary") for h in heads)
    assert any(h.endswith(" Recommendations") for h in heads)
    assert not any("Figure 1" in h for h in heads)
    d = load_document(report_pdf)
    kinds = {p.section_kind for p in d.passages}
    assert {"summary", "context", "results", "recommendations"} <= kinds
    fig = next(p for p in d.passages if "Figure 1" in p.text)
    assert fig.section_kind == "context"  # kept as text of the section it stands in


def test_hyphenation_is_repaired_unless_the_document_writes_the_hyphen(report_pdf):
    raw = read_pdf(report_pdf)
    assert "reintegration of returnees" in raw.text
    assert "reintegra-" not in raw.text
    # "follow-up" is written with a hyphen elsewhere in the document, so it keeps it
    assert "common follow-up form" in raw.text


def test_title_from_the_largest_text_when_metadata_is_a_file_name(report_pdf):
    d = load_document(report_pdf)
    assert d.title == "Coastal Livelihoods Programme for returnees in Ghana"
    assert d.provenance["title"] == "pdf:largest text on page 1"
    assert d.published == "2025-07" and d.provenance["published"] == "cover page"
    assert max(d.years) <= 2025
    assert d.countries.primary[:1] == ("GH",)
    assert {"LY", "NE"} <= set(d.countries.mentioned)


def test_real_metadata_title_wins(tmp_path):
    p = _report(tmp_path / "r.pdf", title_meta="Coastal Livelihoods: final evaluation")
    d = load_document(p)
    assert d.title == "Coastal Livelihoods: final evaluation"
    assert d.provenance["title"] == "pdf:metadata title"


def test_form_label_on_the_cover_is_joined_to_the_title(tmp_path):
    p = tmp_path / "brief.pdf"
    d = _Doc(p, 1)
    d.furniture()
    d.text(["EVALUATION BRIEF"], 20, "Helvetica-Bold")
    d.text(["Safe Migration Desks in Nepal"], 14, "Helvetica-Bold")
    d.text(_wrap(BODY))
    d.save()
    doc = load_document(p)
    assert doc.title == "EVALUATION BRIEF: Safe Migration Desks in Nepal"


def test_two_columns_keep_reading_order(tmp_path):
    p = tmp_path / "cols.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    left = [f"Left column sentence number {i} about training." for i in range(12)]
    right = [f"Right column sentence number {i} about grants." for i in range(12)]
    c.setFont("Helvetica", 9)
    for i, ln in enumerate(left):
        c.drawString(50, H - 100 - i * 11, ln)
    for i, ln in enumerate(right):
        c.drawString(320, H - 100 - i * 11, ln)
    c.showPage()
    c.save()
    text = read_pdf(p).text
    assert text.index("Left column sentence number 11") < text.index("Right column sentence number 0")
    assert "training. Right" not in text  # the columns are not interleaved line by line


def test_encrypted_pdf_is_skipped_with_the_reason(tmp_path):
    d = _Doc(tmp_path / "locked.pdf", 1, encrypt="secret")
    d.furniture()
    d.text(_wrap(BODY))
    d.save()
    with pytest.raises(BadInput, match="encrypted PDF"):
        read_pdf(tmp_path / "locked.pdf")


def test_image_only_pdf_says_ocr_it_first(tmp_path):
    p = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    c.rect(50, 50, 400, 600, fill=1)
    c.showPage()
    c.save()
    report = load_corpus(tmp_path)
    (skip,) = report.skipped
    assert "no text layer" in skip.reason and "OCR" in skip.reason


def test_title_rules():
    assert is_form_label("EVALUATION BRIEF") and is_form_label("Appel à candidatures")
    assert is_form_label("Management Response Matrix")
    assert not is_form_label("Evaluation of IOM Accountability to Affected Populations")
    for bad in ("1", "Microsoft Word - ISP_IOM_Report_Final_2304", "report_final_v2", "July 2025", ""):
        assert not real_title(bad), bad
    assert real_title("Final Evaluation of the Joint Initiative in the Horn of Africa")


def test_a_pdf_over_the_time_budget_keeps_the_pages_read(tmp_path, monkeypatch):
    import corpus.pdf as pdf_mod

    p = _report(tmp_path / "slow.pdf")
    clock = iter(range(0, 1000, 50))  # each page read "takes" 50 seconds
    monkeypatch.setattr(pdf_mod.time, "monotonic", lambda: float(next(clock)))
    raw = read_pdf(p)
    assert raw.meta["pages"] < 6
    assert any("reading budget" in n for n in raw.notes)
    assert "Coastal Livelihoods" in raw.text
