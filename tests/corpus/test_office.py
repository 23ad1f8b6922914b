"""Word (.docx) and OpenDocument (.odt) readers: files generated in tmp_path."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml

from corpus.odt import read_odt
from corpus.office import _real_title, read_docx
from corpus.readers import MAX_TEXT_BYTES, BadInput
from corpus.structure import parse_structure

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REAL_DOCX = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-reports" / "files" / (
    "AAP Evaluation - Management Response Final.docx")


def _body_append(doc, xml: str) -> None:
    """Append raw WordprocessingML (one element) to the body, before the section properties."""
    el = parse_xml(xml)
    doc.element.body.sectPr.addprevious(el)


def _para_style(doc, name: str, outline: int | None = None):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if outline is not None:
        style.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl xmlns:w="{W_NS}" w:val="{outline}"/>'))
    return style


def _report_docx(path: Path, core_title: str = "Evaluation of the Migrant Support Programme") -> Path:
    doc = docx.Document()
    doc.core_properties.title = core_title
    doc.core_properties.created = datetime(2023, 5, 17, 9, 30)
    doc.core_properties.language = "es-ES"
    doc.sections[0].header.paragraphs[0].text = "CONFIDENTIAL RUNNING HEADER"
    doc.sections[0].footer.paragraphs[0].text = "Page footer furniture"
    doc.add_paragraph("Final Evaluation Report", style="Title")
    doc.add_paragraph("Prepared for the regional office, March 2023")
    _para_style(doc, "TOC 1")
    doc.add_paragraph("Executive summary\t3", style="TOC 1")
    _body_append(doc, (
        f'<w:sdt xmlns:w="{W_NS}"><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Contents block entry 7</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    ))
    doc.add_heading("Executive summary", level=1)
    doc.add_paragraph("The programme reached many municipalities through its imple\u00admentation partners.")
    doc.add_heading("Context of the programme", level=2)
    _para_style(doc, "Titre 3")
    doc.add_paragraph("Contexte régional", style="Titre 3")
    _para_style(doc, "Report Subheading", outline=3)  # outline level 3 -> heading level 4
    doc.add_paragraph("A custom outline heading", style="Report Subheading")
    doc.add_paragraph("Offices opened in three provinces", style="List Bullet")
    doc.add_paragraph("Staff trained on referral", style="List Bullet")
    p = doc.add_paragraph("Numbered without a list style")
    p._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr xmlns:w="{W_NS}"><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>'))
    table = doc.add_table(rows=4, cols=3)
    for r, cells in enumerate([["Indicator", "Target", "Actual"], ["Households", "500", "620"],
                               ["Merged remark", "", "90%"], ["Youth", "200", ""]]):
        for c, t in enumerate(cells):
            table.cell(r, c).text = t
    table.cell(2, 0).merge(table.cell(2, 1))  # across (gridSpan)
    table.cell(2, 2).merge(table.cell(3, 2))  # down (vMerge)
    doc.add_heading("Lessons learned", level=1)
    doc.add_paragraph("Local ownership mattered more than funding levels in every province visited.")
    _body_append(doc, (
        f'<w:p xmlns:w="{W_NS}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:t>Anchor text.</w:t></w:r><w:r>'
        "<mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>"
        "<w:p><w:r><w:t>Boxed testimony from a beneficiary</w:t></w:r></w:p></w:txbxContent></wps:txbx>"
        "</wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        "<w:p><w:r><w:t>Boxed testimony from a beneficiary</w:t></w:r></w:p></w:txbxContent></v:textbox>"
        "</v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    ))
    doc.save(path)
    return path


@pytest.fixture
def report(tmp_path: Path):
    path = _report_docx(tmp_path / "report.docx")
    return path, read_docx(path)


def test_docx_headings_and_paragraphs(report):
    _, raw = report
    paras = raw.text.split("\n\n")
    assert "# Executive summary" in paras and "# Lessons learned" in paras
    assert "## Context of the programme" in paras
    assert "### Contexte régional" in paras  # a localised heading style name
    assert "#### A custom outline heading" in paras  # w:outlineLvl on the style
    assert paras.index("# Executive summary") < paras.index("## Context of the programme") < paras.index(
        "# Lessons learned")
    assert "Final Evaluation Report" in paras and "# Final Evaluation Report" not in paras
    assert "imple\u00admentation" not in raw.text and "implementation partners" in raw.text


def test_docx_lists_tables_and_furniture(report):
    _, raw = report
    paras = raw.text.split("\n\n")
    assert ("- Offices opened in three provinces\n- Staff trained on referral\n"
            "- Numbered without a list style") in paras
    assert "Indicator | Target | Actual\nHouseholds | 500 | 620\nMerged remark | 90%\nYouth | 200" in paras
    assert raw.text.count("Merged remark") == 1 and raw.text.count("90%") == 1
    for furniture in ("CONFIDENTIAL RUNNING HEADER", "Page footer furniture", "Contents block entry",
                      "Executive summary 3"):
        assert furniture not in raw.text
    assert raw.text.count("Boxed testimony from a beneficiary") == 1
    assert raw.text.index("Anchor text.") < raw.text.index("Boxed testimony")


def test_docx_meta(report):
    path, raw = report
    assert raw.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert raw.meta["title"] == "Evaluation of the Migrant Support Programme"
    assert raw.meta["title_source"] == "docx:core properties"
    assert raw.meta["doc_created"] == "2023-05-17"
    assert raw.meta["doc_lang"] == "es"
    cover = raw.meta["cover_text"]
    assert "March 2023" in cover and "Final Evaluation Report" in cover
    assert "municipalities" not in cover and "Executive summary" not in cover
    assert not raw.notes


@pytest.mark.parametrize("core", ["Microsoft Word - informe.docx", "", "report_final_v2", "2023-05-17",
                                  "Mayo de 2024"])
def test_docx_title_falls_back_to_title_style(tmp_path, core):
    raw = read_docx(_report_docx(tmp_path / "r.docx", core_title=core))
    assert raw.meta["title"] == "Final Evaluation Report"
    assert raw.meta["title_source"] == "docx:Title style"


def test_docx_without_any_title_and_default_language(tmp_path):
    doc = docx.Document()
    doc.add_heading("Findings", level=2)
    doc.add_paragraph("Short body text.")
    doc.save(tmp_path / "plain.docx")
    raw = read_docx(tmp_path / "plain.docx")
    assert "title" not in raw.meta and "title_source" not in raw.meta
    assert raw.meta["doc_lang"] == "en"  # the template's default w:lang (en-US)
    assert raw.text == "## Findings\n\nShort body text."


def test_real_titles():
    assert _real_title("Evaluation of IOM Accountability") == "Evaluation of IOM Accountability"
    for bad in ("Microsoft Word - x.docx", "report_final_v2", "12345", "2024-03-01", "12 March 2024",
                "Report", "x.pdf", "Word Document", "  "):
        assert _real_title(bad) == "", bad


def test_docx_text_feeds_the_structure_parser(report):
    _, raw = report
    st = parse_structure(raw.text, known_title=raw.meta["title"])
    kinds = {s.label: s.kind for s in st.sections}
    assert kinds.get("Executive summary") == "summary" and kinds.get("Lessons learned") == "lessons"


def test_docx_cap(tmp_path):
    doc = docx.Document()
    block = "Migrants were referred to legal aid in the municipality. " * 18  # ~1 KB
    for _ in range(MAX_TEXT_BYTES // len(block) + 50):
        doc.add_paragraph(block)
    doc.save(tmp_path / "big.docx")
    raw = read_docx(tmp_path / "big.docx")
    assert len(raw.text.encode()) <= MAX_TEXT_BYTES
    assert any(n.startswith("truncated:") for n in raw.notes)


def test_docx_bad_inputs(tmp_path):
    cases = {
        "garbage.docx": (b"PK\x03\x04 not really a zip", "corrupt or not a Word .docx file"),
        "locked.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "encrypted or password-protected"),
        "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "legacy Word .doc (binary)"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(BadInput, match=reason.replace("(", r"\(").replace(")", r"\)")):
            read_docx(tmp_path / name)
    with zipfile.ZipFile(tmp_path / "nodoc.docx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(BadInput, match="corrupt or not a Word .docx file: no word/document.xml"):
        read_docx(tmp_path / "nodoc.docx")
    good = _report_docx(tmp_path / "good.docx")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tmp_path / "broken.docx", "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    with pytest.raises(BadInput, match="corrupt or not a Word .docx file"):
        read_docx(tmp_path / "broken.docx")
    empty = docx.Document()
    empty.save(tmp_path / "empty.docx")
    with pytest.raises(BadInput, match="no text in the document"):
        read_docx(tmp_path / "empty.docx")


ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
ODT_CONTENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content {ODT_NS}><office:automatic-styles>
<style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>
</office:automatic-styles><office:body><office:text>
<text:sequence-decls/>
<text:p text:style-name="P1">Informe de evaluación final</text:p>
<text:p text:style-name="Standard">Ginebra, junio de 2022</text:p>
<text:table-of-content><text:index-body><text:p text:style-name="Contents_20_1">Resumen 2</text:p>
</text:index-body></text:table-of-content>
<text:h text:outline-level="1">Resumen</text:h>
<text:p text:style-name="Standard">El proyecto apoyó a<text:s text:c="2"/>familias en la fron\u00adtera<text:note><text:note-body><text:p>Nota al pie oculta</text:p></text:note-body></text:note>.</text:p>
<text:list><text:list-item><text:p>Primera acción</text:p></text:list-item>
<text:list-item><text:p>Segunda acción</text:p></text:list-item></text:list>
<text:h text:outline-level="2">Resultados del proyecto</text:h>
<table:table><table:table-row><table:table-cell><text:p>Indicador</text:p></table:table-cell>
<table:table-cell><text:p>Valor</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell table:number-columns-spanned="2"><text:p>Celda unida</text:p></table:table-cell>
<table:covered-table-cell/></table:table-row></table:table>
<text:p text:style-name="Standard">Texto final del informe.</text:p>
</office:text></office:body></office:document-content>"""
ODT_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles {ODT_NS}><office:styles>
<style:default-style style:family="paragraph"><style:text-properties fo:language="es" fo:country="ES"/></style:default-style>
<style:style style:name="Title" style:family="paragraph"/>
<style:style style:name="Contents_20_1" style:display-name="Contents 1" style:family="paragraph"/>
</office:styles></office:document-styles>"""


def _odt(path: Path, meta_title: str = "", content: str = ODT_CONTENT) -> Path:
    meta = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {ODT_NS}><office:meta>'
            f"<dc:title>{meta_title}</dc:title><meta:creation-date>2022-06-03T10:00:00</meta:creation-date>"
            "</office:meta></office:document-meta>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", content)
        zf.writestr("styles.xml", ODT_STYLES)
        zf.writestr("meta.xml", meta)
    return path


def test_odt_reader(tmp_path):
    raw = read_odt(_odt(tmp_path / "informe.odt"))
    paras = raw.text.split("\n\n")
    assert paras[:2] == ["Informe de evaluación final", "Ginebra, junio de 2022"]
    assert "# Resumen" in paras and "## Resultados del proyecto" in paras
    assert "El proyecto apoyó a familias en la frontera." in paras
    assert "- Primera acción\n- Segunda acción" in paras
    assert "Indicador | Valor\nCelda unida" in paras
    assert "Resumen 2" not in raw.text and "Nota al pie" not in raw.text
    assert raw.meta["title"] == "Informe de evaluación final"
    assert raw.meta["title_source"] == "odt:Title style"
    assert raw.meta["doc_created"] == "2022-06-03" and raw.meta["doc_lang"] == "es"
    assert raw.meta["cover_text"] == "Informe de evaluación final\n\nGinebra, junio de 2022"


def test_odt_meta_title_and_bad_files(tmp_path):
    raw = read_odt(_odt(tmp_path / "a.odt", meta_title="Evaluación del programa de retorno"))
    assert raw.meta["title"] == "Evaluación del programa de retorno"
    assert raw.meta["title_source"] == "odt:meta title"
    (tmp_path / "bad.odt").write_bytes(b"not a zip at all")
    with pytest.raises(BadInput, match="corrupt or not an OpenDocument .odt file"):
        read_odt(tmp_path / "bad.odt")
    with pytest.raises(BadInput, match="corrupt or not an OpenDocument .odt file: ParseError"):
        read_odt(_odt(tmp_path / "broken.odt", content=ODT_CONTENT[:400]))
    empty = ODT_CONTENT.split("<office:body>")[0] + "<office:body><office:text/></office:body></office:document-content>"
    with pytest.raises(BadInput, match="no text in the document"):
        read_odt(_odt(tmp_path / "empty.odt", content=empty))


def test_real_docx_structure():
    if not REAL_DOCX.is_file():
        pytest.skip("../shared/real-reports is not available")
    raw = read_docx(REAL_DOCX)
    lines = raw.text.split("\n")
    assert any(ln.startswith("## ") for ln in lines)  # its headings use Heading 2
    assert any(ln.startswith("- ") for ln in lines)  # numbered/bulleted actions
    # Its one table is a one-column layout box: each row's paragraphs come out as body text.
    assert sum(1 for p in raw.text.split("\n\n") if p.startswith("Responsible unit(s):")) >= 3
    assert not any(" | " in ln for ln in lines)
    assert raw.meta["doc_created"].startswith("2025-") and raw.meta["doc_lang"] == "en"
    assert "title" not in raw.meta  # empty core title and no Title-style paragraph
    assert parse_structure(raw.text).title  # the parser takes the first heading as its title
    assert not raw.notes


def _with_footnotes(path: Path, notes: dict[int, str]) -> Path:
    """The .docx at `path` with word/footnotes.xml holding `notes` (id -> text) added, and the
    Word separators that every footnotes part starts with."""
    runs = "".join(
        f'<w:footnote w:id="{i}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {t}</w:t></w:r>'
        "</w:p></w:footnote>" for i, t in notes.items())
    xml = (f'<w:footnotes xmlns:w="{W_NS}"><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/>'
           '</w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
           f"<w:continuationSeparator/></w:r></w:p></w:footnote>{runs}</w:footnotes>")
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("word/footnotes.xml", xml)
    tmp.replace(path)
    return path


def test_footnotes_come_at_the_end_numbered_as_the_text_refers_to_them(tmp_path):
    doc = docx.Document()
    doc.add_heading("Findings", level=1)
    for text, note in (("Returnees praised the counselling desks.", 7), ("The desks stayed open all year.", 3)):
        _body_append(doc, f'<w:p xmlns:w="{W_NS}"><w:r><w:t>{text}</w:t></w:r><w:r><w:rPr>'
                          f'<w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="{note}"/></w:r></w:p>')
    p = tmp_path / "notes.docx"
    doc.save(p)
    _with_footnotes(p, {3: "Interview with a district case worker.", 7: "Focus group in Kassala, 2024.", 9: "Unused."})
    text = read_docx(p).text
    body, notes = text.split("## Notes", 1)
    assert "Returnees praised the counselling desks." in body and "Focus group" not in body
    # numbered in the order of the references (id 7 first), separators and unused notes left out
    assert notes.split("\n\n")[1:] == ["1 Focus group in Kassala, 2024.", "2 Interview with a district case worker."]
    from corpus.ingest import load_document

    note = next(q for q in load_document(p).passages if "Focus group" in q.text)
    assert note.section == "Notes" and note.section_kind == "references"
