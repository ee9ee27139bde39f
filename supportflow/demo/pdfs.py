"""The demo's PDF manuals, rendered with fpdf2 from the YAML texts in `demo/manuals/`.

PDFs are generated rather than committed so that their words stay reviewable in the YAML and
the repository holds no binaries. Each section starts on a new page, so a manual has at least
as many pages as sections, plus a cover page. The creation date is fixed, which makes the bytes
identical from run to run. Text must be Latin-1: the core Helvetica font cannot show more.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Self

import yaml
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from supportflow.errors import InternalError

CREATION_DATE = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
_FONT = "Helvetica"
_LINE = 5.5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManualTable(_Strict):
    """A table: a heading row (`columns`), widths in millimetres and the body rows."""

    columns: list[str]
    widths: list[float]
    rows: list[list[str]]

    @model_validator(mode="after")
    def _rows_fit_columns(self) -> Self:
        if len(self.widths) != len(self.columns):
            raise ValueError(f"table {self.columns}: one width per column")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.columns}: row {row} has the wrong length")
        return self


class ManualBlock(_Strict):
    """One block of a section; exactly one of its fields is set."""

    paragraph: str | None = None
    subheading: str | None = None
    numbered: list[str] | None = None
    bullets: list[str] | None = None
    table: ManualTable | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Self:
        if len(self.model_fields_set) != 1:
            raise ValueError(f"a block sets exactly one field, not {sorted(self.model_fields_set)}")
        return self


class ManualSection(_Strict):
    heading: str
    blocks: list[ManualBlock]


class Manual(_Strict):
    """A whole PDF: the file name it is written to, its title page and its sections."""

    file: str = Field(pattern=r"^[a-z0-9-]+\.pdf$")
    title: str
    subtitle: str
    sections: list[ManualSection]

    @model_validator(mode="after")
    def _latin1_only(self) -> Self:
        text = json.dumps(self.model_dump(), ensure_ascii=False)
        try:
            text.encode("latin-1")
        except UnicodeEncodeError as exc:
            bad = text[exc.start : exc.end]
            raise ValueError(f"{self.file}: {bad!r} is not Latin-1") from exc
        return self


def load_manuals() -> list[Manual]:
    """Read every manual text shipped in `supportflow/demo/manuals/`, sorted by file name.

    Raises InternalError when the shipped YAML is broken: that is a bug in the package.
    """
    folder = resources.files("supportflow.demo") / "manuals"
    sources = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".yaml")), key=lambda i: i.name
    )
    manuals = []
    for source in sources:
        try:
            manuals.append(Manual.model_validate(yaml.safe_load(source.read_text("utf-8"))))
        except (yaml.YAMLError, ValidationError) as exc:
            raise InternalError(f"demo manual {source.name} is invalid: {exc}") from exc
    return manuals


def write_demo_pdfs(folder: Path) -> list[Path]:
    """Render every demo manual into `folder` (created if missing); return the written paths.

    The same fpdf2 version writes the same bytes every time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for manual in load_manuals():
        path = folder / manual.file
        path.write_bytes(render_manual(manual))
        paths.append(path)
    return paths


def render_manual(manual: Manual) -> bytes:
    """Lay out one manual: a cover page with contents, then one page (or more) per section."""
    pdf = _ManualPDF(manual.title)
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_title(manual.title)
    pdf.set_author("Brightwave Home Robotics")
    pdf.set_creator("supportflow demo")
    pdf.set_lang("en")
    pdf.set_auto_page_break(auto=True, margin=18)
    _write_cover(pdf, manual)
    for section in manual.sections:
        pdf.add_page()
        pdf.set_font(_FONT, "B", 15)
        pdf.multi_cell(0, 8, section.heading, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        for block in section.blocks:
            _write_block(pdf, block)
    return bytes(pdf.output())


class _ManualPDF(FPDF):
    """FPDF with a running footer naming the manual and the page."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FONT, "I", 8)
        self.cell(
            0,
            6,
            f"Brightwave Home Robotics - {self._footer_text} - page {self.page_no()}",
            align="C",
        )


def _write_cover(pdf: FPDF, manual: Manual) -> None:
    pdf.add_page()
    pdf.set_font(_FONT, "B", 11)
    pdf.cell(0, 8, "BRIGHTWAVE HOME ROBOTICS", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(30)
    pdf.set_font(_FONT, "B", 22)
    pdf.multi_cell(0, 11, manual.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font(_FONT, "", 12)
    pdf.multi_cell(0, 7, manual.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(15)
    pdf.set_font(_FONT, "B", 12)
    pdf.cell(0, 8, "Contents", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FONT, "", 11)
    for section in manual.sections:  # no page numbers: a long section may run onto two pages
        pdf.cell(0, 7, section.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(15)
    pdf.set_font(_FONT, "", 10)
    pdf.multi_cell(
        0,
        _LINE,
        "Questions? Write to support@brightwave.example.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _write_block(pdf: FPDF, block: ManualBlock) -> None:
    if block.subheading is not None:
        pdf.ln(2)
        pdf.set_font(_FONT, "B", 12)
        pdf.multi_cell(0, 7, block.subheading, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif block.paragraph is not None:
        pdf.set_font(_FONT, "", 10.5)
        pdf.multi_cell(0, _LINE, block.paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif block.numbered is not None:
        _write_list(pdf, [f"{n}." for n in range(1, len(block.numbered) + 1)], block.numbered)
    elif block.bullets is not None:
        _write_list(pdf, ["-"] * len(block.bullets), block.bullets)
    elif block.table is not None:
        _write_table(pdf, block.table)
    pdf.ln(2)


def _write_list(pdf: FPDF, markers: list[str], items: list[str]) -> None:
    """Items with a hanging marker, so wrapped lines align under the text, not the number."""
    pdf.set_font(_FONT, "", 10.5)
    indent = 8
    for marker, item in zip(markers, items, strict=True):
        pdf.set_x(pdf.l_margin + 2)
        pdf.cell(indent - 2, _LINE, marker)
        pdf.multi_cell(pdf.epw - indent, _LINE, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.8)


def _write_table(pdf: FPDF, table: ManualTable) -> None:
    pdf.set_font(_FONT, "", 9.5)
    with pdf.table(
        col_widths=tuple(table.widths),
        width=sum(table.widths),
        align="LEFT",
        text_align="LEFT",
        line_height=5,
    ) as rendered:
        for values in [table.columns, *table.rows]:
            row = rendered.row()
            for value in values:
                row.cell(value)
