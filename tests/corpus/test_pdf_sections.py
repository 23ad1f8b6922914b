"""Which lines of a PDF become section headings (corpus.pdf, corpus.structure): table rows,
footnotes and annexes set in a smaller size are not headings."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from corpus.ingest import load_document
from corpus.pdf import read_pdf
from corpus.sections import section_kind
from corpus.structure import parse_structure

W, H = A4
PROSE = (
    "Returnees in the three districts received vocational training and small grants, and case "
    "workers referred those with health needs to the district clinics each month."
)


class _Page:
    """One page drawn line by line from the top, in points."""

    def __init__(self, c: canvas.Canvas):
        self.c = c
        self.y = H - 80

    def line(self, parts: list[tuple[float, str]], size: float = 10, bold: bool = False, gap: float = 1.3) -> None:
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        for x, text in parts:
            self.c.drawString(x, self.y, text)
        self.y -= size * gap

    def prose(self, n: int = 3) -> None:
        words = (PROSE + " ") * n
        lines, cur = [], ""
        for w in words.split():
            if len(cur) + len(w) > 90:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        for ln in lines + [cur]:
            self.line([(72, ln)])
        self.y -= 8


def _findings_page(path: Path) -> tuple[canvas.Canvas, _Page]:
    """A cover page, then a page opening with "Findings" and three lines of prose."""
    c = canvas.Canvas(str(path), pagesize=A4)
    _Page(c).line([(72, "Reintegration in Kassala: final evaluation")], 24, bold=True)
    c.showPage()
    pg = _Page(c)
    pg.line([(72, "Findings")], 14, bold=True, gap=2)
    pg.prose(3)
    return c, pg


def _foot(c: canvas.Canvas, pg: _Page, y: float, small: list[str]) -> None:
    """Small lines at height y of the page (a page's foot), and the page ends."""
    pg.y = y
    for text in small:
        pg.line([(72, text)], 7.5)
    c.showPage()


def _foot_and_read(c: canvas.Canvas, pg: _Page, path: Path, y: float, small: list[str]) -> str:
    """The page's foot (`_foot`), then the file saved and read."""
    _foot(c, pg, y, small)
    c.save()
    return read_pdf(path).text


def _headings(path: Path) -> list[str]:
    return [ln.lstrip("# ") for ln in read_pdf(path).text.split("\n") if ln.startswith("#")]


def test_table_rows_are_not_headings_but_numbered_headings_are(tmp_path):
    p = tmp_path / "tables.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    pg = _Page(c)
    pg.line([(72, "3.2"), (110, "Effectiveness of the referrals")], 10, bold=True, gap=2)
    pg.prose()
    # a caption, then the table's bold header row (cells in columns) and its rows
    pg.line([(72, "Table 5. Reintegration score per country")], 10, bold=True)
    pg.line([(80, "Ethiopia"), (220, "Somalia"), (360, "Sudan")], 10, bold=True)
    pg.line([(80, "0.68"), (220, "0.67"), (360, "0.65")], 10)
    pg.y -= 10
    pg.prose()
    # a bold header row with no caption above it: the gutter between its cells tells
    pg.line([(80, "ACRONYM"), (150, "FULL NAME")], 10, bold=True)
    pg.line([(80, "MRC"), (150, "Migrant Resource Centre")], 10)
    pg.line([(80, "RSS"), (150, "Reintegration Sustainability Survey")], 10)
    pg.y -= 10
    pg.line([(72, "Lessons from the district teams")], 10, bold=True, gap=2)
    pg.prose()
    c.showPage()
    c.save()
    heads = _headings(p)
    assert any(h.startswith("3.2") and h.endswith("Effectiveness of the referrals") for h in heads)
    assert "Lessons from the district teams" in heads
    assert not any("Somalia" in h or "ACRONYM" in h or "Table 5" in h for h in heads), heads
    # the header rows stay as text, in the section they stand in
    doc = load_document(p)
    row = next(q for q in doc.passages if "Somalia" in q.text)
    assert row.section.endswith("Effectiveness of the referrals")


def test_footnotes_and_short_cells_are_not_guessed_to_be_headings(tmp_path):
    p = tmp_path / "notes.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    _Page(c).line([(72, "Reintegration in Kassala: final evaluation")], 24, bold=True)
    c.showPage()
    for n in range(2):
        pg = _Page(c)
        pg.line([(72, f"Findings on district {n + 1}")], 14, bold=True, gap=2)
        pg.prose(4)
        pg.line([(72, "Sudan 15.6 19.5 36.5")], 10)
        pg.y -= 10
        pg.prose(2)
        pg.y = 90
        pg.line([(72, f"{41 + n} Interview with a district case worker")], 7.5)
        pg.line([(72, f"{43 + n} Focus group with returnees in Kassala")], 7.5)
        c.showPage()
    c.save()
    doc = load_document(p)
    sections = {q.section for q in doc.passages}
    assert sections == {"Findings on district 1", "Findings on district 2"}, sections
    assert any("41 Interview with a district case worker" in q.text for q in doc.passages)


def test_chapters_set_larger_than_a_long_annex_are_text_not_headings(tmp_path):
    # the annex (a questionnaire in 8 pt) holds more characters than the 11 pt chapters:
    # the chapters' size is text, and only the 16 pt lines are headings
    p = tmp_path / "annex.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    topics = ["housing", "grants", "training", "health", "schooling", "counselling", "transport",
              "documents", "legal aid", "childcare", "savings", "jobs"]
    teams = ["north", "south", "east", "west", "coastal", "border", "mobile", "city", "hill", "river",
             "lake", "market", "harbour", "valley", "airport", "camp", "school", "clinic", "court", "youth"]
    pairs = [(t, w) for w in teams for t in topics]  # 240 lines, no two alike
    for n, chapter in enumerate(("Context of the project", "Evaluation questions")):
        pg = _Page(c)
        pg.line([(72, chapter)], 16, bold=True, gap=2)
        for t, w in pairs[n * 40 : n * 40 + 40]:
            pg.line([(72, f"Case workers of the {w} office helped returnees with {t} and follow-up")], 11)
        c.showPage()
    pairs = pairs[::-1]
    for page in range(4):
        pg = _Page(c)
        for t, w in pairs[page * 55 : page * 55 + 55]:
            pg.line([(72, f"How satisfied were you with the {t} support given by the {w} team? Tick one box")], 8)
        c.showPage()
    c.save()
    assert _headings(p) == ["Context of the project", "Evaluation questions"]


