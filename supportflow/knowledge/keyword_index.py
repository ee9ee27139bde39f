"""Keyword search with SQLite FTS5 and BM25.

`kb_chunks_fts` is a standalone FTS5 table whose rowid is `kb_chunks.id`; it holds each chunk's
text with its document title and section so that all three are searched, weighted 1.0 / 0.5 /
0.3 in BM25. Nothing keeps it in step automatically: `KeywordIndex` writes and deletes its rows
in the same transaction as the chunks (see `supportflow.knowledge.index`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from supportflow.errors import ConfigurationError
from supportflow.knowledge.passages import Passage, passage_from_row
from supportflow.knowledge.query import fts_match_expression, keyword_terms
from supportflow.store.models import KbChunk

FTS_DDL = (
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
    "text, title, section, tokenize='porter unicode61 remove_diacritics 2')"
)

_INSERT = text(
    "INSERT INTO kb_chunks_fts (rowid, text, title, section) VALUES (:id, :text, :title, :section)"
)
_DELETE = text("DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT value FROM json_each(:ids))")
# CROSS JOIN keeps the full-text scan as the outer loop. With a plain JOIN SQLite may walk the
# tenant's chunks and run MATCH once per chunk: 20 times slower at a hundred chunks, worse
# with more, and FTS5 then computes BM25 with different statistics than a single scan does.
_SEARCH = """
SELECT c.id, c.document_id, d.title, d.source, c.section, c.page_start, c.page_end, c.text,
       bm25(kb_chunks_fts, 1.0, 0.5, 0.3) AS rank
FROM kb_chunks_fts
CROSS JOIN kb_chunks AS c ON c.id = kb_chunks_fts.rowid
JOIN kb_documents AS d ON d.id = c.document_id
WHERE kb_chunks_fts MATCH :match AND c.tenant_id = :tenant_id {tag_filter}
ORDER BY rank
LIMIT :limit
"""
_TAG_FILTER = (
    "AND EXISTS (SELECT 1 FROM json_each(d.tags) AS t "
    "WHERE t.value IN (SELECT value FROM json_each(:tags)))"
)
_SEARCH_ANY_TAG = text(_SEARCH.format(tag_filter=""))
_SEARCH_TAGGED = text(_SEARCH.format(tag_filter=_TAG_FILTER))
_BM25_OF = text(
    "SELECT rowid, bm25(kb_chunks_fts, 1.0, 0.5, 0.3) AS rank FROM kb_chunks_fts "
    "WHERE kb_chunks_fts MATCH :match AND rowid IN (SELECT value FROM json_each(:ids))"
)


class KeywordIndex:
    """The FTS5 keyword index (SQLite only); implements `PassageIndex`."""

    def add_chunks(self, session: Session, *, chunks: Sequence[KbChunk], title: str) -> None:
        """Index flushed chunks under their document's title."""
        _require_sqlite(session)
        rows = [
            {"id": chunk.id, "text": chunk.text, "title": title, "section": chunk.section}
            for chunk in chunks
        ]
        if rows:
            session.execute(_INSERT, rows)

    def remove_chunks(self, session: Session, *, chunk_ids: Sequence[int]) -> None:
        """Delete the index rows of these chunks."""
        _require_sqlite(session)
        if chunk_ids:
            session.execute(_DELETE, {"ids": json.dumps(list(chunk_ids))})

    def search(
        self, session: Session, *, tenant_id: int, query: str, limit: int, tags: Sequence[str]
    ) -> list[Passage]:
        """The tenant's best `limit` passages by BM25; [] when the query has no usable terms."""
        _require_sqlite(session)
        match = fts_match_expression(keyword_terms(query))
        if not match or limit < 1:
            return []
        params: dict[str, object] = {"match": match, "tenant_id": tenant_id, "limit": limit}
        statement = _SEARCH_ANY_TAG
        if tags:
            statement, params["tags"] = _SEARCH_TAGGED, json.dumps(list(tags))
        return [_passage(row) for row in session.execute(statement, params)]

    def bm25_of(
        self, session: Session, *, query: str, chunk_ids: Sequence[int]
    ) -> dict[int, float]:
        """FTS5's BM25 for `query` of those of the chunks that match it (hybrid search scores
        with it the passages only vector search found); chunks matching no term are left out."""
        _require_sqlite(session)
        match = fts_match_expression(keyword_terms(query))
        if not match or not chunk_ids:
            return {}
        params = {"match": match, "ids": json.dumps(list(chunk_ids))}
        return {row.rowid: row.rank for row in session.execute(_BM25_OF, params)}


def keyword_score(bm25: float) -> float:
    """FTS5's BM25 (negative, lower is better) as a score in [0, 1): x / (1 + x), x = -bm25."""
    strength = max(0.0, -bm25)
    return strength / (1.0 + strength)


def _passage(row: Row[Any]) -> Passage:
    score = keyword_score(row.rank)
    return passage_from_row(row, score=score, bm25=row.rank, keyword_score=score)


def _require_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        raise ConfigurationError(
            "keyword search uses SQLite FTS5; it is not available on this database yet"
        )
