"""Keyword search with SQLite FTS5 and BM25.

`kb_chunks_fts` is a standalone FTS5 table whose rowid is `kb_chunks.id`; it holds each chunk's
text with its document title and section so that all three are searched, weighted 1.0 / 0.5 /
0.3 in BM25. Nothing keeps it in step automatically: `KeywordIndex` writes and deletes its rows
in the same transaction as the chunks (see `supportflow.knowledge.index`).

A query ORs its terms, so a common word ("order", "battery") makes FTS5 match a large share
of all chunks, and at 100,000 chunks computing BM25 for every match took most of a search.
Ranking therefore follows the MaxScore idea (Turtle and Flood, 1995): in FTS5's BM25 a term
adds less than idf * (k1 + 1) to a chunk's strength (-bm25; k1 = 1.2), however often it
occurs. The terms' row counts are counted first (FTS5 walks a term's row list without
scoring). Then only a pool is scored, the chunks holding one of the rarest terms (about
`FIRST_POOL` of them, and at least `limit`), each with the whole query, so its BM25 is what
a full search gives it. When the weakest of the best `limit` in the pool is at least as
strong as the other terms' ceilings added up, no chunk holding only those can get in, and
the list is exactly the full search's; otherwise the pool grows by the rows of just enough
of the next rarest terms, and only those are scored. On the benchmark's queries at 100,000
chunks the median search scores a few hundred chunks instead of 45,000.

FTS5 weighs a term found in half the rows or more at idf 1e-6: it adds less than 2.2e-6 to
any strength. In a large index (`NEGLIGIBLE_ROWS`) such terms ("days", "order") are left out
of the query, whose search walked their long row lists three times (counting, matching and
FTS5's own idf), unless the result could then miss a row holding only them. BM25 values may
then lack those millionths, and rows tied to within them may swap places; set
`NEGLIGIBLE_ROWS` above the index size for FTS5's exact values.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.orm import Session

from supportflow.errors import ConfigurationError
from supportflow.knowledge.passages import Passage, passage_from_row
from supportflow.knowledge.query import fts_match_expression, keyword_terms
from supportflow.store.models import KbChunk

FTS_DDL = (
    "CREATE VIRTUAL TABLE kb_chunks_fts USING fts5("
    "text, title, section, tokenize='porter unicode61 remove_diacritics 2')"
)
FIRST_POOL = 5000  # chunks matching the rarest terms that the first attempt scores
NEGLIGIBLE_ROWS = 5000  # a term in half the rows, and at least this many, is left out
_BM25_K1 = 1.2  # FTS5's (fts5_aux.c): a term adds less than idf * (k1 + 1) to a strength
_FTS5_MIN_IDF = 1e-6  # FTS5 raises a term's idf to this when it is in half the rows or more

_INSERT = text(
    "INSERT INTO kb_chunks_fts (rowid, text, title, section) VALUES (:id, :text, :title, :section)"
)
_DELETE = text("DELETE FROM kb_chunks_fts WHERE rowid IN (SELECT value FROM json_each(:ids))")
# The full-text scan stays the outer loop (CROSS JOIN): with a plain JOIN SQLite may walk the
# tenant's chunks and run MATCH once per chunk, 20 times slower at a hundred chunks, worse
# with more, and FTS5 then computes BM25 with different statistics than a single scan does.
# When the tenant holds every chunk the join is left out: at 20,000 matches it cost as much
# as BM25. Chunks asked about (`also`) come first, then the best by BM25: the caller takes
# the best `limit` of both groups, and has the asked-about chunks' BM25 from the same scan.
# Texts are read for the chosen rows only.
_SEARCH = """
WITH hits AS MATERIALIZED (
    SELECT kb_chunks_fts.rowid AS id, bm25(kb_chunks_fts, 1.0, 0.5, 0.3) AS rank,
           kb_chunks_fts.rowid IN (SELECT value FROM json_each(:also)) AS wanted
    FROM kb_chunks_fts {chunks}
    WHERE kb_chunks_fts MATCH :match {pool}
    ORDER BY wanted DESC, rank, id
    LIMIT :limit
)
SELECT c.id, c.document_id, d.title, d.source, c.section, c.page_start, c.page_end, c.text,
       hits.rank, hits.wanted
