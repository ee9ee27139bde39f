"""The similar-case cache's decision rule, on hand-made vectors, and its place in the cascade."""

from __future__ import annotations

import numpy as np
import pytest

from supportflow.config import Rule, Thresholds
from supportflow.triage.cascade import classify
from supportflow.triage.rules import RuleSet
from supportflow.triage.similar_cases import (
    CacheVerdict,
    ReviewedCases,
    reviewed_accuracy,
)

CATEGORIES = ["billing", "shipping", "account", "technical"]


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def along(similarity: float) -> np.ndarray:
    """A unit vector whose cosine with (1, 0, 0) is `similarity`."""
    return unit(similarity, float(np.sqrt(1 - similarity**2)), 0.0)


def memory(labels, vectors, accuracy=None) -> ReviewedCases:
    ids = list(range(1, len(labels) + 1))
    return ReviewedCases(ids, labels, np.vstack(vectors), accuracy or {})


def test_the_nearest_reviewed_case_lends_its_label_when_alike_enough() -> None:
    cases = memory(["shipping", "billing"], [along(0.95), along(0.5)])

    verdict = cases.verdict(unit(1, 0, 0), Thresholds())

    assert verdict.label == "shipping"
    assert verdict.confidence == pytest.approx(reviewed_accuracy(0, 0)) == pytest.approx(0.9)
    assert "case 1 is 0.95 alike" in verdict.reason
    assert [n.case_id for n in verdict.neighbours] == [1, 2]


def test_nothing_is_proposed_below_the_similarity_bar() -> None:
    cases = memory(["shipping", "billing", "account"], [along(0.9), along(0.89), along(0.5)])

    verdict = cases.verdict(unit(1, 0, 0), Thresholds())

    assert verdict.label is None and verdict.confidence == 0.0
    assert verdict.reason.startswith("nothing alike enough")


def test_three_agreeing_neighbours_are_enough_below_the_similarity_bar() -> None:
    cases = memory(["billing"] * 3 + ["shipping"], [along(s) for s in (0.9, 0.88, 0.86, 0.2)])

    verdict = cases.verdict(unit(1, 0, 0), Thresholds())

    assert verdict.label == "billing"
    assert "the 3 nearest reviewed cases agree" in verdict.reason
    one_dissents = memory(["billing", "billing", "shipping"], [along(s) for s in (0.9, 0.88, 0.86)])
    assert one_dissents.verdict(unit(1, 0, 0), Thresholds()).label is None


def test_a_label_reviewers_corrected_when_the_cache_proposed_it_loses_its_trust() -> None:
    assert reviewed_accuracy(kept=0, proposed=1) < 0.85 < reviewed_accuracy(kept=5, proposed=5)
    cases = memory(["shipping"], [along(0.99)], {"shipping": reviewed_accuracy(0, 1)})

    verdict = cases.verdict(unit(1, 0, 0), Thresholds())

    assert verdict.label == "shipping" and verdict.confidence < 0.85
    result = _classify("where is it", cache=verdict)
    assert result.route == "none" and result.label == "unknown"
    assert "reviewed accuracy 0.60" in result.reason


RULES = RuleSet.from_rules(
    [Rule(name="double-charge", label="billing", confidence=0.95, phrases=["charged twice"])]
)


def _classify(text, *, cache, model=None):
    return classify(
        subject="",
        text=text,
        sender=None,
        rules=RULES,
        model=model,
        categories=CATEGORIES,
        thresholds=Thresholds(),
        cache=cache,
    )


def test_a_sure_rule_wins_over_the_cache() -> None:
    verdict = CacheVerdict("shipping", 0.95, "nearest reviewed case 7 is 0.99 alike", ())

    result = _classify("I was charged twice", cache=verdict)

    assert (result.label, result.route) == ("billing", "rules")
    assert [stage.stage for stage in result.stages] == ["rules"]


def test_the_cache_decides_before_the_model(classifier) -> None:
    verdict = CacheVerdict("account", 0.9, "nearest reviewed case 7 is 0.97 alike", ())

    result = _classify("The courier lost my package", cache=verdict, model=classifier)

    assert (result.label, result.route, result.confidence) == ("account", "cache", 0.9)
    assert [stage.stage for stage in result.stages] == ["rules", "cache"]
    assert result.reason.startswith("cache: nearest reviewed case 7")


def test_without_a_proposal_the_model_decides_and_the_cache_is_on_record(classifier) -> None:
    verdict = CacheVerdict(None, 0.0, "nothing alike enough (case 3 billing 0.40)", ())

    result = _classify("The courier lost my package", cache=verdict, model=classifier)

    assert (result.label, result.route) == ("shipping", "model")
    assert [stage.stage for stage in result.stages] == ["rules", "cache", "model"]
    assert "cache: nothing alike enough" in result.reason


def test_a_cached_label_that_is_no_longer_a_category_is_not_used() -> None:
    verdict = CacheVerdict("returns", 0.95, "nearest reviewed case 7 is 0.99 alike", ())

    result = _classify("something", cache=verdict)

    assert result.label == "unknown"
    assert "'returns' is no longer a category" in result.stages[1].reason
