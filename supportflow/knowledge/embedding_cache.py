"""Pruning the embedding cache: drop vectors that no current chunk would look up.

`kb_embeddings` caches vectors by (model, sha256 of the embedding input), the input being a
chunk's text under its document's title and section (`vector_index.embedding_input`). Adding
never deletes from it, so a removed or changed document would leave its vectors behind for
good. A row is kept when the input of some chunk of any tenant hashes to it, whatever the
model (a model used again finds its vectors); the rest are deleted.

The inputs are hashed in Python while the chunk rows stream past (SQLite has no sha256), and
the stale rows are deleted by id in batches. Only rows seen by the scan are deleted, so a row
cached by another process meanwhile survives; a row that a concurrent add starts to need
again may go, which costs that text one embedding the next time, never a wrong vector (the
index keeps its own copy of every vector).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, delete, select
from sqlalchemy.orm import Session

from supportflow.knowledge.vector_index import embedding_input
from supportflow.store.models import KbChunk, KbDocument, KbEmbedding

_STREAM_ROWS = 5_000  # rows fetched at a time: memory stays flat at any size
_DELETE_BATCH = 500  # ids per DELETE, under SQLite's bound-parameter limit


def prune_embedding_cache(session: Session) -> int:
    """Delete the cached vectors that no current chunk would look up, for every model, and
    return how many were deleted. Runs in the caller's transaction, never commits."""
    session.flush()  # the chunks as the caller left them
    # On the session's connection, as Core: the ORM's per-row work doubled the scans' time.
    connection = session.connection()
    wanted = _current_input_hashes(connection)
    scan = select(KbEmbedding.id, KbEmbedding.content_hash).execution_options(
        yield_per=_STREAM_ROWS
    )
    stale = [
        row_id for row_id, content_hash in connection.execute(scan) if content_hash not in wanted
    ]
    for start in range(0, len(stale), _DELETE_BATCH):
        batch = stale[start : start + _DELETE_BATCH]
        connection.execute(delete(KbEmbedding).where(KbEmbedding.id.in_(batch)))
    return len(stale)


def _current_input_hashes(connection: Connection) -> set[str]:
    """The sha256 hex digests of every chunk's embedding input, all tenants together."""
    rows = connection.execute(
        select(KbDocument.title, KbChunk.section, KbChunk.text)
        .join_from(KbChunk, KbDocument, KbChunk.document_id == KbDocument.id)
        .execution_options(yield_per=_STREAM_ROWS)
    )
    return {
        hashlib.sha256(embedding_input(title, section, text).encode("utf-8")).hexdigest()
        for title, section, text in rows
    }
