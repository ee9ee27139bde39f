"""Load a knowledge-base file (PDF, Word, Markdown, HTML or plain text) into titled sections.

The file's kind comes from its extension; the reader for that kind finds the structure, and this
module adds what every kind shares: reading the bytes, hashing them (so an unchanged file can be
skipped), decoding text, choosing the title and refusing files with nothing to index.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from supportflow.knowledge.document import (
    LoadedDocument,
    OutlineBuilder,
    ParsedContent,
    Section,
    clean_line,
    load_error,
)
from supportflow.knowledge.docx_reader import read_docx
from supportflow.knowledge.html_reader import read_html
from supportflow.knowledge.markdown_reader import read_markdown
from supportflow.knowledge.pdf_reader import read_pdf

__all__ = ["LoadedDocument", "Section", "load_document", "SUPPORTED_EXTENSIONS"]

SUPPORTED_EXTENSIONS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
}
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")
_MAX_TEXT_TITLE = 100
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def load_document(path: Path, *, title: str | None = None) -> LoadedDocument:
    """Read `path` into a `LoadedDocument`; `title` overrides the title found in the file.

    Raises DocumentLoadError, naming the file, when it is missing, empty, of an unsupported kind,
    undecodable, or (for PDFs and DOCX files) protected, damaged, not really of their kind, or
    (PDFs) without a text layer.
    """
    source = str(path)
    kind = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        raise load_error(source, f"unsupported file type {path.suffix!r} (supported: {supported})")
    data = _read_bytes(path)
    notes: list[str] = []
    parsed = _parse(kind, data, source, notes)
    if not any(section.text.strip() for section in parsed.sections):
        raise load_error(source, "the file has no readable text")
    return LoadedDocument(
        source=source,
        kind=kind,
        title=clean_line(title or "") or parsed.title or path.stem,
        sections=parsed.sections,
        page_count=parsed.page_count,
        content_hash=hashlib.sha256(data).hexdigest(),
        notes=tuple(notes) + parsed.notes,
    )


def file_hash(path: Path) -> str:
    """The sha256 hex digest of a file's bytes, as `LoadedDocument.content_hash` has it."""
    return hashlib.sha256(_read_bytes(path)).hexdigest()


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise load_error(str(path), "the file does not exist") from error
    except IsADirectoryError as error:
        raise load_error(str(path), "it is a folder, not a file") from error
    except OSError as error:
        raise load_error(str(path), f"the file cannot be read ({error.strerror})") from error
    if not data.strip():
        raise load_error(str(path), "the file is empty")
    return data


def _parse(kind: str, data: bytes, source: str, notes: list[str]) -> ParsedContent:
    if kind == "pdf":
        return read_pdf(data, source)
    if kind == "docx":
        return read_docx(data, source)
    if kind == "html":
        return read_html(data)
    text = decode_text(data, source, notes)
    if kind == "markdown":
        return read_markdown(text)
    return _read_text(text)


def decode_text(data: bytes, source: str, notes: list[str]) -> str:
    """Text from bytes: UTF-8 (or UTF-16 with a byte-order mark), else cp1252, else Latin-1,
    adding a note when a fallback was used. Raises DocumentLoadError for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise load_error(source, "the text is not valid UTF-16") from error
    if b"\x00" in data:
        raise load_error(source, "the file holds binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Not UTF-8: most such files in the wild are Windows-1252; Latin-1 accepts any byte.
        for encoding in _FALLBACK_ENCODINGS:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            notes.append(f"{source} is not UTF-8; read it as {encoding}")
            return text
    raise load_error(source, "the text cannot be decoded")


def _read_text(text: str) -> ParsedContent:
    """Plain text is one section; its first line is the title when it is short."""
    builder = OutlineBuilder()
    for paragraph in _PARAGRAPH_BREAK.split("\n".join(text.splitlines())):
        builder.block(paragraph)
    sections = builder.sections()
    first_line = sections[0].text.split("\n", 1)[0] if sections else ""
    return ParsedContent(sections, first_line if len(first_line) <= _MAX_TEXT_TITLE else None)
