"""Fixtures for the knowledge base: small PDFs written with fpdf2, a migrated SQLite file, and
the real MiniLM embedding model (with a counting wrapper)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy.orm import Session

from supportflow.knowledge.embeddings import Embedder, Vectors, load_embedder
from supportflow.store.db import Database, open_database
from supportflow.store.models import Tenant

# A page is a list of (kind, text); kinds: h1, h2 (bold, larger), p (wrapped body text),
# item (a bullet line), row (a table row, cells joined by " | " in the test's text).
Page = list[tuple[str, str]]
MakePdf = Callable[..., Path]

_STYLES = {"h1": ("B", 18, 10), "h2": ("B", 14, 8), "p": ("", 11, 6), "item": ("", 11, 6)}

ROUTER_MANUAL: list[Page] = [
    [
        ("h1", "1. Setup"),
        ("p", "Plug the router into a wall socket and wait until the power light turns green. "
              "The first start takes about two minutes while the firmware checks for updates. "
              "Do not unplug the router during this time."),
        ("h2", "1.1 Connecting Cables"),
        ("p", "Use the yellow cable for the internet port and the blue cable for a computer."),
        ("item", "- Yellow cable: internet"),
        ("item", "- Blue cable: computer"),
        ("row", "Model | Ports | Speed"),
        ("row", "X100 | 4 | 1 Gbit/s"),
    ],
    [
        ("h1", "2. Troubleshooting"),
        ("p", "If the light blinks red, restart the router. Hold the reset button for ten "
              "seconds to restore the factory settings."),
    ],
]  # fmt: skip


def write_pdf(
    path: Path, pages: list[Page], *, title: str | None = None, user_password: str | None = None
) -> Path:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if user_password:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    for page in pages:
        pdf.add_page()
        for kind, text in page:
            _write_block(pdf, kind, text)
    pdf.output(str(path))
    return path


def _write_block(pdf: FPDF, kind: str, text: str) -> None:
    if kind == "row":
        pdf.set_font("Helvetica", "", 11)
        for cell in text.split(" | "):
            pdf.cell(45, 7, cell)
        pdf.ln(7)
        return
    style, size, height = _STYLES[kind]
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
    if kind == "p":
        pdf.ln(2)


@pytest.fixture
def make_pdf(tmp_path: Path) -> MakePdf:
    """make_pdf(name, pages=ROUTER_MANUAL, title=..., user_password=...) -> path in tmp_path."""

    def make(name: str = "manual.pdf", pages: list[Page] | None = None, **options: str) -> Path:
        return write_pdf(tmp_path / name, ROUTER_MANUAL if pages is None else pages, **options)

    return make


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, made once; tests copy it (faster than migrating)."""
    path = tmp_path_factory.mktemp("kb-template") / "kb.db"
    database = open_database(f"sqlite:///{path}")
    database.migrate()
    database.dispose()
    return path


@pytest.fixture
def kb_database(tmp_path: Path, migrated_template: Path) -> Iterator[Database]:
    path = tmp_path / "kb.db"
    shutil.copyfile(migrated_template, path)
    database = open_database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def session(kb_database: Database) -> Iterator[Session]:
    """A session on a migrated database holding tenants 1 ("acme") and 2 ("globex")."""
    with kb_database.session() as session:
        for slug in ("acme", "globex"):
            session.add(Tenant(slug=slug, name=slug.title(), support_address=f"help@{slug}.test",
                               config_dir=f"/tenants/{slug}"))  # fmt: skip
        session.flush()
        yield session


@pytest.fixture(scope="session")
def minilm() -> Embedder:
    """The real all-MiniLM-L6-v2 int8 model (about 0.3 s to load, once per process)."""
    return load_embedder("minilm")


class CountingEmbedder:
    """The real model behind a counter of the texts it was asked to embed."""

    def __init__(self, inner: Embedder, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or inner.name
        self.dimensions = inner.dimensions
        self.documents_embedded = 0
        self.queries_embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents_embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        self.queries_embedded += 1
        return self.inner.embed_query(text)


@pytest.fixture
def counting(minilm: Embedder) -> CountingEmbedder:
    return CountingEmbedder(minilm)
