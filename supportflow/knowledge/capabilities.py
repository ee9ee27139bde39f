"""Which search modes this process can offer, and why not when it cannot.

Vector and hybrid search need two things: a SQLite driver that loads sqlite-vec (or, later,
pgvector) and an embedding model shipped as a package. Either can be missing on a user's
machine; then supportflow works in keyword mode and says so, instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportflow.knowledge.embeddings import Embedder, try_load_embedder
from supportflow.knowledge.passages import SearchMode
from supportflow.store.db import Database

__all__ = ["SearchCapabilities", "SearchMode", "detect_capabilities"]


@dataclass(frozen=True)
class SearchCapabilities:
    embedder: Embedder | None
    keyword_only_reason: str | None  # None when vector and hybrid search are available

    @property
    def best_mode(self) -> SearchMode:
        return "keyword" if self.embedder is None else "hybrid"


def detect_capabilities(db: Database, model: str) -> SearchCapabilities:
    """Load the embedding model `model` ("none" turns vectors off) if the database can store
    vectors; otherwise report why search is keyword-only."""
    if model == "none":
        return SearchCapabilities(
            None, "vector search turned off (SUPPORTFLOW_EMBEDDING_MODEL=none)"
        )
    if not db.has_vectors:
        return SearchCapabilities(None, f"no vector index: {db.vector_unavailable_reason}")
    embedder, reason = try_load_embedder(model)
    if embedder is None:
        return SearchCapabilities(None, f"no embedding model: {reason}")
    return SearchCapabilities(embedder, None)
