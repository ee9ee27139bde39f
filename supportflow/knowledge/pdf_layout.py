"""Lines of PDF text to headings and paragraphs.

pdfium gives a page as lines with no structure. Running headers, footers and page numbers are
dropped first; `pdf_headings` decides which lines are headings; the other lines are joined into
paragraphs: a wrapped line joins the one before it, a short line ending a sentence ends a
paragraph, and list items and table-like rows keep a line each. pdfium marks a hyphen at a line
break with a control character (and often puts both halves of the word on one line); those
marks are resolved here.
"""

from __future__ import annotations

import re
from collections import Counter

from supportflow.knowledge.document import OutlineBuilder
from supportflow.knowledge.pdf_headings import (
    BULLET,
    PendingHeading,
    TextLine,
    Typography,
    ends_sentence,
    heading_level,
)

SOFT_HYPHENS = ("\ufffe", "\x02")  # pdfium's marks for a word hyphenated at a line break
_ROW = re.compile(r"\|.*\||\t|\S {2,}\S.* {2,}\S")
_SOFT_HYPHEN = re.compile("[" + "".join(SOFT_HYPHENS) + "]")
_COMPOUND_HYPHEN = re.compile(_SOFT_HYPHEN.pattern + r"(?=[^\s-]+-)")
_FIGURE = re.compile(r"^[-+±]?[$€£]?\d[\d.,]*%?$|^[—–✓✗-]$")
_PAGE_NUMBER = re.compile(r"^[\s\-–]*(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?[\s\-–]*$", re.I)
_NARROWEST_FULL_LINE = 50  # characters


def drop_running_lines(pages: list[list[TextLine]]) -> list[TextLine]:
    """All lines in reading order, less page numbers and headers/footers repeated on most pages."""
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_edge_key(line.text) for line in page[:1] + page[-1:]})
    repeated = {key for key, n in counts.items() if len(pages) >= 3 and n > len(pages) / 2}
    kept = []
    for page in pages:
        for position, line in enumerate(page):
            is_first_or_last = position in (0, len(page) - 1)
            near_edge = position < 2 or position >= len(page) - 2
            if (is_first_or_last and _edge_key(line.text) in repeated) or (
                near_edge and _PAGE_NUMBER.match(line.text)
            ):
                continue
            kept.append(line)
    return kept


def report_layout(lines: list[TextLine], builder: OutlineBuilder) -> None:
    """Report the headings and paragraphs found in `lines` to `builder`."""
    typography = Typography(lines)
    widths = _LineWidths(lines)
    paragraphs = _ParagraphBuffer(builder, widths)
    heading: PendingHeading | None = None
    previous: TextLine | None = None
    for line in lines:
        if heading and heading.is_continued_by(line, typography):
            heading.text = f"{heading.text} {line.text.strip()}"
        elif (level := heading_level(line, previous, typography)) is not None:
            paragraphs.flush()
            if heading:
                builder.heading(heading.level, heading.text)
            heading = PendingHeading(level, line.text.strip(), line)
        else:
            if heading and heading.is_body_text_before(
                line, typography, line_is_short=widths.is_short(line)
            ):
                paragraphs.add(TextLine(heading.text, heading.first_line.page, line.style))
            elif heading:
                builder.heading(heading.level, heading.text)
            heading = None
            paragraphs.add(line)
        previous = line
    paragraphs.flush()
    if heading:
        builder.heading(heading.level, heading.text)


class _LineWidths:
    """How long a full line of text is, per page and type style, to tell a line that ends a
    paragraph or stands alone (shorter than 3/4 of that) from a wrapped one."""

    def __init__(self, lines: list[TextLine]) -> None:
        lengths: dict[object, list[int]] = {}
        for line in lines:
            for key in ((line.page, line.style), line.page):
                lengths.setdefault(key, []).extend(
                    len(visual) for visual in _visual_lines(line.text) if visual
                )
        # The 75th percentile: most lines of running text are full, a table's are not.
        self._full = {key: sorted(n)[(len(n) * 3) // 4] for key, n in lengths.items() if n}
        self._counts = {key: len(n) for key, n in lengths.items()}

    def is_short(self, line: TextLine) -> bool:
        if line.text.endswith(SOFT_HYPHENS):  # hyphenated at the break: the line is full
            return False
        key: object = (line.page, line.style)
        if self._counts.get(key, 0) < 5:  # too few lines in this style to judge by
            key = line.page
        # A page of nothing but short lines says nothing about the text width: assume a
        # narrow column at least.
        full = max(self._full.get(key, 0), _NARROWEST_FULL_LINE)
        return len(_visual_lines(line.text)[-1]) < 0.75 * full


class _ParagraphBuffer:
    """Joins wrapped body lines into blocks, keeping list items and table rows on lines."""

    def __init__(self, builder: OutlineBuilder, widths: _LineWidths) -> None:
        self._builder = builder
        self._widths = widths
        self._lines: list[str] = []
        self._page: int | None = None
        self._last_was_short = False

    def add(self, line: TextLine) -> None:
        text = line.text.strip()
        is_item = _is_item(text)
        if line.page != self._page:
            self.flush()
            self._page = line.page
        if not self._lines:
            self._lines.append(text)
        elif is_item:
            if not _is_item(self._lines[0]):
                self.flush()
            self._lines.append(text)
        elif self._last_was_short:
            # A short line was not wrapped: after a sentence it ends a paragraph, otherwise
            # it is a line of its own (a table row, an address).
            if ends_sentence(self._lines[-1]):
                self.flush()
            self._lines.append(text)
        else:
            self._lines[-1] = _join_wrapped(self._lines[-1], text)
        self._last_was_short = self._widths.is_short(line)

    def flush(self) -> None:
        self._builder.block(_resolve_soft_hyphens("\n".join(self._lines)), page=self._page)
        self._lines = []


def _visual_lines(text: str) -> list[str]:
    """pdfium puts a word hyphenated at a line break on one line; these are the lines seen."""
    return _SOFT_HYPHEN.split(text)


def _resolve_soft_hyphens(text: str) -> str:
    """Drop pdfium's line-break hyphen marks, keeping the hyphen where the word is a compound
    ("out-" + "of-scope"); pdfium marks every hyphen at a line break, real or not."""
    return _SOFT_HYPHEN.sub("", _COMPOUND_HYPHEN.sub("-", text))


def _is_item(text: str) -> bool:
    """A list item, or a table row: cells apart, or three or more figures in a row."""
    if BULLET.match(text) or _ROW.search(text):
        return True
    tokens = text.split()
    figures = sum(bool(_FIGURE.match(token)) for token in tokens)
    return figures >= 3 and figures >= 0.4 * len(tokens)


def _join_wrapped(previous: str, text: str) -> str:
    if previous.endswith(SOFT_HYPHENS):
        return previous + text  # the mark is resolved by `_resolve_soft_hyphens`
    if len(previous) > 1 and previous.endswith("-") and previous[-2].isalpha():
        return previous + text
    return f"{previous} {text}"


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())
