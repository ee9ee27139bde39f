"""The tenant's knowledge base: add, list and delete documents, and search their passages.

A document is loaded, chunked and written as one `KbDocument` with its `KbChunk`s; every search
index (`PassageIndex`: the FTS5 keyword index now, a vector index later) is written in the same
transaction, so the chunks and the indexes never disagree. The caller owns the transaction:
these functions flush but never commit, and after an error the caller rolls back.
Re-adding a file is cheap when nothing changed: its bytes are hashed first and compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from supportflow.errors import NotFoundError
from supportflow.knowledge.chunking import Chunk, chunk_document
from supportflow.knowledge.keyword_index import FTS_DDL, KeywordIndex
from supportflow.knowledge.loaders import LoadedDocument, file_hash, load_document
from supportflow.knowledge.passages import Passage, PassageIndex
from supportflow.knowledge.query import highlight_terms
from supportflow.store.models import KbChunk, KbDocument

__all__ = [
    "FTS_DDL",
    "AddResult",
    "Passage",
    "add_document",
    "delete_document",
    "highlight_terms",
    "list_documents",
    "search",
]

SECTION_SEPARATOR = " > "
_INDEXES: tuple[PassageIndex, ...] = (KeywordIndex(),)
_KEYWORD = _INDEXES[0]


@dataclass(frozen=True)
class AddResult:
    document_id: int
    status: Literal["added", "updated", "unchanged"]
    title: str
    chunk_count: int
    notes: tuple[str, ...] = ()  # what the loader had to guess, e.g. a text encoding


def add_document(
    session: Session,
    *,
    tenant_id: int,
    path: Path,
    title: str | None = None,
    tags: Sequence[str] = (),
) -> AddResult:
    """Add the file at `path` to the tenant's knowledge base, or refresh it.

    The document is keyed by `str(path)`. Same bytes, title and tags as stored: "unchanged",
    nothing written. Same bytes with a new title or tags: "updated" in place. New bytes: loaded
    and chunked again, the old chunks and index rows replaced. `tags` replace the stored tags;
    `title=None` keeps the title found in the file. Raises DocumentLoadError when the file
    cannot be loaded, before anything is written.
    """
    source, wanted_tags = str(path), normalise_tags(tags)
    record = session.scalar(
        select(KbDocument).where(KbDocument.tenant_id == tenant_id, KbDocument.source == source)
    )
    if record is not None and record.content_hash == file_hash(path):
        return _refresh_metadata(session, record, title, wanted_tags)
    document = load_document(path, title=title)
    chunks = chunk_document(document)
    status: Literal["added", "updated"] = "added" if record is None else "updated"
    if record is None:
        record = KbDocument(tenant_id=tenant_id, source=source)
        session.add(record)
    else:
        _remove_chunks(session, record)
    _describe(record, document, wanted_tags, len(chunks))
    session.flush()
    _write_chunks(session, record, chunks)
    return AddResult(record.id, status, record.title, len(chunks), document.notes)


def list_documents(session: Session, *, tenant_id: int) -> list[KbDocument]:
    """The tenant's documents, by source."""
    query = select(KbDocument).where(KbDocument.tenant_id == tenant_id)
    return list(session.scalars(query.order_by(KbDocument.source)))


def delete_document(session: Session, *, tenant_id: int, document_id: int) -> None:
    """Delete a document with its chunks and index rows; NotFoundError if the tenant has none
    with that id."""
    record = session.get(KbDocument, document_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFoundError(f"knowledge-base document {document_id} does not exist")
    _remove_chunks(session, record)
    session.delete(record)
    session.flush()


def search(
    session: Session,
    *,
    tenant_id: int,
    query: str,
    limit: int = 5,
    tags: Sequence[str] | None = None,
) -> list[Passage]:
    """The tenant's best passages for a free-text `query` (an email will do), best first.

    With `tags` (non-empty), only passages of documents that carry at least one of them; None
    or an empty list means no filter. A query without usable words returns [].
    """
    wanted_tags = normalise_tags(tags or ())
    return _KEYWORD.search(session, tenant_id=tenant_id, query=query, limit=limit, tags=wanted_tags)


def normalise_tags(tags: Sequence[str]) -> list[str]:
    """Tags trimmed, lower-cased, without blanks or duplicates, in order."""
    cleaned = (tag.strip().lower() for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def _refresh_metadata(
    session: Session, record: KbDocument, title: str | None, tags: list[str]
) -> AddResult:
    """Same bytes as stored: apply a new title or tags, if any, without chunking again."""
    new_title = title.strip() if title and title.strip() else record.title
    if new_title == record.title and tags == list(record.tags):
        return AddResult(record.id, "unchanged", record.title, record.chunk_count)
    record.tags = tags
    if new_title != record.title:
        record.title = new_title
        chunks = list(session.scalars(select(KbChunk).where(KbChunk.document_id == record.id)))
        for index in _INDEXES:  # the title is indexed with every chunk
            index.remove_chunks(session, chunk_ids=[chunk.id for chunk in chunks])
            index.add_chunks(session, chunks=chunks, title=new_title)
    session.flush()
    return AddResult(record.id, "updated", record.title, record.chunk_count)


def _describe(record: KbDocument, document: LoadedDocument, tags: list[str], count: int) -> None:
    record.title = document.title
    record.kind = document.kind
    record.tags = tags
    record.content_hash = document.content_hash
    record.page_count = document.page_count
    record.chunk_count = count


def _write_chunks(session: Session, record: KbDocument, chunks: list[Chunk]) -> None:
    rows = [
        KbChunk(
            document_id=record.id,
            tenant_id=record.tenant_id,
            ordinal=chunk.ordinal,
            text=chunk.text,
            section=SECTION_SEPARATOR.join(chunk.heading_path) or None,
            page_start=chunk.page_start,
            page_end=chunk.page_end,
            content_hash=chunk.content_hash,
        )
        for chunk in chunks
    ]
    session.add_all(rows)
    session.flush()
    for index in _INDEXES:
        index.add_chunks(session, chunks=rows, title=record.title)


def _remove_chunks(session: Session, record: KbDocument) -> None:
    chunk_ids = list(session.scalars(select(KbChunk.id).where(KbChunk.document_id == record.id)))
    for index in _INDEXES:
        index.remove_chunks(session, chunk_ids=chunk_ids)
    session.execute(delete(KbChunk).where(KbChunk.document_id == record.id))
