"""Which lines of PDF text are headings, and at what level.

A line is taken for a heading when it reads like one (short, starting with a capital or a
section number, no final period) and
- in a document that sets headings apart by type, when it is set larger or bolder than the body
  text. Its level is its numbering depth ("2.1 Returns" is 2); an unnumbered heading takes the
  level of numbered headings in its type style, else one below the deepest numbered style more
  prominent than its own; in a document without numbered headings, the rank of its style.
- in a document with one type style throughout, when it is numbered, or in Title Case right
  after a finished sentence (level 1).
Consecutive heading lines in the same style are one wrapped heading. A "heading" followed by a
line of its own style that is no heading is a bold paragraph (or a figure's text), and a bold
unnumbered line over short lines that are no sentences is a table's header row: both are body
text after all.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([^\W\d_].*)$")
BULLET = re.compile(r"^(?:[•◦▪▫●○■□‣⁃–\-*]|\d{1,2}[.)]|[a-z][.)])\s")
_SENTENCE_END = (".", "!", "?", ":", '."', ".”", ".)")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into nor of on or per the to via vs with".split()
)


@dataclass(frozen=True)
class TypeStyle:
    size: float  # points, rounded to a tenth
    is_bold: bool


@dataclass(frozen=True)
class TextLine:
    text: str
    page: int  # 1-based
    style: TypeStyle | None  # None where pdfium reports no font


class Typography:
    """The body text's style and the heading level of each heading style in one document."""

    def __init__(self, lines: list[TextLine]) -> None:
        chars: Counter[TypeStyle] = Counter()
        for line in lines:
            if line.style:
                chars[line.style] += len(line.text)
        self.body = chars.most_common(1)[0][0] if chars else None
        candidates = [
            line for line in lines if self.is_emphasised(line) and _reads_like_heading(line.text)
        ]
        self.is_styled = bool(candidates)
        numbered_levels: dict[TypeStyle, int] = {}
        for line in candidates:
            if line.style and (numbered := NUMBERED.match(line.text.strip())):
                depth = _depth(numbered)
                numbered_levels[line.style] = min(depth, numbered_levels.get(line.style, depth))
        styles = sorted({line.style for line in candidates if line.style}, key=_prominence)
        self._levels = _style_levels(styles, numbered_levels)

    def is_emphasised(self, line: TextLine) -> bool:
        """Whether `line` is set larger or bolder than the body text (never smaller)."""
        body, style = self.body, line.style
        if body is None or style is None or style.size < body.size * 0.95:
            return False
        return style.size >= body.size * 1.1 or (style.is_bold and not body.is_bold)

    def level(self, line: TextLine) -> int:
        return self._levels.get(line.style, 1) if line.style else 1


@dataclass
class PendingHeading:
    """A heading held back until the next line shows whether it wraps onto that line."""

    level: int
    text: str
    first_line: TextLine

    def is_continued_by(self, line: TextLine, typography: Typography) -> bool:
        text = line.text.strip()
        return (
            typography.is_styled
            and line.style == self.first_line.style
            and line.page == self.first_line.page
            and typography.is_emphasised(line)
            and len(self.text) + len(text) <= 160
            and not NUMBERED.match(text)
            and not text.endswith((".", ";", ","))
        )

    def is_body_text_before(
        self, line: TextLine, typography: Typography, *, line_is_short: bool
    ) -> bool:
        """Whether `line`, which is no heading, shows this "heading" to be body text after all:
        emphasised text running on in its own style (a bold paragraph, a figure's text), or a
        bold unnumbered line over short lines that are no sentences (a table's header row)."""
        if not typography.is_styled:
            return False
        if line.style == self.first_line.style:
            return True
        text = line.text.strip()
        body, style = typography.body, self.first_line.style
        is_bold_only = body is not None and style is not None and style.size < body.size * 1.1
        return (
            is_bold_only
            and not NUMBERED.match(self.text)
            and line.page == self.first_line.page
            and line_is_short
            and not ends_sentence(text)
            and not BULLET.match(text)
        )


def heading_level(line: TextLine, previous: TextLine | None, typography: Typography) -> int | None:
    text = line.text.strip()
    if not _reads_like_heading(text, allow_question=typography.is_styled):
        return None
    numbered = NUMBERED.match(text)
    if typography.is_styled:
        if not typography.is_emphasised(line):
            return None
        return _depth(numbered) if numbered else typography.level(line)
    if numbered:
        return _depth(numbered)
    after_sentence = previous is None or previous.page != line.page
    after_sentence = after_sentence or (previous is not None and ends_sentence(previous.text))
    return 1 if _is_title_case(text) and after_sentence else None


def _reads_like_heading(text: str, *, allow_question: bool = True) -> bool:
    text = text.strip()
    numbered = NUMBERED.match(text)
    if not text or len(text) > 90 or len(text.split()) > 12:
        return False
    if BULLET.match(text) and not numbered:
        return False
    if text.endswith((".", ",", ";", ":")) or (text.endswith("?") and not allow_question):
        return False
    if sum(char.isalpha() for char in text) < 2:
        return False
    if numbered:
        return numbered.group(2)[0].isupper()
    first = next(char for char in text if char.isalnum())
    return first.isupper()


def _is_title_case(text: str) -> bool:
    words: list[str] = re.findall(r"[^\W\d_][\w'’-]*", text)
    significant = [word for word in words if word.lower() not in _SMALL_WORDS]
    if not significant or not words[0][0].isupper():
        return False
    return sum(word[0].isupper() for word in significant) >= 0.8 * len(significant)


def ends_sentence(text: str) -> bool:
    return text.rstrip().endswith(_SENTENCE_END)


def _depth(numbered: re.Match[str]) -> int:
    return numbered.group(1).count(".") + 1


def _style_levels(
    styles: list[TypeStyle], numbered_levels: dict[TypeStyle, int]
) -> dict[TypeStyle, int]:
    """Heading level per style (`styles` most prominent first). Without numbered headings, the
    rank; with them, a style numbered headings use has their level, and any other style one
    below the deepest numbered style more prominent than it (level 1 if none is)."""
    if not numbered_levels:
        return {style: rank for rank, style in enumerate(styles, 1)}
    levels: dict[TypeStyle, int] = {}
    deepest_above = 0
    for style in styles:
        if style in numbered_levels:
            levels[style] = numbered_levels[style]
            deepest_above = max(deepest_above, levels[style])
        else:
            levels[style] = deepest_above + 1
    return levels


def _prominence(style: TypeStyle) -> tuple[float, bool]:
    return (-style.size, not style.is_bold)
