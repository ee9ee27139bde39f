"""Vector search in two steps: binary codes bring candidates, exact cosine ranks them; and the
upgrade of a database that still holds the first layout's single vec0 table."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest
from sqlalchemy import text

from supportflow.errors import ConfigurationError
from supportflow.knowledge.embeddings import Vectors, normalise
from supportflow.knowledge.index import search
from supportflow.knowledge.vector_index import VectorIndex, chunks_missing_vectors
from supportflow.knowledge.vector_tables import (
    CODES_TABLE,
    FIRST_LAYOUT_TABLE,
    FLOATS_TABLE,
    SHARDS,
)
from supportflow.store.models import KbChunk, KbDocument

ACME, GLOBEX = 1, 2
DIMENSIONS = 384


class TableEmbedder:
    """Stands in for the model: a text's vector is looked up by its last paragraph (a chunk's
    text, under the title and section `embedding_input` puts first), a query's by itself."""

    name = "table-model"
    dimensions = DIMENSIONS

    def __init__(self, vectors: dict[str, Vectors]) -> None:
        self.vectors = vectors
        self.documents_embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.documents_embedded += len(texts)
        return np.stack([self.vectors[t.rsplit("\n\n", 1)[-1]] for t in texts])

    def embed_query(self, text: str) -> Vectors:
        return self.vectors[text]


def random_vectors(count: int, seed: int) -> Vectors:
    return normalise(np.random.default_rng(seed).normal(size=(count, DIMENSIONS)))


def store_chunks(session, tenant_id: int, embedder: TableEmbedder, keys: list[str]) -> list[int]:
    """One document whose chunks' texts are `keys`, indexed for vectors; their chunk ids."""
    document = KbDocument(
        tenant_id=tenant_id,
        source=f"{tenant_id}-{keys[0]}.md",
        title="T",
        kind="markdown",
        tags=[],
        content_hash="x",
        chunk_count=len(keys),
    )
    session.add(document)
    session.flush()
    chunks = [
        KbChunk(
            document_id=document.id,
            tenant_id=tenant_id,
            ordinal=i,
            text=key,
            content_hash=hashlib.sha256(key.encode()).hexdigest(),
        )
        for i, key in enumerate(keys)
    ]
    session.add_all(chunks)
    session.flush()
    VectorIndex(embedder).add_chunks(session, chunks=chunks, title=document.title)
    return [chunk.id for chunk in chunks]


def exact_ranking(vectors: dict[str, Vectors], keys: list[str], query: str) -> list[str]:
    similarity = {key: float(vectors[key] @ vectors[query]) for key in keys}
    return sorted(keys, key=lambda key: -similarity[key])


def test_a_small_tenant_is_ranked_exactly_by_cosine(session) -> None:
    keys = [f"chunk {i}" for i in range(300)]  # fewer than the candidates: all of them are
    vectors = dict(zip([*keys, "query"], random_vectors(301, seed=1), strict=True))
    embedder = TableEmbedder(vectors)
    store_chunks(session, ACME, embedder, keys)

    found = VectorIndex(embedder).search(session, tenant_id=ACME, query="query", limit=25, tags=[])

    assert [p.text for p in found] == exact_ranking(vectors, keys, "query")[:25]
    for passage in found:
        cosine = float(vectors[passage.text] @ vectors["query"])
        assert passage.score == pytest.approx(max(cosine, 0.0), abs=1e-6)
        assert passage.vector_score == passage.score


def test_near_neighbours_are_found_among_many_more_vectors_than_candidates(session) -> None:
    query = random_vectors(1, seed=2)[0]
    # five vectors close to the query at decreasing similarity, hidden among 3,000 others
    near = [normalise(query + weight * noise)
            for weight, noise in zip((0.2, 0.3, 0.4, 0.5, 0.6), random_vectors(5, seed=3),
                                     strict=True)]  # fmt: skip
    keys = [f"near {i}" for i in range(5)] + [f"far {i}" for i in range(3000)]
    vectors = dict(zip(keys, [*near, *random_vectors(3000, seed=4)], strict=True))
    vectors["query"] = query
    embedder = TableEmbedder(vectors)
    store_chunks(session, ACME, embedder, keys)

    found = VectorIndex(embedder).search(session, tenant_id=ACME, query="query", limit=5, tags=[])

    assert [p.text for p in found] == ["near 0", "near 1", "near 2", "near 3", "near 4"]
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)


