"""Fusing the keyword and vector lists, and the relevance floor, on hand-made lists."""

from __future__ import annotations

from dataclasses import replace

import pytest

from supportflow.knowledge.fusion import (
    RRF_K,
    absolute_score,
    candidate_depth,
    convex_fusion,
    fuse,
    min_max,
    reciprocal_rank_fusion,
)
from supportflow.knowledge.passages import Passage
from supportflow.knowledge.relevance import RELEVANCE_FLOOR, above_floor, floor_for, is_grounded
from supportflow.knowledge.signals import query_stems, title_match


def passage(
    chunk_id: int,
    *,
    keyword: float | None = None,
    vector: float | None = None,
    title: str | None = None,
):
    return Passage(
        chunk_id=chunk_id,
        document_id=chunk_id,
        title=title or f"doc {chunk_id}",
        source=f"doc{chunk_id}.md",
        section=None,
        page_start=None,
        page_end=None,
        text="...",
        score=keyword if keyword is not None else vector or 0.0,
        bm25=None if keyword is None else -keyword / (1 - keyword),
        keyword_score=keyword,
        vector_score=vector,
    )


def test_reciprocal_rank_fusion_sums_one_over_k_plus_rank() -> None:
    scores = reciprocal_rank_fusion([1, 2, 3], [3, 1])
    assert scores[1] == pytest.approx(1 / (RRF_K + 1) + 1 / (RRF_K + 2))
    assert scores[2] == pytest.approx(1 / (RRF_K + 2))
    assert scores[3] == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))
    assert sorted(scores, key=scores.__getitem__, reverse=True) == [1, 3, 2]


def test_min_max_maps_onto_zero_to_one_and_missing_to_zero() -> None:
    assert min_max([None, 1.0, 3.0, 2.0]) == [0.0, 0.0, 1.0, 0.5]
    assert min_max([0.4, 0.4]) == [1.0, 1.0]
    assert min_max([None, None]) == [0.0, 0.0]


def test_convex_fusion_weighs_normalised_vector_scores_by_alpha() -> None:
    candidates = [
        passage(1, keyword=0.9, vector=0.2),
        passage(2, keyword=0.5, vector=0.6),
        passage(3, keyword=0.7, vector=None),
    ]
    # normalised: keyword 1, 0, 0.5; vector 0, 1, 0 (missing)
    assert convex_fusion(candidates, alpha=0.25) == pytest.approx({1: 0.75, 2: 0.25, 3: 0.375})
    assert convex_fusion(candidates, alpha=1.0) == pytest.approx({1: 0.0, 2: 1.0, 3: 0.0})


def test_fuse_merges_both_lists_and_scores_the_absolute_mix() -> None:
    keyword = [passage(1, keyword=0.9, vector=0.2), passage(2, keyword=0.5)]
    vector = [passage(2, vector=0.6), passage(3, vector=0.4, keyword=0.0)]
    fused = fuse(keyword, vector, method="convex", alpha=0.5)
    assert [p.chunk_id for p in fused] == [2, 1, 3]
    two = fused[0]
    assert (two.keyword_score, two.vector_score) == (0.5, 0.6)
    assert two.score == pytest.approx(0.55) == absolute_score(two, 0.5)
    assert fused[2].score == pytest.approx(0.2)


def test_fuse_by_rrf_orders_by_ranks_alone() -> None:
    keyword = [passage(1, keyword=0.99), passage(2, keyword=0.2)]
    vector = [passage(2, vector=0.3), passage(3, vector=0.9)]
    assert [p.chunk_id for p in fuse(keyword, vector, method="rrf")] == [2, 1, 3]


def test_title_match_is_the_share_of_query_terms_in_the_title() -> None:
    stems = query_stems("Hi, how do I cancel my orders? I don't know what to do")
    assert stems == {"cancel", "order"}  # stopwords and filler dropped, suffixes too
    assert title_match(stems, "Cancelling an order") == 1.0
    assert title_match(stems, "Order tracking") == 0.5
    assert title_match(stems, "Warranty") == 0.0
    assert title_match(query_stems("hello?"), "Cancel an order") == 0.0


def test_convex_fusion_adds_title_matches_to_its_order_but_not_to_the_score() -> None:
    keyword = [
        passage(1, keyword=0.6, vector=0.5),
        passage(2, keyword=0.58, vector=0.49),
        passage(3, keyword=0.3, vector=0.2),
    ]
    vector: list[Passage] = []
    query = "how do I cancel an order"
    plain = fuse(keyword, vector, alpha=0.6, query=query)
    boosted = fuse(
        [keyword[0], replace(keyword[1], title="Cancel an order"), keyword[2]],
        vector,
        alpha=0.6,
        query=query,
        title_weight=0.2,
    )
    assert [p.chunk_id for p in plain] == [1, 2, 3]
    assert [p.chunk_id for p in boosted] == [2, 1, 3]
    assert boosted[0].score == pytest.approx(0.6 * 0.49 + 0.4 * 0.58)  # the absolute mix
    rrf = fuse(boosted[1:], vector, method="rrf", query=query, title_weight=0.2)
    assert [p.chunk_id for p in rrf] == [1, 3]  # RRF stays rank-only


def test_fuse_refuses_an_alpha_outside_zero_to_one_and_unknown_methods() -> None:
    with pytest.raises(ValueError, match="alpha"):
        fuse([], [], alpha=1.5)
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse([], [], method="max")  # type: ignore[arg-type]


def test_each_list_is_fetched_deeper_than_the_answer() -> None:
    assert candidate_depth(3) == 20 and candidate_depth(10) == 40


def test_the_floor_keeps_passages_that_reach_it() -> None:
    found = [passage(1, vector=0.5), passage(2, vector=0.3), passage(3, vector=0.1)]
    assert [p.chunk_id for p in above_floor(found, 0.3)] == [1, 2]
    assert is_grounded(found, 0.5) and not is_grounded(found, 0.6)


def test_each_mode_has_a_default_floor_a_tenant_can_override() -> None:
    assert floor_for("vector") == RELEVANCE_FLOOR["vector"] == 0.3
    assert RELEVANCE_FLOOR["vector"] < RELEVANCE_FLOOR["hybrid"] < RELEVANCE_FLOOR["keyword"]
    assert floor_for("hybrid", 0.7) == 0.7


def test_e5_has_floors_of_its_own_for_the_modes_that_use_it() -> None:
    assert floor_for("vector", model="multilingual-e5-small-q4") == 0.825
    assert floor_for("keyword", model="multilingual-e5-small-q4") == RELEVANCE_FLOOR["keyword"]
    assert floor_for("vector", model="all-MiniLM-L6-v2-int8") == RELEVANCE_FLOOR["vector"]
    assert floor_for("vector", 0.5, model="multilingual-e5-small-q4") == 0.5
