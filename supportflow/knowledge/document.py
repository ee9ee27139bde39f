"""What a loaded knowledge-base document is: titled sections under heading paths.

Every reader (PDF, DOCX, Markdown, HTML, text) reports the same two things in reading order,
headings with a level and blocks of text, to an `OutlineBuilder`; the builder turns them into
`Section`s whose `heading_path` is the chain of enclosing headings. A block is a paragraph,
a list or a table; a list or table keeps one item or row per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportflow.errors import DocumentLoadError

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]+")


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path; `page` is 1-based for PDFs, else None."""

    text: str
    heading_path: tuple[str, ...]
    page: int | None


@dataclass(frozen=True)
class LoadedDocument:
    """A document read from a file, before chunking.

    `notes` says what a reader had to guess (for example a text encoding other than UTF-8).
    """

    source: str
    kind: str  # "pdf" | "docx" | "markdown" | "html" | "text"
    title: str
    sections: tuple[Section, ...]
    page_count: int | None
    content_hash: str  # sha256 hex of the file bytes
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedContent:
    """What a format reader found: the sections and the title it suggests, if any."""

    sections: tuple[Section, ...]
    title: str | None
    page_count: int | None = None
    notes: tuple[str, ...] = ()


def load_error(source: str, reason: str) -> DocumentLoadError:
    """The error for a document that cannot be loaded, naming the file and the reason."""
    return DocumentLoadError(f"cannot load {source}: {reason}")


def clean_line(text: str) -> str:
    """One line with runs of spaces collapsed and the ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def clean_block(text: str) -> str:
    """A block with each line cleaned, its indentation (nested list items) kept, and empty
    lines dropped."""
    lines = (
        line[: len(line) - len(line.lstrip(" "))] + clean_line(line)
        for line in text.splitlines()
        if line.strip()
    )
    return "\n".join(lines)


class OutlineBuilder:
    """Collects headings and blocks, in reading order, into `Section`s.

    A heading closes the current section and replaces every open heading of the same or a
    deeper level. A new page also closes the section, so that each section has one page.
    """

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []
        self._blocks: list[str] = []
        self._page: int | None = None
        self._sections: list[Section] = []
        self.first_heading: str | None = None

    def heading(self, level: int, text: str) -> None:
        """Open a heading of `level` (1 is the top); blank headings are ignored."""
        text = clean_line(text)
        if not text:
            return
        self._flush()
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, text))
        if self.first_heading is None:
            self.first_heading = text

    def block(self, text: str, *, page: int | None = None) -> None:
        """Add a paragraph, list or table under the open headings; blank blocks are ignored."""
        text = clean_block(text)
        if not text:
            return
        if page != self._page:
            self._flush()
            self._page = page
        self._blocks.append(text)

    def sections(self) -> tuple[Section, ...]:
        """Every section collected so far, closing the current one."""
        self._flush()
        return tuple(self._sections)

    def _flush(self) -> None:
        if self._blocks:
            path = tuple(text for _, text in self._open)
            self._sections.append(Section("\n\n".join(self._blocks), path, self._page))
        self._blocks = []
