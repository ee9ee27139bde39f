"""What retrieval returns, and the seam every search index over the knowledge base plugs into.

The chunks in `kb_chunks` are the truth; an index (keyword now, vectors later) is kept in step
with them inside the same transaction and answers a query with `Passage`s. Hybrid search will
fuse the lists of several indexes by `chunk_id`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from supportflow.store.models import KbChunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs.

    `score` is in [0, 1), higher is better: the keyword index maps BM25 through x / (1 + x)
    (x = -bm25), so it does not depend on the other results and a weak best match stays weak.
    `bm25` is FTS5's raw value (lower, i.e. more negative, is better).
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
    bm25: float


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
