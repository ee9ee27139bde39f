from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from supportflow.errors import DocumentLoadError
from supportflow.knowledge.loaders import load_document

from .conftest import ROUTER_MANUAL, write_pdf

SHARED_PDFS = Path(__file__).resolve().parents[3] / "shared" / "data" / "pdfs"


def test_pdf_sections_keep_pages_and_heading_paths(make_pdf):
    doc = load_document(make_pdf(title="Router Manual"))

    assert doc.kind == "pdf"
    assert doc.title == "Router Manual"
    assert doc.page_count == 2
    assert [(s.page, s.heading_path) for s in doc.sections] == [
        (1, ("1. Setup",)),
        (1, ("1. Setup", "1.1 Connecting Cables")),
        (2, ("2. Troubleshooting",)),
    ]
    assert doc.sections[0].text.startswith("Plug the router into a wall socket")
    assert doc.sections[0].text.endswith("Do not unplug the router during this time.")


def test_pdf_lists_and_table_rows_stay_on_their_own_lines(make_pdf):
    doc = load_document(make_pdf())

    lines = doc.sections[1].text.split("\n")
    assert "- Yellow cable: internet" in lines
    assert "- Blue cable: computer" in lines
    assert "Model Ports Speed" in lines
    assert "X100 4 1 Gbit/s" in lines


def test_pdf_title_falls_back_to_first_heading(make_pdf):
    assert load_document(make_pdf()).title == "1. Setup"


def test_pdf_in_one_type_style_finds_numbered_and_title_case_headings(make_pdf):
    plain = [
        [
            ("p", "Welcome to the Acme Router."),
            ("p", "Getting Started"),
            ("p", "Unpack the box and check that the power adapter is included."),
            ("p", "2.1 Wall Mounting"),
            ("p", "Use two screws of at least four centimetres."),
        ]
    ]
    doc = load_document(make_pdf(pages=plain))

    assert [(s.heading_path, s.text) for s in doc.sections] == [
        ((), "Welcome to the Acme Router."),
        (("Getting Started",), "Unpack the box and check that the power adapter is included."),
        (("Getting Started", "2.1 Wall Mounting"), "Use two screws of at least four centimetres."),
    ]


def test_a_bold_paragraph_is_not_a_heading(make_pdf):
    pages = [
        [
            ("h1", "Safety"),
            ("h2", "Never Open The Case While The Router Is Connected To The"),
            ("h2", "mains, or you may get an electric shock."),
            ("p", "Keep the router away from water."),
        ]
    ]
    doc = load_document(make_pdf(pages=pages))

    assert [s.heading_path for s in doc.sections] == [("Safety",)]
    assert doc.sections[0].text.startswith("Never Open The Case While The Router Is Connected To")


def test_running_headers_footers_and_page_numbers_are_dropped(make_pdf):
    pages = [
        [("p", "Acme Router Manual"), ("h1", f"Chapter {n}"), ("p", f"Text of chapter {n}."),
         ("p", "Another paragraph."), ("p", f"Page {n} of 3")]
        for n in (1, 2, 3)
    ]  # fmt: skip
    doc = load_document(make_pdf(pages=pages))

    assert [(s.page, s.heading_path, s.text) for s in doc.sections] == [
        (n, (f"Chapter {n}",), f"Text of chapter {n}.\n\nAnother paragraph.") for n in (1, 2, 3)
    ]


def test_pdf_protected_only_against_editing_loads(make_pdf):
    doc = load_document(make_pdf(user_password=""))

    assert doc.sections[0].heading_path == ("1. Setup",)


def _scanned_pdf(path: Path) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    pdf.rect(20, 20, 120, 80, style="F")  # what a scan is to a text extractor: no text at all
    pdf.output(str(path))
    return path


def _truncated_pdf(path: Path) -> Path:
    data = write_pdf(path, ROUTER_MANUAL).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: write_pdf(p, ROUTER_MANUAL, user_password="s3cret"), "password-protected"),
        (_truncated_pdf, "damaged or truncated"),
        (lambda p: p.write_text("Dear customer, this is plain text.") and p, "is not a PDF"),
        (_scanned_pdf, "no text layer"),
    ],
    ids=["encrypted", "truncated", "not-a-pdf", "scanned"],
)
def test_unreadable_pdfs_raise_an_error_naming_the_file(tmp_path, make, reason):
    path = make(tmp_path / "broken manual.pdf")

    with pytest.raises(DocumentLoadError) as caught:
        load_document(path)

    assert str(path) in str(caught.value)
    assert reason in str(caught.value)


@pytest.mark.skipif(not SHARED_PDFS.is_dir(), reason="shared PDFs not present")
def test_real_paper_loads_with_pages_and_section_headings():
    doc = load_document(SHARED_PDFS / "larson2019-oos-eval-paper.pdf")

    assert doc.page_count == 6
    assert doc.title.startswith("An Evaluation Dataset for Intent Classification")
    pages = [s.page for s in doc.sections]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == 6
    by_heading = {s.heading_path[-1]: s for s in doc.sections if s.heading_path}
    assert by_heading["2.1 In-Scope Data Collection"].page == 2
    assert by_heading["2.1 In-Scope Data Collection"].heading_path[0] == "2 Dataset"
    assert "crowdsourcing" in by_heading["2.1 In-Scope Data Collection"].text
    assert "out-of-scope" in by_heading["Abstract"].text
    assert "\ufffe" not in "".join(s.text for s in doc.sections)


@pytest.mark.skipif(not SHARED_PDFS.is_dir(), reason="shared PDFs not present")
def test_real_supplementary_loads_every_page():
    doc = load_document(SHARED_PDFS / "larson2019-oos-eval-supplementary.pdf")

    assert doc.page_count == 13
    assert {s.page for s in doc.sections} == set(range(1, 14))
    assert "Amazon Mechanical Turk" in " ".join(s.text for s in doc.sections if s.page == 1)


def test_pages_without_text_are_noted(make_pdf):
    path = make_pdf(pages=[ROUTER_MANUAL[0], [], ROUTER_MANUAL[1]])

    doc = load_document(path)

    assert doc.page_count == 3
    assert doc.notes == (f"{path}: no text on page(s) 2 (scanned or blank)",)
    assert [s.page for s in doc.sections] == [1, 1, 3]