def test_a_kind_of_resources_is_not_a_list_of_links():
    text = (
        "Abbreviations\n\nHR Human resources\n\nIGAD Intergovernmental Authority on Development\n\n"
        "MRC Migrant Resource Centre\n\nRelated resources\n\nA guide to reintegration counselling\n\n"
        "Findings\n\n" + PROSE
    )
    st = parse_structure(text, detect_title=False)
    body = "\n".join(par for s in st.sections for par in s.paragraphs)
    assert "IGAD Intergovernmental Authority on Development" in body
    assert "A guide to reintegration counselling" not in body  # a short line under a links heading


def test_a_line_that_runs_on_is_not_a_section_label():
    assert section_kind("Implementation") == "activities"
    assert section_kind("implementation,") is None
    assert section_kind("Lessons learned;") is None


def test_footnotes_move_to_the_end_and_a_sentence_runs_on_across_the_page(tmp_path):
    p = tmp_path / "footnotes.pdf"
    c, pg = _findings_page(p)
    pg.line([(72, "Returnees praised the counselling desks.12 The desks stayed open after the")], 10)
    pg.y = 100
    pg.line([(72, "12 Focus group with returnees in Kassala, March 2024.")], 7.5)
    pg.line([(72, "13 Interview with a district case worker.")], 7.5)
    # small text at a page's foot that the page carries no mark for is not a note
    c.showPage()
    pg = _Page(c)
    pg.line([(72, "JI-HoA project ended, run by the district council.")], 10)
    pg.prose(3)
    text = _foot_and_read(c, pg, p, 100, ["40 returnees in Kassala; 25 in Gedaref"])
    assert "open after the JI-HoA project ended" in text
    notes = text.split("## Notes", 1)[1]
    assert "12 Focus group with returnees in Kassala" in notes and "13 Interview" in notes
    assert "40 returnees in Kassala" in text.split("## Notes", 1)[0]
    doc = load_document(p)
    note = next(q for q in doc.passages if "Focus group with returnees" in q.text)
    assert note.section == "Notes" and note.section_kind == "references"
    assert not any("Focus group" in q.text for q in doc.passages if q.section == "Findings")


