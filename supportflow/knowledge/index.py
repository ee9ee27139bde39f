"""The tenant's knowledge base: add, list and delete documents, and search their passages.

A document is loaded, chunked and written as one `KbDocument` with its `KbChunk`s; every search
index (`PassageIndex`: the FTS5 keyword index, and the sqlite-vec index when the database can
hold vectors) is written in the same transaction, so the chunks and the indexes never disagree.
The caller owns the transaction: these functions flush but never commit, and after an error
the caller rolls back. Re-adding a file is cheap when nothing changed: its bytes are hashed
first and compared; only chunks still missing a vector (added before a model was installed)
are embedded then. New chunks are embedded before anything is written, so the slow part never
holds the database's write lock, and through the embedding cache.

Search modes: "keyword" (BM25), "vector" (cosine similarity) and "hybrid" (both lists fused,
see `fusion.py`). Vector and hybrid need an embedder and a database with vectors; without
them they raise ConfigurationError and the caller falls back to keyword search, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from supportflow.errors import ConfigurationError, NotFoundError
from supportflow.knowledge.chunking import Chunk, chunk_document
from supportflow.knowledge.embeddings import Embedder
from supportflow.knowledge.fusion import (
    DEFAULT_ALPHA,
    DEFAULT_FUSION,
    DEFAULT_TITLE_WEIGHT,
    FusionMethod,
    Reranker,
    candidate_depth,
    fuse,
)
from supportflow.knowledge.keyword_index import FTS_DDL, KeywordIndex, keyword_score
from supportflow.knowledge.loaders import LoadedDocument, file_hash, load_document
from supportflow.knowledge.passages import Passage, PassageIndex, SearchMode
from supportflow.knowledge.query import highlight_terms
from supportflow.knowledge.vector_index import (
    VectorIndex,
    chunks_missing_vectors,
    embed_texts,
    embedding_input,
    vector_unavailable_reason,
)
from supportflow.store.models import KbChunk, KbDocument

__all__ = [
    "FTS_DDL",
    "AddResult",
    "Passage",
    "SearchMode",
    "add_document",
    "delete_document",
    "highlight_terms",
    "list_documents",
    "search",
]

SECTION_SEPARATOR = " > "
_KEYWORD = KeywordIndex()


@dataclass(frozen=True)
class Fusion:
    """How hybrid search fuses its two lists (see `fusion.fuse`)."""

    method: FusionMethod
    alpha: float
    title_weight: float


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
    embedder: Embedder | None = None,
) -> AddResult:
    """Add the file at `path` to the tenant's knowledge base, or refresh it.

    The document is keyed by `str(path)`. Same bytes, title and tags as stored: "unchanged",
    nothing written. Same bytes with a new title or tags: "updated" in place. New bytes: loaded
    and chunked again, the old chunks and index rows replaced. `tags` replace the stored tags;
    `title=None` keeps the title found in the file. With an `embedder`, on a database that
    holds vectors, chunks are embedded and indexed for vector search too (also those of an
    unchanged document that lack vectors). Raises DocumentLoadError when the file cannot be
    loaded, before anything is written.
    """
    source, wanted_tags = str(path), normalise_tags(tags)
    record = session.scalar(
        select(KbDocument).where(KbDocument.tenant_id == tenant_id, KbDocument.source == source)
    )
    embedder = embedder if vector_unavailable_reason(session) is None else None
    if record is not None and record.content_hash == file_hash(path):
        result = _refresh_metadata(session, record, title, wanted_tags, embedder)
        if embedder is not None:
            _add_missing_vectors(session, record, embedder)
        return result
    document = load_document(path, title=title)
    chunks = chunk_document(document)
    if embedder is not None:  # the slow part, before anything is written
        embed_texts(session, embedder, [_embedding_input(document.title, c) for c in chunks])
    status: Literal["added", "updated"] = "added" if record is None else "updated"
    if record is None:
        record = KbDocument(tenant_id=tenant_id, source=source)
        session.add(record)
    else:
        _remove_chunks(session, record)
    _describe(record, document, wanted_tags, len(chunks))
    session.flush()
    _write_chunks(session, record, chunks, embedder)
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
    mode: SearchMode = "keyword",
    embedder: Embedder | None = None,
    fusion: FusionMethod = DEFAULT_FUSION,
    alpha: float = DEFAULT_ALPHA,
    title_weight: float = DEFAULT_TITLE_WEIGHT,
    reranker: Reranker | None = None,
) -> list[Passage]:
    """The tenant's best passages for a free-text `query` (an email will do), best first.

    `mode`: "keyword" (BM25), "vector" (cosine similarity, needs `embedder`) or "hybrid" (both,
    fused by `fusion` with vector weight `alpha` and, for convex fusion, title matches weighted
    `title_weight`; then reordered by `reranker` if given).
    With `tags` (non-empty), only passages of documents that carry at least one of them; None
    or an empty list means no filter. A query without usable words returns [].
    Raises ConfigurationError when vector or hybrid search is asked for without an embedder or
    on a database without vectors (the message says which), ValueError for a bad mode.
    """
    wanted_tags = normalise_tags(tags or ())
    if mode == "keyword":
        return _KEYWORD.search(
            session, tenant_id=tenant_id, query=query, limit=limit, tags=wanted_tags
        )
    if mode not in ("vector", "hybrid"):
        raise ValueError(f"unknown search mode {mode!r}; choose keyword, vector or hybrid")
    vectors = _vector_index(session, embedder, mode)
    if mode == "vector":
        return vectors.search(
            session, tenant_id=tenant_id, query=query, limit=limit, tags=wanted_tags
        )
    fused = _hybrid_candidates(
        session,
        vectors,
        tenant_id,
        query,
        candidate_depth(limit),
        wanted_tags,
        Fusion(fusion, alpha, title_weight),
    )
    return (fused if reranker is None else reranker.rerank(query, fused))[:limit]


def _hybrid_candidates(
    session: Session,
    vectors: VectorIndex,
    tenant_id: int,
    query: str,
    depth: int,
    tags: list[str],
    fusion: Fusion,
) -> list[Passage]:
    """Both lists `depth` deep, each hit scored by the other kind too, fused.

    The vector list comes first so that one keyword scan ranks the keyword list and measures
    BM25 for the vector hits too; a keyword hit that is also a vector hit has its cosine
    already, the others' cosines are read by chunk id."""
    if not query.strip():
        return []
    query_vector = vectors.embed_query(query)
    vector = vectors.nearest(session, tenant_id=tenant_id, vector=query_vector, limit=depth,
                             tags=tags)  # fmt: skip
    keyword = _KEYWORD.ranked(session, tenant_id=tenant_id, query=query, limit=depth, tags=tags,
                              also=[p.chunk_id for p in vector])  # fmt: skip
    cosines = {p.chunk_id: p.vector_score for p in vector}
    unmeasured = [p.chunk_id for p in keyword.passages if p.chunk_id not in cosines]
    cosines.update(vectors.similarity_of(session, vector=query_vector, chunk_ids=unmeasured))
    return fuse(
        [replace(p, vector_score=cosines.get(p.chunk_id)) for p in keyword.passages],
        [_with_bm25(p, keyword.bm25_of.get(p.chunk_id)) for p in vector],
        method=fusion.method,
        alpha=fusion.alpha,
        query=query,
        title_weight=fusion.title_weight,
    )


