"""Word documents: heading styles make the outline, lists and tables stay readable, in order."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.errors import DocumentLoadError
from supportflow.knowledge.chunking import chunk_document
from supportflow.knowledge.loaders import load_document

HANDBOOK = "Router Handbook"
CABLES_TEXT = "\n".join(
    [
        "Use the yellow cable for the internet port.",
        "",
        "- Yellow cable: internet",
        "- Blue cable: computer",
        "",
        "1. Plug in the yellow cable",
        "2. Plug in the blue cable",
        "  1. Tighten the connector",
        "",
        "Model | Ports | Speed",
        "X100 | 4 | 1 Gbit/s",
        "",
        "The table lists every model.",
    ]
)


def write_handbook(path: Path) -> Path:
    """A document with a title, nested headings, both kinds of list and a table between
    paragraphs."""
    document = docx.Document()
    document.add_paragraph(HANDBOOK, style="Title")
    document.add_paragraph("Read this before you start.")
    document.add_heading("Setup", level=1)
    document.add_paragraph("Größe: 10 cm — Ünïcødé 日本語 works too.")
    document.add_heading("Cables", level=2)
    document.add_paragraph("Use the yellow cable for the internet port.")
    document.add_paragraph("Yellow cable: internet", style="List Bullet")
    document.add_paragraph("Blue cable: computer", style="List Bullet")
    document.add_paragraph("Plug in the yellow cable", style="List Number")
    document.add_paragraph("Plug in the blue cable", style="List Number")
    document.add_paragraph("Tighten the connector", style="List Number 2")
    table = document.add_table(rows=2, cols=3)
    for row, cells in enumerate([("Model", "Ports", "Speed"), ("X100", "4", "1 Gbit/s")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_paragraph("The table lists every model.")
    document.add_heading("Troubleshooting", level=1)
    document.add_paragraph("If the light blinks red, restart the router.")
    document.save(str(path))
    return path


def test_headings_lists_and_tables_in_document_order(tmp_path) -> None:
    doc = load_document(write_handbook(tmp_path / "handbook.docx"))

    assert (doc.kind, doc.title, doc.page_count) == ("docx", HANDBOOK, None)
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        ((HANDBOOK,), "Read this before you start."),
        ((HANDBOOK, "Setup"), "Größe: 10 cm — Ünïcødé 日本語 works too."),
        ((HANDBOOK, "Setup", "Cables"), CABLES_TEXT),
        ((HANDBOOK, "Troubleshooting"), "If the light blinks red, restart the router."),
    ]


def test_chunks_carry_the_section_path(tmp_path) -> None:
    chunks = chunk_document(load_document(write_handbook(tmp_path / "handbook.docx")))

    assert [chunk.heading_path for chunk in chunks] == [
        (HANDBOOK,),
        (HANDBOOK, "Setup"),
        (HANDBOOK, "Setup", "Cables"),
        (HANDBOOK, "Troubleshooting"),
    ]
    assert chunks[2].text == CABLES_TEXT
    assert "日本語" in chunks[1].text


def test_custom_heading_styles_merged_cells_and_content_controls(tmp_path) -> None:
    document = docx.Document()
    document.add_heading("Billing", level=1)
    custom = document.styles.add_style("Step Heading", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_paragraph("Refunds", style=custom)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Refund times"
    table.cell(1, 0).text, table.cell(1, 1).text = "Card", "5 days"
    body = document.element.body
    body.insert(
        len(body) - 1,  # before the section properties, which close the body
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Inside a content control."
            "</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    path = tmp_path / "billing.docx"
    document.save(str(path))

    doc = load_document(path)

    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (("Billing", "Refunds"), "Refund times\nCard | 5 days\n\nInside a content control."),
    ]
    assert doc.title == "Billing"  # no Title paragraph, no core title: the first heading


def test_the_title_comes_from_core_properties_else_the_file_name(tmp_path) -> None:
    document = docx.Document()
    document.core_properties.title = "Warranty Terms"
    document.add_paragraph("Two years on every router.")
    document.save(str(tmp_path / "terms.docx"))
    document.core_properties.title = ""
    document.save(str(tmp_path / "plain-terms.docx"))

    assert load_document(tmp_path / "terms.docx").title == "Warranty Terms"
    assert load_document(tmp_path / "plain-terms.docx").title == "plain-terms"


def test_a_table_of_contents_is_skipped(tmp_path) -> None:
    document = docx.Document()
    toc = document.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("Contents", style="TOC Heading")
    document.add_paragraph("Setup\t3", style=toc)
    document.add_heading("Setup", level=1)
    document.add_paragraph("Plug it in.")
    document.save(str(tmp_path / "toc.docx"))

    doc = load_document(tmp_path / "toc.docx")

    assert [(s.heading_path, s.text) for s in doc.sections] == [(("Setup",), "Plug it in.")]


def handbook_bytes(tmp_path: Path) -> bytes:
    return write_handbook(tmp_path / "source.docx").read_bytes()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (lambda data: data[: len(data) // 2], "not a valid DOCX (damaged or not a Word file)"),
        (lambda data: os.urandom(4096), "not a valid DOCX (damaged or not a Word file)"),
        (
            lambda data: bytes.fromhex("D0CF11E0A1B11AE1") + os.urandom(4096),
            "encrypted or an old .doc file; save it as an unprotected .docx",
        ),
    ],
    ids=["truncated", "random-bytes", "cfb-container"],
)
def test_unreadable_files_raise_an_error_naming_the_file(tmp_path, content, reason) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(content(handbook_bytes(tmp_path)))

    with pytest.raises(DocumentLoadError) as caught:
        load_document(path)

    assert str(path) in str(caught.value)
    assert reason in str(caught.value)


def test_a_damaged_package_is_never_a_crash(tmp_path) -> None:
    """Every truncation of a real file is either read or refused with DocumentLoadError."""
    data = handbook_bytes(tmp_path)
    path = tmp_path / "cut.docx"
    for length in range(1, len(data), 509):
        path.write_bytes(data[:length])
        with pytest.raises(DocumentLoadError, match="not a valid DOCX"):
            load_document(path)


def test_a_document_without_text_has_no_readable_text(tmp_path) -> None:
    document = docx.Document()
    document.add_heading("Only a heading", level=1)
    document.add_paragraph("   ")
    document.add_table(rows=2, cols=2)
    document.save(str(tmp_path / "empty.docx"))

    with pytest.raises(DocumentLoadError, match="empty.docx: the file has no readable text"):
        load_document(tmp_path / "empty.docx")


def test_kb_add_then_search_finds_the_docx(demo_home, tmp_path) -> None:
    runner = CliRunner()
    path = write_handbook(tmp_path / "handbook.docx")

    added = runner.invoke(app, ["kb", "add", str(path), "--json"])
    assert added.exit_code == 0, added.output
    assert [c["status"] for c in json.loads(added.stdout)["changes"]] == ["added"]
    found = runner.invoke(app, ["kb", "search", "X100 ports speed table", "--json"])

    assert found.exit_code == 0, found.output
    best = json.loads(found.stdout)[0]
    assert (best["title"], best["section"]) == (HANDBOOK, f"{HANDBOOK} > Setup > Cables")
    assert "X100 | 4 | 1 Gbit/s" in best["text"]