def test_codes_are_sharded_and_kept_in_step_with_the_floats(session) -> None:
    keys = [f"chunk {i}" for i in range(40)]
    embedder = TableEmbedder(dict(zip(keys, random_vectors(40, seed=5), strict=True)))
    ids = store_chunks(session, ACME, embedder, keys)
    codes = session.execute(text(f"SELECT rowid, shard FROM {CODES_TABLE}")).all()
    assert {(row.rowid, row.shard) for row in codes} == {(i, i % SHARDS) for i in ids}

    VectorIndex(embedder).remove_chunks(session, chunk_ids=ids[:10])
    left = set(ids[10:])
    assert set(session.scalars(text(f"SELECT rowid FROM {CODES_TABLE}"))) == left
    assert set(session.scalars(text(f"SELECT chunk_id FROM {FLOATS_TABLE}"))) == left


def test_the_first_layout_is_upgraded_without_embedding_again(session) -> None:
    keys = [f"chunk {i}" for i in range(30)]
    vectors = dict(zip([*keys, "query"], random_vectors(31, seed=6), strict=True))
    embedder = TableEmbedder(vectors)
    acme = store_chunks(session, ACME, embedder, keys)
    globex = store_chunks(session, GLOBEX, embedder, keys[:5])
    expected = VectorIndex(embedder).search(session, tenant_id=ACME, query="query", limit=10,
                                            tags=[])  # fmt: skip
    write_first_layout(session)
    embedded = embedder.documents_embedded

    found = search(session, tenant_id=ACME, query="query", limit=10, mode="vector",
                   embedder=embedder)  # fmt: skip

    assert found == expected
    assert embedder.documents_embedded == embedded
    tables = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")))
    assert FIRST_LAYOUT_TABLE not in tables and {CODES_TABLE, FLOATS_TABLE} <= tables
    assert set(session.scalars(text(f"SELECT rowid FROM {CODES_TABLE}"))) == {*acme, *globex}
    stored = session.execute(text(f"SELECT embedding FROM {FLOATS_TABLE} WHERE chunk_id = :id"),
                             {"id": acme[3]}).scalar_one()  # fmt: skip
    assert np.frombuffer(stored, dtype="<f4").tolist() == vectors[keys[3]].tolist()
    document_id = session.scalar(text(f"SELECT document_id FROM kb_chunks WHERE id = {acme[0]}"))
    assert chunks_missing_vectors(session, embedder, document_id) == []
    other = search(session, tenant_id=GLOBEX, query="query", limit=10, mode="vector",
                   embedder=embedder)  # fmt: skip
    assert {p.chunk_id for p in other} == set(globex)


def test_a_model_of_other_dimensions_is_refused(session) -> None:
    keys = ["chunk"]
    store_chunks(session, ACME, TableEmbedder({"chunk": random_vectors(1, seed=7)[0]}), keys)
    other = TableEmbedder({})
    other.dimensions = 768
    with pytest.raises(ConfigurationError, match="holds 384-dimensional vectors"):
        VectorIndex(other).nearest(session, tenant_id=ACME, vector=np.zeros(768), limit=3,
                                   tags=[])  # fmt: skip


def write_first_layout(session) -> None:
    """Replace both tables by the first layout's single vec0 table holding the same vectors,
    as a database written before the codes existed has it."""
    session.execute(text(
        "CREATE VIRTUAL TABLE kb_chunks_vec USING vec0(tenant_id integer partition key, "
        "model text partition key, embedding float[384] distance_metric=cosine, "
        "+chunk_hash text)"
    ))  # fmt: skip
    session.execute(text(
        "INSERT INTO kb_chunks_vec (rowid, tenant_id, embedding, model, chunk_hash) "
        f"SELECT f.chunk_id, c.tenant_id, f.embedding, f.model, f.chunk_hash FROM {FLOATS_TABLE} "
        "AS f JOIN kb_chunks AS c ON c.id = f.chunk_id"
    ))  # fmt: skip
    session.execute(text(f"DROP TABLE {CODES_TABLE}"))
    session.execute(text(f"DROP TABLE {FLOATS_TABLE}"))