def test_a_bold_line_inside_a_sentence_is_not_a_heading(tmp_path):
    p = tmp_path / "inline.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    pg = _Page(c)
    pg.line([(72, "Methodology")], 16, bold=True, gap=2)
    pg.line([(72, "The evaluation followed the criteria of the Organisation for Economic Co-operation and")], 10)
    pg.line([(72, "Development Assistance Committee (OECD/DAC) on evaluation quality")], 10, bold=True)
    pg.line([(72, "standards, with interviews, focus groups and a survey of partners.")], 10)
    pg.y -= 10
    pg.prose()
    c.showPage()
    c.save()
    assert _headings(p) == ["Methodology"]
    assert "Co-operation and Development Assistance Committee" in read_pdf(p).text


def test_a_passage_with_no_word_is_not_kept(tmp_path):
    p = tmp_path / "form.md"
    p.write_text("# Questionnaire\n\n" + PROSE + "\n\n## Section 2\n\n|__| 2 |__|\n", encoding="utf-8")
    doc = load_document(p)
    assert doc.passages and all(any(ch.isalpha() for ch in q.text) for q in doc.passages)


def test_raised_note_marks_leave_the_words_and_compounds_keep_their_hyphen(tmp_path):
    p = tmp_path / "marks.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    pg = _Page(c)
    pg.line([(72, "Findings")], 16, bold=True, gap=2)
    pg.prose()
    # "... psychosocial well-being.263 They ..." with the mark set small and raised
    y = pg.y
    c.setFont("Helvetica", 10)
    first = "Returnees named the desks as key to their psychosocial well-being."
    c.drawString(72, y, first)
    c.setFont("Helvetica", 6)
    c.drawString(72 + c.stringWidth(first, "Helvetica", 10), y + 4, "263")
    c.setFont("Helvetica", 10)
    c.drawString(72 + c.stringWidth(first, "Helvetica", 10) + 12, y, "They asked for much-")
    c.drawString(72, y - 12, "needed help with reintegra-")
    c.drawString(72, y - 24, "tion grants in the programme area.")
    c.showPage()
    c.save()
    text = read_pdf(p).text
    assert "well-being. They asked" in text and "263" not in text
    assert "much-needed help" in text  # two common words: the hyphen is the compound's
    assert "reintegration grants" in text  # a word broken at the line end is joined


@pytest.mark.parametrize("rise", [6, 8])  # pdfium reads the mark on the line, or on a line of its own
def test_a_note_mark_past_the_lines_end_is_read_and_left_out(tmp_path, rise):
    p = tmp_path / "lonemark.pdf"
    c, pg = _findings_page(p)
    end = "The district offices followed up on every referral (for housing and health)."
    c.setFont("Helvetica", 10)
    c.drawString(72, pg.y, end)
    c.setFont("Helvetica", 5.5)  # the mark, small and raised, a gap past the line's end
    c.drawString(72 + c.stringWidth(end, "Helvetica", 10) + 40, pg.y + rise, "140")
    pg.y -= 14
    pg.prose(1)
    text = _foot_and_read(c, pg, p, 90, ["140 Mid-term review of the district referral desks, 2022."])
    body, notes = text.split("## Notes", 1)
    assert "140 Mid-term review" in notes
    assert "140" not in body


def test_a_note_running_on_to_the_next_page_stays_one_note(tmp_path):
    p = tmp_path / "runon.pdf"
    c, pg = _findings_page(p)
    pg.line([(72, "Returnees praised the counselling desks.12")], 10)
    _foot(c, pg, 100, ["12 Focus group with returnees in Kassala, held in the"])
    pg = _Page(c)
    pg.prose(2)
    pg.line([(72, "The desks stayed open all year.13")], 10)
    text = _foot_and_read(c, pg, p, 100, ["district hall in March 2024.", "13 Interview with a district case worker."])
    body, notes = text.split("## Notes", 1)
    assert "12 Focus group with returnees in Kassala, held in the district hall in March 2024." in notes
    assert "13 Interview with a district case worker." in notes
    assert "district hall" not in body
