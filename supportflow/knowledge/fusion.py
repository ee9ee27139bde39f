"""Hybrid search: one ranked list from the keyword (BM25) list and the vector (cosine) list.

Each list is fetched `candidate_depth(limit)` deep and the two are fused by `chunk_id`:

- "rrf", reciprocal rank fusion (Cormack et al., 2009): a passage scores the sum over the
  lists it is in of 1 / (k + rank), k = 60. Ranks only, so the two scales never meet.
- "convex", a convex combination of min-max normalised scores (Bruch et al., 2023, found it
  better than RRF once `alpha` is tuned): alpha * mm(vector) + (1 - alpha) * mm(keyword),
  where mm maps the candidates' scores of one kind onto [0, 1] (lowest 0, highest 1) and a
  passage without a score of that kind counts 0.

Convex fusion may add cheap signals to its order (`signals.py`): with `title_weight`, the
share of the query's terms found in a passage's document title, times that weight. RRF stays
rank-only.

The defaults were chosen by `supportflow eval retrieve --sweep` on the demo knowledge base and
the Bitext FAQ (docs/benchmarks.md): of RRF and convex fusion at alpha 0.1 to 0.9 with and
without the title signal, convex at alpha 0.6 with title weight 0.2 had the best mean
recall@5 over the two sets, and beat the better single mode on both (keyword search on the
demo set, vector search on the Bitext FAQ). RRF and lower alphas lose to vector search on the
Bitext FAQ; most higher alphas lose to keyword search on the demo set.

Either fusion only orders the list. Every fused passage's `score` is the same convex mix of
its two *absolute* scores, alpha * cosine similarity + (1 - alpha) * BM25 strength x/(1+x),
in [0, 1]: unlike the fusion values it does not depend on the other candidates, so a
relevance floor can apply to it (`relevance.py`); it may differ slightly from the order.

A reranker (a cross-encoder, say; none ships on PyPI yet) plugs in as a `Reranker` and
reorders the fused candidates before the list is cut to its length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from supportflow.knowledge.passages import Passage
from supportflow.knowledge.signals import TITLE_WEIGHT, query_stems, title_match

FusionMethod = Literal["rrf", "convex"]
FUSION_METHODS: tuple[FusionMethod, ...] = ("rrf", "convex")
RRF_K = 60
DEFAULT_FUSION: FusionMethod = "convex"
DEFAULT_ALPHA = 0.6  # weight of the vector score, chosen by the evaluation
DEFAULT_TITLE_WEIGHT = TITLE_WEIGHT


class Reranker(Protocol):
    """Reorders fused candidates, best first; it may drop some but must not invent any."""

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]: ...


def candidate_depth(limit: int) -> int:
    """How many passages to fetch from each list for a fused list of `limit`."""
    return max(limit * 4, 20)


def fuse(
    keyword: Sequence[Passage],
    vector: Sequence[Passage],
    *,
    method: FusionMethod = DEFAULT_FUSION,
    alpha: float = DEFAULT_ALPHA,
    query: str = "",
    title_weight: float = 0.0,
) -> list[Passage]:
    """The union of both lists, best first by `method`, each passage with both scores merged
    and `score` set to its absolute mix (see the module docstring).

    Passages may already carry the other kind's score (hybrid search measures it for
    candidates only one list found); the lists' own orders give the ranks for RRF. With a
    `query` and a `title_weight`, convex fusion adds the title-match signal to its order.
    Raises ValueError for an unknown method or an alpha outside [0, 1].
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    merged = _merge(keyword, vector)
    if method == "rrf":
        order = reciprocal_rank_fusion([p.chunk_id for p in keyword], [p.chunk_id for p in vector])
    elif method == "convex":
        order = convex_fusion(list(merged.values()), alpha=alpha)
        if title_weight and query:
            order = _add_title_match(order, merged, query, title_weight)
    else:
        raise ValueError(f"unknown fusion {method!r}; choose one of {', '.join(FUSION_METHODS)}")
    ranked = sorted(merged, key=lambda chunk_id: order.get(chunk_id, 0.0), reverse=True)
    return [_with_score(merged[chunk_id], alpha) for chunk_id in ranked]


def reciprocal_rank_fusion(*rankings: Sequence[int], k: int = RRF_K) -> dict[int, float]:
    """chunk id -> sum over the rankings that hold it of 1 / (k + rank), rank from 1."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (k + rank)
    return scores


def convex_fusion(passages: Sequence[Passage], *, alpha: float) -> dict[int, float]:
    """chunk id -> alpha * mm(vector_score) + (1 - alpha) * mm(keyword_score), where mm is
    min-max normalisation over `passages` and a missing score counts 0."""
    vector = min_max([p.vector_score for p in passages])
    keyword = min_max([p.keyword_score for p in passages])
    return {
        p.chunk_id: alpha * v + (1.0 - alpha) * kw
        for p, v, kw in zip(passages, vector, keyword, strict=True)
    }


def min_max(values: Sequence[float | None]) -> list[float]:
    """Values mapped onto [0, 1] (lowest 0, highest 1; all 1 when they are equal); None -> 0."""
    present = [v for v in values if v is not None]
    if not present:
        return [0.0] * len(values)
    low, high = min(present), max(present)
    spread: Callable[[float], float] = (
        (lambda v: (v - low) / (high - low)) if high > low else (lambda _v: 1.0)
    )
    return [0.0 if v is None else spread(v) for v in values]


def absolute_score(passage: Passage, alpha: float) -> float:
    """alpha * vector score + (1 - alpha) * keyword score, a missing one counting 0."""
    return alpha * (passage.vector_score or 0.0) + (1.0 - alpha) * (passage.keyword_score or 0.0)


def _add_title_match(
    order: dict[int, float], passages: dict[int, Passage], query: str, weight: float
) -> dict[int, float]:
    stems = query_stems(query)
    return {
        chunk_id: value + weight * title_match(stems, passages[chunk_id].title)
        for chunk_id, value in order.items()
    }


def _merge(keyword: Sequence[Passage], vector: Sequence[Passage]) -> dict[int, Passage]:
    """One passage per chunk, keeping every score either list knows."""
    merged: dict[int, Passage] = {}
    for passage in [*keyword, *vector]:
        known = merged.get(passage.chunk_id)
        if known is None:
            merged[passage.chunk_id] = passage
            continue
        merged[passage.chunk_id] = dataclasses.replace(
            known,
            bm25=known.bm25 if known.bm25 is not None else passage.bm25,
            keyword_score=_first(known.keyword_score, passage.keyword_score),
            vector_score=_first(known.vector_score, passage.vector_score),
        )
    return merged


def _first(a: float | None, b: float | None) -> float | None:
    return a if a is not None else b


def _with_score(passage: Passage, alpha: float) -> Passage:
    return dataclasses.replace(passage, score=absolute_score(passage, alpha))
