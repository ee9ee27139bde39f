from __future__ import annotations

import pytest

from supportflow.eval.ranking import (
    collapse_to_documents,
    gold_rank,
    latency_percentile,
    mrr_at,
    recall_at,
    summarise_ranks,
)


def test_chunks_collapse_to_documents_at_their_first_chunk() -> None:
    chunks = ["b.md", "b.md", "a.pdf", "b.md", "c.txt", "a.pdf"]
    assert collapse_to_documents(chunks) == ["b.md", "a.pdf", "c.txt"]


def test_gold_rank_is_one_based_and_takes_the_first_gold_document() -> None:
    documents = ["x", "y", "z"]
    assert gold_rank(documents, {"x"}) == 1
    assert gold_rank(documents, {"z", "y"}) == 2
    assert gold_rank(documents, {"w"}) is None
    assert gold_rank([], {"x"}) is None


def test_recall_counts_questions_found_within_k() -> None:
    ranks = [1, 2, 5, 6, None]
    assert recall_at(ranks, 1) == pytest.approx(1 / 5)
    assert recall_at(ranks, 5) == pytest.approx(3 / 5)
    assert recall_at(ranks, 10) == pytest.approx(4 / 5)
    assert recall_at([], 5) == 0.0


def test_mrr_ignores_ranks_beyond_the_cutoff() -> None:
    ranks = [1, 2, 4, 11, None]
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 2 + 1 / 4) / 5)
    assert mrr_at(ranks, 1) == pytest.approx(1 / 5)
    assert mrr_at([], 10) == 0.0


def test_a_hand_made_ranking_scores_as_computed_by_hand() -> None:
    # three questions; gold documents g1, g2, g3; chunks ranked with repeats
    runs = [
        (["g1", "g1", "x"], {"g1"}),  # rank 1
        (["x", "x", "y", "g2", "z"], {"g2"}),  # chunk 4, document 3
        (["x", "y", "z"], {"g3"}),  # missed
    ]
    ranks = [gold_rank(collapse_to_documents(chunks), gold) for chunks, gold in runs]
    assert ranks == [1, 3, None]
    summary = summarise_ranks(ranks, [1.0, 2.0, 3.0])
    assert summary == {
        "recall@1": 0.3333,
        "recall@5": 0.6667,
        "mrr@10": round((1 + 1 / 3) / 3, 4),
        "n": 3,
        "p50_ms": 2.0,
        "p95_ms": 2.9,
    }


def test_latency_percentile_of_nothing_is_zero() -> None:
    assert latency_percentile([], 95) == 0.0
    assert latency_percentile([4.0], 95) == 4.0