def normalise_tags(tags: Sequence[str]) -> list[str]:
    """Tags trimmed, lower-cased, without blanks or duplicates, in order."""
    cleaned = (tag.strip().lower() for tag in tags)
    return list(dict.fromkeys(tag for tag in cleaned if tag))


def _vector_index(session: Session, embedder: Embedder | None, mode: str) -> VectorIndex:
    """The vector index for a search in `mode`; ConfigurationError when it cannot run."""
    reason = vector_unavailable_reason(session)
    if reason is not None:
        raise ConfigurationError(f"{mode} search is not available: {reason}")
    if embedder is None:
        raise ConfigurationError(
            f"{mode} search needs an embedding model, and none is loaded; use keyword search"
        )
    return VectorIndex(embedder)


def _with_bm25(passage: Passage, bm25: float | None) -> Passage:
    """A vector hit with its keyword score: 0 when no query word matches it."""
    score = 0.0 if bm25 is None else keyword_score(bm25)
    return replace(passage, bm25=bm25, keyword_score=score)


def _indexes(session: Session, embedder: Embedder | None) -> list[PassageIndex]:
    """The indexes to keep in step with the chunks; the vector index whenever the database
    holds vectors (without an embedder it only removes)."""
    if vector_unavailable_reason(session) is not None:
        return [_KEYWORD]
    return [_KEYWORD, VectorIndex(embedder)]


def _embedding_input(title: str, chunk: Chunk) -> str:
    return embedding_input(title, SECTION_SEPARATOR.join(chunk.heading_path) or None, chunk.text)


def _add_missing_vectors(session: Session, record: KbDocument, embedder: Embedder) -> None:
    """Embed and index the document's chunks that lack a vector from `embedder`."""
    missing = chunks_missing_vectors(session, embedder, record.id)
    if missing:
        chunks = list(session.scalars(select(KbChunk).where(KbChunk.id.in_(missing))))
        VectorIndex(embedder).add_chunks(session, chunks=chunks, title=record.title)
        session.flush()


def _refresh_metadata(
    session: Session,
    record: KbDocument,
    title: str | None,
    tags: list[str],
    embedder: Embedder | None,
) -> AddResult:
    """Same bytes as stored: apply a new title or tags, if any, without chunking again."""
    new_title = title.strip() if title and title.strip() else record.title
    if new_title == record.title and tags == list(record.tags):
        return AddResult(record.id, "unchanged", record.title, record.chunk_count)
    record.tags = tags
    if new_title != record.title:
        record.title = new_title
        chunks = list(session.scalars(select(KbChunk).where(KbChunk.document_id == record.id)))
        for index in _indexes(session, embedder):  # the title is indexed with every chunk
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


def _write_chunks(
    session: Session, record: KbDocument, chunks: list[Chunk], embedder: Embedder | None
) -> None:
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
    for index in _indexes(session, embedder):
        index.add_chunks(session, chunks=rows, title=record.title)


def _remove_chunks(session: Session, record: KbDocument) -> None:
    chunk_ids = list(session.scalars(select(KbChunk.id).where(KbChunk.document_id == record.id)))
    for index in _indexes(session, None):
        index.remove_chunks(session, chunk_ids=chunk_ids)
    session.execute(delete(KbChunk).where(KbChunk.document_id == record.id))
