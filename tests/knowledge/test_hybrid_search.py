"""Hybrid search: keyword and vector lists fused, with absolute scores a floor applies to."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from supportflow.errors import ConfigurationError
from supportflow.knowledge.index import add_document, search
from supportflow.knowledge.passages import Passage
from supportflow.knowledge.query import fts_match_expression, keyword_terms
from supportflow.knowledge.relevance import floor_for

ACME, GLOBEX = 1, 2

DOCUMENTS = {
    "router.md": "# Router guide\n\n## Factory reset\n\nHold the reset button on the back for "
    "ten seconds to restore the factory settings. Your Wi-Fi name and password are erased.\n",
    "vacuum.md": "# Vacuum care\n\n## Filter\n\nRinse the filter under clean water every week "
    "and let it dry for a day before you put it back.\n",
    "billing.md": "# Billing\n\nInvoices are emailed on the first day of each month as PDF "
    "attachments. A late payment costs a reminder fee of five euros.\n",
}


@pytest.fixture
def knowledge(session, tmp_path, minilm):
    """Tenant 1 holds the three documents, tenant 2 only a copy of the billing one."""
    for name, content in DOCUMENTS.items():
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        add_document(session, tenant_id=ACME, path=path, tags=[name.split(".")[0]],
                     embedder=minilm)  # fmt: skip
    other = tmp_path / "globex"
    other.mkdir()
    (other / "billing.md").write_text(DOCUMENTS["billing.md"], encoding="utf-8")
    add_document(session, tenant_id=GLOBEX, path=other / "billing.md", embedder=minilm)
    return session


def names(passages: Sequence[Passage]) -> list[str]:
    return [Path(p.source).name for p in passages]


def test_hybrid_finds_a_paraphrase_that_keyword_search_misses(knowledge, minilm) -> None:
    query = "how do I wipe my modem?"
    assert search(knowledge, tenant_id=ACME, query=query, mode="keyword") == []
    found = search(knowledge, tenant_id=ACME, query=query, mode="hybrid", embedder=minilm)
    assert names(found)[0] == "router.md"


def test_hybrid_passages_carry_both_scores_and_their_mix(knowledge, minilm) -> None:
    found = search(knowledge, tenant_id=ACME, query="reset button for the factory settings",
                   mode="hybrid", embedder=minilm, alpha=0.5)  # fmt: skip
    best = found[0]
    assert names(found)[0] == "router.md" and len(found) == 3
    assert best.keyword_score is not None and best.vector_score is not None
    assert best.score == pytest.approx(0.5 * best.vector_score + 0.5 * best.keyword_score)
    assert all(0.0 <= p.score <= 1.0 for p in found)
    vector_only = next(p for p in found if p.bm25 is None)
    assert vector_only.keyword_score == 0.0  # measured: no query word in it


def test_both_fusions_and_any_alpha_answer(knowledge, minilm) -> None:
    for fusion, alpha in [("rrf", 0.5), ("convex", 0.0), ("convex", 1.0)]:
        found = search(knowledge, tenant_id=ACME, query="restore the router's factory settings",
                       mode="hybrid", embedder=minilm, fusion=fusion, alpha=alpha)  # fmt: skip
        assert names(found)[0] == "router.md", (fusion, alpha)


def test_hybrid_search_keeps_to_the_tenant_and_the_category(knowledge, minilm) -> None:
    query = "factory reset of the router"
    other = search(knowledge, tenant_id=GLOBEX, query=query, mode="hybrid", embedder=minilm)
    assert names(other) == ["billing.md"]
    tagged = search(knowledge, tenant_id=ACME, query=query, mode="hybrid", embedder=minilm,
                    tags=["vacuum"])  # fmt: skip
    assert names(tagged) == ["vacuum.md"]


def test_an_off_topic_question_stays_under_the_floor(knowledge, minilm) -> None:
    floor = floor_for("hybrid")
    on_topic = search(knowledge, tenant_id=ACME, query="My router blinks, how do I reset it?",
                      mode="hybrid", embedder=minilm)  # fmt: skip
    off_topic = search(knowledge, tenant_id=ACME, query="Do you sell gift cards for restaurants?",
                       mode="hybrid", embedder=minilm)  # fmt: skip
    assert on_topic[0].score >= floor
    assert all(p.score < floor for p in off_topic)


def test_a_reranker_reorders_the_fused_candidates_before_the_cut(knowledge, minilm) -> None:
    class ReverseReranker:
        def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
            self.seen = len(passages)
            return list(reversed(passages))

    reranker = ReverseReranker()
    plain = search(knowledge, tenant_id=ACME, query="reset", mode="hybrid", embedder=minilm,
                   limit=3)  # fmt: skip
    reranked = search(knowledge, tenant_id=ACME, query="reset", mode="hybrid", embedder=minilm,
                      limit=1, reranker=reranker)  # fmt: skip
    assert reranker.seen == 3 and reranked == [plain[-1]]


def test_hybrid_and_vector_search_without_a_model_say_so(knowledge) -> None:
    for mode in ("hybrid", "vector"):
        with pytest.raises(ConfigurationError, match=f"{mode} search needs an embedding model"):
            search(knowledge, tenant_id=ACME, query="reset", mode=mode)  # type: ignore[arg-type]


def test_an_unknown_mode_is_refused(knowledge, minilm) -> None:
    with pytest.raises(ValueError, match="unknown search mode"):
        search(knowledge, tenant_id=ACME, query="reset", mode="fuzzy", embedder=minilm)  # type: ignore[arg-type]


def test_a_query_without_words_finds_nothing(knowledge, minilm) -> None:
    assert search(knowledge, tenant_id=ACME, query="  ", mode="hybrid", embedder=minilm) == []


def test_every_fused_passage_has_the_bm25_of_scoring_the_whole_query(knowledge, minilm) -> None:
    query = "How late can a payment be before the reminder fee, and how do I reset the router?"
    every = knowledge.execute(
        text(
            "SELECT rowid AS id, bm25(kb_chunks_fts, 1.0, 0.5, 0.3) AS rank FROM kb_chunks_fts "
            "WHERE kb_chunks_fts MATCH :match"
        ),
        {"match": fts_match_expression(keyword_terms(query))},
    )
    bm25 = {row.id: row.rank for row in every}
    found = search(knowledge, tenant_id=ACME, query=query, mode="hybrid", embedder=minilm)
    assert found and {p.chunk_id: p.bm25 for p in found} == {p.chunk_id: bm25.get(p.chunk_id)
                                                               for p in found}  # fmt: skip
