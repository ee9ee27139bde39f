from __future__ import annotations

from supportflow.knowledge.document import OutlineBuilder
from supportflow.knowledge.pdf_headings import TextLine, TypeStyle
from supportflow.knowledge.pdf_layout import report_layout

BODY = TypeStyle(10.0, False)
BOLD = TypeStyle(10.0, True)
LARGE = TypeStyle(16.0, True)
MEDIUM = TypeStyle(13.0, True)
FULL = "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod"  # a full line


def layout(*lines: tuple[str, TypeStyle | None]) -> list[tuple[tuple[str, ...], str]]:
    builder = OutlineBuilder()
    report_layout([TextLine(text, 1, style) for text, style in lines], builder)
    return [(section.heading_path, section.text) for section in builder.sections()]


def test_wrapped_lines_are_joined_and_pdfium_hyphen_marks_resolved():
    sections = layout(
        (FULL + " sup\ufffe", BODY),
        (f"ported intents and out\ufffeof-scope queries, {FULL}", BODY),
        ("for a bag-", BODY),
    )

    assert sections == [
        ((), f"{FULL} supported intents and out-of-scope queries, {FULL} for a bag-")
    ]


def test_levels_come_from_numbering_then_from_type_size():
    sections = layout(
        ("Overview", LARGE),
        (FULL + ".", BODY),
        ("Details", MEDIUM),
        (FULL + ".", BODY),
        ("3 Warranty", LARGE),
        (FULL + ".", BODY),
        ("3.1 Exclusions", MEDIUM),
        (FULL + ".", BODY),
    )

    assert [path for path, _ in sections] == [
        ("Overview",),
        ("Overview", "Details"),
        ("3 Warranty",),
        ("3 Warranty", "3.1 Exclusions"),
    ]


def test_a_heading_wrapped_over_two_lines_is_one_heading():
    sections = layout(
        ("Returning a Router Bought", LARGE),
        ("in One of Our Shops", LARGE),
        (FULL + ".", BODY),
    )

    assert sections == [(("Returning a Router Bought in One of Our Shops",), FULL + ".")]


def test_a_bold_table_header_over_short_rows_is_not_a_heading():
    sections = layout(
        ("Prices", LARGE),
        (FULL + ".", BODY),
        ("Model Ports Price", BOLD),
        ("X100 4 EUR 89", BODY),
        ("X200 8 EUR 149", BODY),
    )

    assert sections == [
        (("Prices",), FULL + ".\n\nModel Ports Price\nX100 4 EUR 89\nX200 8 EUR 149")
    ]


def test_short_lines_ending_a_sentence_end_a_paragraph():
    sections = layout((FULL, BODY), ("ends here.", BODY), (FULL, BODY), ("and here.", BODY))

    assert sections == [((), f"{FULL} ends here.\n\n{FULL} and here.")]


def test_without_font_information_numbered_and_title_case_lines_are_headings():
    sections = layout(
        ("Getting Started", None),
        (FULL + ".", None),
        ("2.1 Wall Mounting", None),
        (FULL + " and a screw", None),
        ("Of Two Centimetres", None),
    )

    assert sections == [
        (("Getting Started",), FULL + "."),
        (("Getting Started", "2.1 Wall Mounting"), FULL + " and a screw Of Two Centimetres"),
    ]