FROM hits
CROSS JOIN kb_chunks AS c ON c.id = hits.id
JOIN kb_documents AS d ON d.id = c.document_id
"""
_TENANT_CHUNKS = (
    "CROSS JOIN kb_chunks AS c ON c.id = kb_chunks_fts.rowid AND c.tenant_id = :tenant_id"
)
_TAG_FILTER = (
    " AND EXISTS (SELECT 1 FROM kb_documents AS d, json_each(d.tags) AS t"
    " WHERE d.id = c.document_id AND t.value IN (SELECT value FROM json_each(:tags)))"
)
# The unary + keeps SQLite from handing the rowid lists to FTS5, which would run the whole
# query again for every rowid in them.
_POOL = (
    "AND (+kb_chunks_fts.rowid IN "
    "(SELECT rowid FROM kb_chunks_fts WHERE kb_chunks_fts MATCH :rare) "
    "OR +kb_chunks_fts.rowid IN (SELECT value FROM json_each(:also)))"
)
# Rows in the index, whether the tenant holds every chunk, then rows holding each term.
_STATISTICS = (
    "SELECT (SELECT count(*) FROM kb_chunks_fts_docsize), "
    "NOT EXISTS (SELECT 1 FROM kb_chunks WHERE tenant_id < :tenant_id OR tenant_id > :tenant_id)"
)


@dataclass(frozen=True)
class KeywordHits:
    """The best passages of a keyword search, and FTS5's BM25 of the other chunks asked about
    that match the query (those matching no term are left out)."""

    passages: list[Passage]
    bm25_of: dict[int, float]


@dataclass(frozen=True)
class _Term:
    phrase: str  # the term quoted for MATCH
    rows: int  # how many rows of the index hold it
    ceiling: float  # more than it can add to any row's BM25 strength
    negligible: bool  # FTS5 weighs it 1e-6, and walking its rows would cost


@dataclass(frozen=True)
class _Request:
    terms: list[str]  # in the query's order: FTS5 sums BM25 in it
    rarest: list[_Term]  # rarest first
    tenant_id: int
    holds_every_chunk: bool  # the tenant's chunks are all the index holds
    limit: int
    tags: Sequence[str]


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
        return self.ranked(
            session, tenant_id=tenant_id, query=query, limit=limit, tags=tags
        ).passages

    def ranked(
        self,
        session: Session,
        *,
        tenant_id: int,
        query: str,
        limit: int,
        tags: Sequence[str],
        also: Sequence[int] = (),
    ) -> KeywordHits:
        """`search`, plus the BM25 of the chunks `also` (of the tenant, and tagged when `tags`
        are given) from the same scan: hybrid search scores with it the passages only vector
        search found."""
        _require_sqlite(session)
        terms = keyword_terms(query)
        if not terms or limit < 1:
            return KeywordHits([], {})
        rarest, holds_every_chunk = _statistics(session, terms, tenant_id)
        request = _Request(terms, rarest, tenant_id, holds_every_chunk, limit, tags)
        negligible = [term for term in rarest if term.negligible]
        if negligible and len(negligible) < len(rarest):
            hits = _best_passages(session, _without(request, negligible), also)
            # rows holding only the negligible terms cannot get in: the list is complete
            ceiling = sum(term.ceiling for term in negligible)
            if _outranks(_weakest_strength(hits.passages, limit), ceiling):
                return hits
        return _best_passages(session, request, also)


def _best_passages(session: Session, request: _Request, also: Sequence[int]) -> KeywordHits:
    """The best passages for the request's terms, scoring a pool that grows until no row
    outside it can get in (see the module docstring)."""
    rarest, limit = request.rarest, request.limit
    done = _rarest_within(rarest, FIRST_POOL, limit)
    hits = _search(session, request, (0, done), also)
    # a pool that proves too small grows by the rows of the next rarest terms only
    while (needed := _rarest_needed(rarest, _weakest_strength(hits.passages, limit))) > done:
        hits = _merged(hits, _search(session, request, (done, needed), ()), limit)
        done = needed
    return hits


def _without(request: _Request, left_out: list[_Term]) -> _Request:
    phrases = {term.phrase for term in left_out}
    terms = [t for t in request.terms if fts_match_expression([t]) not in phrases]
    rarest = [term for term in request.rarest if term.phrase not in phrases]
    return replace(request, terms=terms, rarest=rarest)


def keyword_score(bm25: float) -> float:
    """FTS5's BM25 (negative, lower is better) as a score in [0, 1): x / (1 + x), x = -bm25."""
    strength = max(0.0, -bm25)
    return strength / (1.0 + strength)


def _statistics(session: Session, terms: list[str], tenant_id: int) -> tuple[list[_Term], bool]:
    """The query's terms with their row counts and ceilings, rarest first, and whether the
    tenant holds every chunk. Counting a term's rows is cheap: FTS5 only walks its list."""
    phrases = [fts_match_expression([term]) for term in terms]
    params: dict[str, object] = {f"t{i}": phrase for i, phrase in enumerate(phrases)}
    params["tenant_id"] = tenant_id
    total, holds_every_chunk, *counts = session.execute(_counts(len(phrases)), params).one()
    measured = [
        _Term(phrase, count, _ceiling(total, count), 2 * count >= max(total, 2 * NEGLIGIBLE_ROWS))
        for phrase, count in zip(phrases, counts, strict=True)
    ]
    return sorted(measured, key=lambda term: term.rows), bool(holds_every_chunk)


