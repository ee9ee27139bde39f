"""The generated PDF manuals: real multi-page PDFs with extractable text, same bytes each run."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pydantic import ValidationError

from supportflow.demo.pdfs import ManualTable, write_demo_pdfs

MINIMUM_PAGES = {
    "glide-s-series-user-manual.pdf": 4,
    "pane-p1-user-manual.pdf": 3,
    "smart-dock-installation-guide.pdf": 2,
    "warranty-care-plus-terms.pdf": 2,
}
KNOWN_PHRASES = {
    "glide-s-series-user-manual.pdf": "Wheel stall",
    "pane-p1-user-manual.pdf": "safety tether",
    "smart-dock-installation-guide.pdf": "ERR-DOCK-07",
    "warranty-care-plus-terms.pdf": "Accidental damage",
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_pdfs(tmp_path_factory.mktemp("pdfs") / "new-folder")


def _pages_and_text(path: Path) -> tuple[int, str]:
    document = pdfium.PdfDocument(path)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return len(document), "\n".join(texts)
    finally:
        document.close()


def test_writes_the_four_manuals(pdfs):
    assert sorted(p.name for p in pdfs) == sorted(MINIMUM_PAGES)
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)


@pytest.mark.parametrize("name", sorted(MINIMUM_PAGES))
def test_manual_opens_with_its_pages_and_searchable_text(pdfs, name):
    path = next(p for p in pdfs if p.name == name)
    pages, text = _pages_and_text(path)
    assert pages >= MINIMUM_PAGES[name]
    assert KNOWN_PHRASES[name] in text
    assert "Brightwave Home Robotics" in text


def test_error_table_text_survives_extraction(pdfs):
    _, text = _pages_and_text(pdfs[0])
    assert "E-104" in text and "ERR-DOCK-07" in text and "0 °C and 40 °C" in text


def test_same_bytes_on_every_run(pdfs, tmp_path):
    again = write_demo_pdfs(tmp_path)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in pdfs]


def test_table_rows_must_fit_the_columns():
    with pytest.raises(ValidationError, match="wrong length"):
        ManualTable(columns=["a", "b"], widths=[10, 10], rows=[["1", "2", "3"]])
