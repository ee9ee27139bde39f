"""PDF to sections with pdfium: each page's lines with their type style, then `pdf_layout`.

Every pdfium object opened here is closed here, whatever happens, and pdfium's failures become
`DocumentLoadError`s that say in plain words what is wrong with the file.
"""

from __future__ import annotations

import ctypes
import re
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from supportflow.knowledge.document import OutlineBuilder, ParsedContent, load_error
from supportflow.knowledge.pdf_headings import TextLine, TypeStyle
from supportflow.knowledge.pdf_layout import drop_running_lines, report_layout

_LINE = re.compile(r"[^\r\n]+")
_BOLD_FONT = re.compile(r"bold|black|heavy|demi|medi(?:um)?\b", re.I)
_GENERIC_TITLE = re.compile(r"^(untitled|microsoft word - .*|.*\.(docx?|pdf|tex|odt))$", re.I)


def read_pdf(data: bytes, source: str) -> ParsedContent:
    """Sections of a PDF, one or more per page; the title hint is its metadata title or first
    heading. Raises DocumentLoadError for a protected, damaged, non-PDF or image-only file."""
    document = _open(data, source)
    try:
        title = _metadata_title(document)
        pages = [list(_page_lines(document, index, source)) for index in range(len(document))]
    finally:
        document.close()
    if not any(char.isalpha() for page in pages for line in page for char in line.text):
        raise load_error(source, "the PDF has no text layer (it looks scanned); run OCR first")
    builder = OutlineBuilder()
    report_layout(drop_running_lines(pages), builder)
    blank = ", ".join(str(number) for number, page in enumerate(pages, start=1) if not page)
    notes = (f"{source}: no text on page(s) {blank} (scanned or blank)",) if blank else ()
    return ParsedContent(builder.sections(), title or builder.first_heading, len(pages), notes)


def _open(data: bytes, source: str) -> Any:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise load_error(source, _open_failure(data, error.err_code)) from error


def _open_failure(data: bytes, code: int | None) -> str:
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return "the PDF is password-protected; add an unprotected copy instead"
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return "the PDF is encrypted with a scheme that cannot be read"
    if b"%PDF-" not in data[:1024]:
        return "the file is not a PDF (it has no PDF header) although its name ends in .pdf"
    return "the PDF is damaged or truncated"


def _metadata_title(document: Any) -> str | None:
    title = str(document.get_metadata_dict().get("Title", "")).strip()
    return None if not title or _GENERIC_TITLE.match(title) else title


def _page_lines(document: Any, index: int, source: str) -> Iterator[TextLine]:
    try:
        page = document[index]
    except pdfium.PdfiumError as error:
        raise load_error(source, f"page {index + 1} of the PDF is damaged") from error
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            for match in _LINE.finditer(text):
                line = match.group()
                if line.strip():
                    start = match.start() + len(line) - len(line.lstrip())
                    end = match.start() + len(line.rstrip())
                    yield TextLine(line.strip(), index + 1, _line_style(textpage, start, end))
        finally:
            textpage.close()
    finally:
        page.close()


def _line_style(textpage: Any, start: int, end: int) -> TypeStyle | None:
    """The style of a line, sampled at its first and last visible characters: the smaller size,
    and bold only if both are (a line that starts with a bold label is not a heading)."""
    samples = [s for s in (_char_style(textpage, i) for i in (start, end - 1)) if s]
    if not samples:
        return None
    return TypeStyle(min(s.size for s in samples), all(s.is_bold for s in samples))


def _char_style(textpage: Any, text_index: int) -> TypeStyle | None:
    char = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage.raw, text_index)
    if char < 0:
        return None
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, char)
    if size <= 0:
        return None
    name = ctypes.create_string_buffer(256)
    flags = ctypes.c_int()
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, char, name, len(name), ctypes.byref(flags))
    weight = pdfium_c.FPDFText_GetFontWeight(textpage.raw, char)
    is_bold = weight >= 600 or bool(_BOLD_FONT.search(name.value.decode("utf-8", "replace")))
    return TypeStyle(round(size, 1), is_bold)
