"""The similar-case cache: reuse the label reviewers gave the nearest earlier cases.

A reviewed case is one whose category a reviewer confirmed (approved or edited its reply)
or set (a correction); its message's sentence embedding was kept when it was classified.
A new message takes the label of its nearest reviewed case when

- the nearest is at least `cache_min_similarity` alike (cosine), or its three nearest all
  carry one label and are each at least `cache_agree_similarity` alike; and
- that label's reviewed accuracy passes `cache_min_accuracy`.

A label's reviewed accuracy is how often reviewers kept the label when this cache proposed
it (whether or not the proposal decided the case), smoothed towards 0.9 by two imaginary
reviews so that a label nobody has judged yet starts just above the default bar of 0.85 and
one miss in its first reviews takes it below. The stage's confidence is that accuracy: the
estimated chance that reusing the label is right.

A reviewer's correction therefore changes the route of the next similar message at once:
the corrected case is in the memory with its new label.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.config import Thresholds
from supportflow.store.models import CaseVector, ReviewedLabel

STAGE = "cache"
NEIGHBOURS = 3
# A label's accuracy before any review, and how many reviews that prior is worth.
PRIOR_ACCURACY = 0.9
PRIOR_REVIEWS = 2.0

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Neighbour:
    case_id: int
    label: str
    similarity: float


@dataclass(frozen=True)
class CacheVerdict:
    """What the cache proposes for one message, and why (label None: no proposal)."""

    label: str | None
    confidence: float  # the label's reviewed accuracy; 0 without a proposal
    reason: str
    neighbours: tuple[Neighbour, ...]


def vector_bytes(vector: Vector) -> bytes:
    """A vector as stored in `case_vectors` (float32, little-endian)."""
    return np.asarray(vector, dtype="<f4").tobytes()


def reviewed_accuracy(kept: int, proposed: int) -> float:
    """The smoothed share of the cache's proposals of a label that reviewers kept."""
    return (kept + PRIOR_ACCURACY * PRIOR_REVIEWS) / (proposed + PRIOR_REVIEWS)


class ReviewedCases:
    """One tenant's reviewed cases embedded by one model, held in memory for lookups."""

    def __init__(
        self,
        case_ids: Sequence[int],
        labels: Sequence[str],
        vectors: Vector,
        accuracy: dict[str, float],
    ) -> None:
        self._case_ids = list(case_ids)
        self._labels = list(labels)
        self._vectors = vectors
        self._accuracy = accuracy

    def __len__(self) -> int:
        return len(self._labels)

    def accuracy(self, label: str) -> float:
        """The label's reviewed accuracy (the prior when the cache never proposed it)."""
        return self._accuracy.get(label, reviewed_accuracy(0, 0))

    def nearest(self, vector: Vector, k: int = NEIGHBOURS) -> list[Neighbour]:
        """The k most similar reviewed cases, most similar first."""
        if not self._labels:
            return []
        similarities = self._vectors @ np.asarray(vector, dtype=np.float32)
        count = min(k, len(self._labels))
        top = np.argpartition(-similarities, count - 1)[:count]
        top = top[np.argsort(-similarities[top], kind="stable")]
        return [Neighbour(self._case_ids[i], self._labels[i], float(similarities[i])) for i in top]

    def verdict(self, vector: Vector, thresholds: Thresholds) -> CacheVerdict:
        """The label to reuse for a message embedded as `vector`, if any (see the module)."""
        neighbours = tuple(self.nearest(vector))
        if not neighbours:
            return CacheVerdict(None, 0.0, "no reviewed cases yet", ())
        top = neighbours[0]
        seen = ", ".join(f"case {n.case_id} {n.label} {n.similarity:.2f}" for n in neighbours)
        if top.similarity >= thresholds.cache_min_similarity:
            why = f"nearest reviewed case {top.case_id} is {top.similarity:.2f} alike"
        elif _agree(neighbours, thresholds.cache_agree_similarity):
            why = f"the {NEIGHBOURS} nearest reviewed cases agree"
        else:
            return CacheVerdict(None, 0.0, f"nothing alike enough ({seen})", neighbours)
        accuracy = self.accuracy(top.label)
        reason = f"{why} -> {top.label} (reviewed accuracy {accuracy:.2f}; nearest: {seen})"
        return CacheVerdict(top.label, accuracy, reason, neighbours)


def _agree(neighbours: Sequence[Neighbour], floor: float) -> bool:
    return len(neighbours) == NEIGHBOURS and all(
        n.label == neighbours[0].label and n.similarity >= floor for n in neighbours
    )


def load_reviewed_cases(session: Session, tenant_id: int, model: str) -> ReviewedCases:
    """Read a tenant's reviewed cases that have vectors from `model`."""
    rows = session.execute(
        select(ReviewedLabel.case_id, ReviewedLabel.label, CaseVector.vector)
        .join(CaseVector, CaseVector.case_id == ReviewedLabel.case_id)
        .where(ReviewedLabel.tenant_id == tenant_id, CaseVector.model == model)
        .order_by(ReviewedLabel.case_id)
    ).all()
    judged = session.execute(
        select(ReviewedLabel.cache_label, ReviewedLabel.label).where(
            ReviewedLabel.tenant_id == tenant_id, ReviewedLabel.cache_label.is_not(None)
        )
    ).all()
    vectors = (
        np.vstack([np.frombuffer(row.vector, dtype="<f4") for row in rows]).astype(np.float32)
        if rows
        else np.empty((0, 0), dtype=np.float32)
    )
    return ReviewedCases(
        [row.case_id for row in rows],
        [row.label for row in rows],
        vectors,
        _accuracies((str(proposed), label) for proposed, label in judged),
    )


def _accuracies(judged: Iterable[tuple[str, str]]) -> dict[str, float]:
    proposed: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for proposal, label in judged:
        proposed[proposal] += 1
        kept[proposal] += proposal == label
    return {label: reviewed_accuracy(kept[label], count) for label, count in proposed.items()}


_Signature = tuple[int, datetime | None]


class SimilarCaseMemory:
    """Per-process memory of each tenant's reviewed cases, reloaded when reviews change.

    Reviews are made in other processes (CLI, web), so each lookup first reads the count and
    latest change of the tenant's reviewed labels (one indexed query) and reloads on a change.
    """

    def __init__(self) -> None:
        self._loaded: dict[tuple[int, str], tuple[_Signature, ReviewedCases]] = {}
        self._lock = threading.Lock()

    def reviewed_cases(self, session: Session, tenant_id: int, model: str) -> ReviewedCases:
        signature = _signature(session, tenant_id)
        key = (tenant_id, model)
        with self._lock:
            cached = self._loaded.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
        cases = load_reviewed_cases(session, tenant_id, model)
        with self._lock:
            self._loaded[key] = (signature, cases)
        return cases


def _signature(session: Session, tenant_id: int) -> _Signature:
    count, latest = session.execute(
        select(func.count(ReviewedLabel.id), func.max(ReviewedLabel.updated_at)).where(
            ReviewedLabel.tenant_id == tenant_id
        )
    ).one()
    return int(count), latest