@functools.cache
def _counts(terms: int) -> TextClause:
    """`_STATISTICS`, then the rows holding each term (:t0, :t1, ...)."""
    counts = [
        f", (SELECT count(*) FROM kb_chunks_fts WHERE kb_chunks_fts MATCH :t{i})"
        for i in range(terms)
    ]
    return text(_STATISTICS + "".join(counts))


def _ceiling(total: int, rows: int) -> float:
    """More than a term in `rows` of `total` rows adds to a row's BM25 strength: FTS5 adds
    idf * f * (k1 + 1) / (f + k1 * length_norm), which stays below idf * (k1 + 1)."""
    idf = math.log((total - rows + 0.5) / (rows + 0.5))
    return max(idf, _FTS5_MIN_IDF) * (_BM25_K1 + 1.0)


def _rarest_within(rarest: list[_Term], pool: int, limit: int) -> int:
    """How many of the rarest terms match at most `pool` rows together, or just over `limit`
    (fewer rows could not show that the other terms' rows are weaker)."""
    count, rows = 1, rarest[0].rows
    while count < len(rarest) and (rows < limit or rows + rarest[count].rows <= pool):
        rows += rarest[count].rows
        count += 1
    return count


def _rarest_needed(rarest: list[_Term], strength: float | None) -> int:
    """How many of the rarest terms a pool must be built from so that a row holding only the
    others stays weaker than `strength` (None: all of them)."""
    count = len(rarest) if strength is None else 0
    while count < len(rarest) and not _outranks(strength, sum(t.ceiling for t in rarest[count:])):
        count += 1
    return count


def _outranks(strength: float | None, ceiling: float) -> bool:
    """Whether a row of this strength beats every row whose strength stays below `ceiling`
    (with a margin for rounding: FTS5 sums in another order)."""
    return strength is not None and ceiling * (1 + 1e-9) <= strength


def _weakest_strength(passages: list[Passage], limit: int) -> float | None:
    """The BM25 strength of the `limit`-th passage; None when there are fewer."""
    bm25 = passages[limit - 1].bm25 if len(passages) >= limit else None
    return None if bm25 is None else -bm25


def _search(
    session: Session, request: _Request, pool: tuple[int, int], also: Sequence[int]
) -> KeywordHits:
    """The best passages among the rows holding one of the rarest terms `pool` (start and
    end in `request.rarest`; every row when that is all terms) or asked about, each scored
    for the whole query."""
    start, end = pool
    params: dict[str, object] = {
        "match": fts_match_expression(request.terms),
        "tenant_id": request.tenant_id,
        "limit": request.limit + len(also),
        "also": json.dumps(list(also)),
        "rare": " OR ".join(term.phrase for term in request.rarest[start:end]),
        "tags": json.dumps(list(request.tags)),
    }
    pooled = (start, end) != (0, len(request.rarest))
    filtered = bool(request.tags) or not request.holds_every_chunk
    statement = _search_statement(pooled, filtered, bool(request.tags))
    rows = session.execute(statement, params).all()
    best = sorted(rows, key=lambda row: (row.rank, row.id))[: request.limit]
    wanted = {row.id: row.rank for row in rows if row.wanted}
    return KeywordHits([_passage(row) for row in best], wanted)


def _merged(hits: KeywordHits, more: KeywordHits, limit: int) -> KeywordHits:
    """The best `limit` passages of both (a chunk in both has the same BM25 in each)."""
    unique = {p.chunk_id: p for p in [*hits.passages, *more.passages]}
    best = sorted(unique.values(), key=lambda p: (p.bm25 or 0.0, p.chunk_id))[:limit]
    return KeywordHits(best, hits.bm25_of)


@functools.cache
def _search_statement(pooled: bool, filtered: bool, tagged: bool) -> TextClause:
    chunks = (_TENANT_CHUNKS + (_TAG_FILTER if tagged else "")) if filtered else ""
    return text(_SEARCH.format(chunks=chunks, pool=_POOL if pooled else ""))


def _passage(row: Row[Any]) -> Passage:
    score = keyword_score(row.rank)
    return passage_from_row(row, score=score, bm25=row.rank, keyword_score=score)


def _require_sqlite(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        raise ConfigurationError(
            "keyword search uses SQLite FTS5; it is not available on this database yet"
        )
