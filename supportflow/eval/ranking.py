"""Ranking metrics for retrieval, counted per document.

Search returns chunks, but a question is answered when its gold document is found, whichever
chunk of it comes up. So a ranked list of chunks is first collapsed to its documents, each
kept at the position of its first chunk; a question is found at k when one of its gold
documents is among the first k documents. recall@k is the share of questions found at k;
MRR@10 averages 1/rank of the first gold document, counting 0 when it is not in the top 10.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np

Rank = int | None  # 1-based rank of the first gold document; None when it was not retrieved


def collapse_to_documents(ranked: Iterable[str]) -> list[str]:
    """Documents in the order of their first chunk in `ranked` (one entry per chunk)."""
    return list(dict.fromkeys(ranked))


def gold_rank(documents: Sequence[str], gold: Collection[str]) -> Rank:
    """The 1-based position of the first gold document in `documents`, None if absent."""
    for position, document in enumerate(documents, start=1):
        if document in gold:
            return position
    return None


def recall_at(ranks: Sequence[Rank], k: int) -> float:
    """The share of questions whose gold document is among the first `k`; 0.0 for none."""
    if not ranks:
        return 0.0
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mrr_at(ranks: Sequence[Rank], k: int) -> float:
    """Mean reciprocal rank, counting ranks beyond `k` (and misses) as 0; 0.0 for none."""
    if not ranks:
        return 0.0
    return sum(1 / rank for rank in ranks if rank is not None and rank <= k) / len(ranks)


def summarise_ranks(ranks: Sequence[Rank], latencies_ms: Sequence[float]) -> dict[str, float]:
    """recall@1, recall@5, MRR@10 (4 decimals), n, and p50/p95 query latency in ms."""
    return {
        "recall@1": round(recall_at(ranks, 1), 4),
        "recall@5": round(recall_at(ranks, 5), 4),
        "mrr@10": round(mrr_at(ranks, 10), 4),
        "n": len(ranks),
        "p50_ms": latency_percentile(latencies_ms, 50),
        "p95_ms": latency_percentile(latencies_ms, 95),
    }


def latency_percentile(latencies_ms: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation) in ms, 3 decimals; 0.0 for none."""
    if not latencies_ms:
        return 0.0
    return round(float(np.percentile(latencies_ms, q)), 3)
