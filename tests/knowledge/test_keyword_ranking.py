"""Keyword ranking that scores only the chunks that can make the list (see `keyword_index`)
gives exactly the list, and the BM25, of scoring every chunk that matches."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text

from supportflow.eval.synthetic_text import SyntheticText
from supportflow.knowledge import keyword_index
from supportflow.knowledge.keyword_index import KeywordIndex
from supportflow.knowledge.query import fts_match_expression, keyword_terms
from supportflow.store.models import KbChunk, KbDocument

ACME, GLOBEX = 1, 2
# Every matching chunk of the tenant (and tags), scored and ordered as the index orders ties.
EVERY_MATCH = text("""
SELECT c.id, bm25(kb_chunks_fts, 1.0, 0.5, 0.3) AS rank
FROM kb_chunks_fts
CROSS JOIN kb_chunks AS c ON c.id = kb_chunks_fts.rowid
JOIN kb_documents AS d ON d.id = c.document_id
WHERE kb_chunks_fts MATCH :match AND c.tenant_id = :tenant_id AND (:tags = '[]' OR EXISTS (
    SELECT 1 FROM json_each(d.tags) AS t WHERE t.value IN (SELECT value FROM json_each(:tags))))
ORDER BY rank, c.id
""")


@pytest.fixture
def library(session) -> tuple[object, list[str]]:
    """40 documents of 15 synthetic chunks, most of tenant 1, some of tenant 2, half tagged
    "devices"; and customer-style questions about them (a few long ones)."""
    texts = SyntheticText(seed=11)
    topics = [texts.topic() for _ in range(40)]
    for number, topic in enumerate(topics):
        tenant_id = GLOBEX if number % 5 == 0 else ACME
        document = KbDocument(tenant_id=tenant_id, source=f"doc{number}.md",
                              title=texts.sentence(topic), kind="markdown",
                              tags=["devices"] if number % 2 else [], content_hash=str(number),
                              chunk_count=15)  # fmt: skip
        session.add(document)
        session.flush()
        chunks = [
            KbChunk(
                document_id=document.id,
                tenant_id=tenant_id,
                ordinal=i,
                text=(body := texts.paragraph(topic)),
                section=f"Part {i // 5}",
                content_hash=hashlib.sha256(body.encode()).hexdigest(),
            )
            for i in range(15)
        ]
        session.add_all(chunks)
        session.flush()
        KeywordIndex().add_chunks(session, chunks=chunks, title=document.title)
    questions = [texts.question(topics[i * 7 % 40]) for i in range(40)]
    questions += [" ".join(texts.paragraph(topics[i]).split()[:40]) for i in range(5)]
    return session, questions


def every_match(session, query: str, tenant_id: int, tags: list[str]) -> list[tuple[int, float]]:
    params = {"match": fts_match_expression(keyword_terms(query)), "tenant_id": tenant_id,
              "tags": json.dumps(tags)}  # fmt: skip
    return [(row.id, row.rank) for row in session.execute(EVERY_MATCH, params)]


@pytest.mark.parametrize("first_pool", [keyword_index.FIRST_POOL, 1, 60])
@pytest.mark.parametrize(("tenant_id", "tags"), [(ACME, []), (GLOBEX, []), (ACME, ["devices"])])
def test_the_best_passages_and_their_bm25_are_those_of_scoring_every_match(
    library, monkeypatch, first_pool, tenant_id, tags
) -> None:
    # a small first pool makes most searches grow it, pass after pass
    monkeypatch.setattr(keyword_index, "FIRST_POOL", first_pool)
    session, questions = library
    for limit in (1, 10, 40):
        for question in questions:
            found = KeywordIndex().search(session, tenant_id=tenant_id, query=question,
                                          limit=limit, tags=tags)  # fmt: skip
            expected = every_match(session, question, tenant_id, tags)[:limit]
            assert [(p.chunk_id, p.bm25) for p in found] == expected, (question, limit)


def test_a_search_also_measures_the_chunks_asked_about(library, monkeypatch) -> None:
    monkeypatch.setattr(keyword_index, "FIRST_POOL", 1)
    session, questions = library
    tenant_chunks = list(session.scalars(text(f"SELECT id FROM kb_chunks WHERE tenant_id={ACME}")))
    for question in questions:
        scored = dict(every_match(session, question, ACME, []))
        asked = tenant_chunks[::7]
        hits = KeywordIndex().ranked(session, tenant_id=ACME, query=question, limit=10, tags=[],
                                     also=asked)  # fmt: skip
        assert hits.bm25_of == {i: scored[i] for i in asked if i in scored}
        assert [(p.chunk_id, p.bm25) for p in hits.passages] == list(scored.items())[:10]


def test_a_tenant_holding_every_chunk_is_searched_without_the_tenant_filter(session) -> None:
    document = KbDocument(tenant_id=ACME, source="a.md", title="Router", kind="markdown",
                          tags=[], content_hash="a", chunk_count=1)  # fmt: skip
    session.add(document)
    session.flush()
    chunk = KbChunk(document_id=document.id, tenant_id=ACME, ordinal=0, text="Reset the router.",
                    content_hash="h")  # fmt: skip
    session.add(chunk)
    session.flush()
    KeywordIndex().add_chunks(session, chunks=[chunk], title=document.title)
    index = KeywordIndex()
    assert [p.chunk_id for p in index.search(session, tenant_id=ACME, query="reset router",
                                              limit=5, tags=[])] == [chunk.id]  # fmt: skip
    assert index.search(session, tenant_id=GLOBEX, query="reset router", limit=5, tags=[]) == []


def test_terms_in_half_the_chunks_are_left_out_of_large_indexes_at_a_millionth_of_bm25(
    library, monkeypatch
) -> None:
    # FTS5 weighs a term in half the rows or more 1e-6; above NEGLIGIBLE_ROWS such terms are
    # not scanned, so a strength can lack up to 2.2e-6 per term and near ties can swap
    monkeypatch.setattr(keyword_index, "NEGLIGIBLE_ROWS", 1)
    session, questions = library
    left_out = 0
    for question in [*questions, "days hours", "days hours refund"]:
        every = every_match(session, question, ACME, [])
        scored = dict(every)
        for limit in (5, 40):
            found = KeywordIndex().search(session, tenant_id=ACME, query=question, limit=limit,
                                          tags=[])  # fmt: skip
            assert len(found) == min(limit, len(every))
            weakest = every[len(found) - 1][1] if found else 0.0
            for passage in found:
                assert passage.bm25 == pytest.approx(scored[passage.chunk_id], abs=1e-5)
                assert scored[passage.chunk_id] <= weakest + 1e-5
            left_out += any(p.bm25 != scored[p.chunk_id] for p in found)
    assert left_out  # the fixture has such terms, so some strengths lacked them
