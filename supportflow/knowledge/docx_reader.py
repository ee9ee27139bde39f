"""Word (.docx) to sections with python-docx: heading styles make the heading paths.

The body is read in document order, paragraphs and tables interleaved, including what content
controls wrap. A paragraph styled Heading 1-9 (or with a style based on one) opens a heading of
that level; the Title style opens a level-0 heading, so a titled document's headings sit under
its title as a Markdown file's `##` headings sit under its `#`. Consecutive items of a list make
one block, an item per line with the marker Word shows ("-" for a bullet, "1." or "2.1." for a
number, as the list's numbering definition writes it), indented by list level; tables give a
row per line, cells joined by " | ", as the HTML reader does. Tables of contents are skipped
(they repeat the headings); headers, footers, footnotes, comments and text boxes are not read.

What a style means is worked out once per style: python-docx looks a paragraph's style up by
scanning every style of the document, which made a 5,000-paragraph file take seconds.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.styles.style import CharacterStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from supportflow.errors import DocumentLoadError
from supportflow.knowledge.document import OutlineBuilder, ParsedContent, load_error

_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: .doc, or an encrypted .docx
_HEADING_STYLE = re.compile(r"heading ([1-9])", re.I)
_TOC_STYLE = re.compile(r"toc( heading| \d)", re.I)
_NESTED_LIST_STYLE = re.compile(r"list (?:bullet|number) ([2-9])", re.I)
_LEVEL_PLACEHOLDER = re.compile(r"%([1-9])")
_MAX_STYLE_DEPTH = 10  # a damaged file may base styles on one another in a loop


def read_docx(data: bytes, source: str) -> ParsedContent:
    """Sections of a Word document; the title hint is its Title paragraph, else its core
    properties' title, else its first heading. Raises DocumentLoadError for an encrypted file,
    an old binary .doc, or a file that is damaged or not a Word document at all."""
    if data.startswith(_CFB_MAGIC):
        raise load_error(
            source, "the file is encrypted or an old .doc file; save it as an unprotected .docx"
        )
    try:
        return _read(docx.Document(io.BytesIO(data)))
    except DocumentLoadError:
        raise
    except Exception as error:
        # A damaged package surfaces from python-docx, zipfile, zlib and lxml as a dozen
        # unrelated exception types (BadZipFile, KeyError, XMLSyntaxError, AttributeError...);
        # they all mean the same thing to whoever added the file.
        reason = "the file is not a valid DOCX (damaged or not a Word file)"
        raise load_error(source, reason) from error


def _read(document: Document) -> ParsedContent:
    reader = _BodyReader(document)
    reader.read(document.element.body)
    builder = reader.builder
    core_title = (document.core_properties.title or "").strip()
    return ParsedContent(builder.sections(), reader.title or core_title or builder.first_heading)


@dataclass(frozen=True)
class _StyleRole:
    """What a paragraph style makes of its paragraphs, from the style and those it is based on."""

    is_toc: bool
    heading_level: int | None  # 0 for Title, 1-9 for Heading 1-9
    num_id: int | None  # the list numbering the style carries (List Bullet, List Number)
    list_level: int | None
    list_depth: int  # the nesting its name says: 1 for List Bullet 2


@dataclass(frozen=True)
class _ListItem:
    list_id: int  # the paragraph's numId
    depth: int  # 0 for a top-level item
    marker: str


class _BodyReader:
    """Reports a document body's headings and blocks to an `OutlineBuilder`, gathering the
    items of a list into one block."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.builder = OutlineBuilder()
        self.title: str | None = None
        self._numbers = _ListNumbers(document)
        self._roles: dict[str | None, _StyleRole] = {}
        self._list_lines: list[str] = []
        self._list_id: int | None = None  # the list being gathered

    def read(self, container: Any) -> None:
        """Read every paragraph and table of `container` (an lxml element) in order."""
        for block in _blocks(container, self.document):
            if isinstance(block, Table):
                self._block("\n".join(_table_rows(block)))
            else:
                self._paragraph(block)
        self._flush_list()

    def _paragraph(self, paragraph: Paragraph) -> None:
        role = self._role_of(paragraph)
        if role.is_toc:
            return
        if role.heading_level is not None:
            self._heading(role.heading_level, paragraph.text)
            return
        item = self._numbers.item(paragraph, role)
        if item is None:
            self._block(paragraph.text)
            return
        if item.depth == 0 and item.list_id != self._list_id:
            self._flush_list()  # another list starts: a bullet list, then a numbered one
            self._list_id = item.list_id
        if paragraph.text.strip():
            self._list_lines.append(f"{'  ' * item.depth}{item.marker} {_one_line(paragraph.text)}")

    def _role_of(self, paragraph: Paragraph) -> _StyleRole:
        style_id = paragraph._p.style
        role = self._roles.get(style_id)
        if role is None:
            role = self._roles[style_id] = _style_role(_style_chain(paragraph.style))
        return role

    def _heading(self, level: int, text: str) -> None:
        self._flush_list()
        text = _one_line(text)
        if level == 0 and self.title is None and text:
            self.title = text
        self.builder.heading(level, text)

    def _block(self, text: str) -> None:
        self._flush_list()
        self.builder.block(text)

    def _flush_list(self) -> None:
        self.builder.block("\n".join(self._list_lines))
        self._list_lines = []
        self._list_id = None


