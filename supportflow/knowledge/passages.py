"""What retrieval returns, and the seam every search index over the knowledge base plugs into.

The chunks in `kb_chunks` are the truth; an index (keyword, vector) is kept in step with them
inside the same transaction and answers a query with `Passage`s. Hybrid search fuses the lists
of both indexes by `chunk_id` (see `fusion.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import Row
from sqlalchemy.orm import Session

from supportflow.store.models import KbChunk

SearchMode = Literal["keyword", "vector", "hybrid"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs.

    `score` is in [0, 1], higher is better, and absolute: it does not depend on the other
    results, so a weak best match stays weak and a relevance floor applies (`relevance.py`).
    Keyword search: BM25 mapped through x / (1 + x) (x = -bm25). Vector search: the cosine
    similarity of query and passage (negative clipped to 0). Hybrid search: alpha times the
    vector score plus (1 - alpha) times the keyword score; its list is ordered by the fusion
    (`fusion.py`), which can differ slightly from the order of `score`.
    `keyword_score` and `vector_score` are the two parts (None: not measured in this mode);
    `bm25` is FTS5's raw value (lower, i.e. more negative, is better; None: no term matched
    or not measured).
    """

    chunk_id: int
    document_id: int
    title: str
    source: str
    section: str | None
    page_start: int | None
    page_end: int | None
    text: str
    score: float
    bm25: float | None = None
    keyword_score: float | None = None
    vector_score: float | None = None


def passage_from_row(
    row: Row[Any],
    *,
    score: float,
    bm25: float | None = None,
    keyword_score: float | None = None,
    vector_score: float | None = None,
) -> Passage:
    """A Passage from a search query's row (id, document_id, title, source, section,
    page_start, page_end, text) and the index's scores."""
    return Passage(
        chunk_id=row.id,
        document_id=row.document_id,
        title=row.title,
        source=row.source,
        section=row.section,
        page_start=row.page_start,
        page_end=row.page_end,
        text=row.text,
        score=score,
        bm25=bm25,
        keyword_score=keyword_score,
        vector_score=vector_score,
    )


class PassageIndex(Protocol):
    """A search index over `kb_chunks`, written in the caller's transaction."""

    def add_chunks(self, session: Session, *, chunks: Sequence[KbChunk], title: str) -> None:
        """Index chunks that have just been flushed (they have ids) under a document title."""
        ...

    def remove_chunks(self, session: Session, *, chunk_ids: Sequence[int]) -> None:
        """Forget chunks that are about to be deleted."""
        ...

    def search(
        self, session: Session, *, tenant_id: int, query: str, limit: int, tags: Sequence[str]
    ) -> list[Passage]:
        """The best `limit` passages of the tenant for `query`; with `tags`, only passages of
        documents carrying at least one of them."""
        ...