def _blocks(container: Any, document: Document) -> Iterator[Paragraph | Table]:
    """The paragraphs and tables of a body, in order, looking inside content controls
    (`w:sdt`), which templates wrap around whole passages."""
    for child in container.iterchildren():
        if isinstance(child, CT_P):
            yield Paragraph(child, document)
        elif isinstance(child, CT_Tbl):
            yield Table(child, document)
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _blocks(content, document)


def _style_chain(style: CharacterStyle | None) -> list[CharacterStyle]:
    """A style and the styles it is based on, nearest first."""
    chain: list[CharacterStyle] = []
    while style is not None and len(chain) < _MAX_STYLE_DEPTH:
        chain.append(style)
        style = style.base_style
    return chain


def _style_role(chain: list[CharacterStyle]) -> _StyleRole:
    names = [(style.name or "").strip() for style in chain]
    numbering = [_numbering(style.element) for style in chain]
    nested = _NESTED_LIST_STYLE.fullmatch(names[0]) if names else None
    return _StyleRole(
        is_toc=bool(names and _TOC_STYLE.match(names[0])),
        heading_level=_heading_level(names),
        num_id=next((num_id for num_id, _ in numbering if num_id is not None), None),
        list_level=next((level for _, level in numbering if level is not None), None),
        list_depth=int(nested.group(1)) - 1 if nested else 0,
    )


def _heading_level(names: list[str]) -> int | None:
    """0 for the Title style, 1-9 for Heading 1-9 (or a style based on one), else None."""
    for name in names:
        if name.lower() == "title":
            return 0
        if match := _HEADING_STYLE.fullmatch(name):
            return int(match.group(1))
    return None


def _numbering(element: Any) -> tuple[int | None, int | None]:
    """(numId, ilvl) set in a paragraph's or a style's properties, each None where unset."""
    num_pr = element.pPr.numPr if element.pPr is not None else None
    if num_pr is None:
        return None, None
    num_id = num_pr.numId.val if num_pr.numId is not None else None
    level = num_pr.ilvl.val if num_pr.ilvl is not None else None
    return num_id, level


def _table_rows(table: Table) -> list[str]:
    """A row per line, cells joined by " | "; a merged cell is read once per row."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[_Cell] = []
        for cell in row.cells:
            if not cells or cells[-1]._tc is not cell._tc:  # a horizontal span repeats it
                cells.append(cell)
        texts = [_cell_text(cell) for cell in cells]
        if any(texts):
            rows.append(" | ".join(texts))
    return rows


def _cell_text(cell: _Cell) -> str:
    """A cell's paragraphs (and nested tables' rows) on one line."""
    parts = (
        " ; ".join(_table_rows(block)) if isinstance(block, Table) else block.text
        for block in cell.iter_inner_content()
    )
    return " ".join(_one_line(part) for part in parts if part.strip())


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _ListNumbers:
    """The marker Word shows before a list paragraph, counting each list's items per level."""

    def __init__(self, document: Document) -> None:
        self._numbering = document.part.numbering_part.element
        self._levels: dict[tuple[int, int], tuple[str, int, str]] = {}
        self._counts: dict[int, dict[int, int]] = {}

    def item(self, paragraph: Paragraph, role: _StyleRole) -> _ListItem | None:
        """The paragraph as a list item (its list, depth and marker), or None when it is
        none: no numbering, numbering switched off (numId 0), or a level without a marker."""
        own_id, own_level = _numbering(paragraph._p)
        num_id = own_id if own_id is not None else role.num_id
        if not num_id:
            return None
        level = min(8, next((n for n in (own_level, role.list_level) if n is not None), 0))
        number_format, start, text = self._level(num_id, level)
        if number_format == "none":
            return None
        depth = level or role.list_depth
        if number_format == "bullet":
            return _ListItem(num_id, depth, "-")
        counts = self._counts.setdefault(num_id, {})
        for deeper in [lvl for lvl in counts if lvl > level]:
            del counts[deeper]  # a new item restarts the numbering of the levels below it
        counts[level] = counts.get(level, start - 1) + 1
        label = _LEVEL_PLACEHOLDER.sub(lambda m: str(counts.get(int(m.group(1)) - 1, 1)), text)
        return _ListItem(num_id, depth, label.strip() or f"{counts[level]}.")

    def _level(self, num_id: int, level: int) -> tuple[str, int, str]:
        """(numFmt, start, lvlText) of a list level; a decimal "%n." list when undefined."""
        key = (num_id, level)
        if key not in self._levels:
            self._levels[key] = self._level_definition(num_id, level)
        return self._levels[key]

    def _level_definition(self, num_id: int, level: int) -> tuple[str, int, str]:
        abstract = self._numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
        abstract_id = abstract[0] if abstract and abstract[0].isdigit() else ""
        path = f'./w:abstractNum[@w:abstractNumId="{abstract_id}"]/w:lvl[@w:ilvl="{level}"]'
        number_format = self._numbering.xpath(f"{path}/w:numFmt/@w:val")
        start = self._numbering.xpath(f"{path}/w:start/@w:val")
        text = self._numbering.xpath(f"{path}/w:lvlText/@w:val")
        return (
            number_format[0] if number_format else "decimal",
            int(start[0]) if start and start[0].isdigit() else 1,
            text[0] if text else f"%{level + 1}.",
        )
