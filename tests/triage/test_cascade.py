from __future__ import annotations

import pytest

from supportflow.config import Rule, Thresholds
from supportflow.errors import ConfigurationError
from supportflow.triage.cascade import classify
from supportflow.triage.rules import RuleSet

CATEGORIES = ["billing", "shipping", "account", "technical"]
RULES = RuleSet.from_rules(
    [
        Rule(name="double-charge", label="billing", confidence=0.95, phrases=["charged twice"]),
        Rule(name="maybe-shipping", label="shipping", confidence=0.5, keywords=["box"]),
        Rule(name="legal", priority="urgent", keywords=["lawyer"]),
        Rule(name="partner", priority="high", sender_domains=["partner.example"]),
        Rule(name="retired", label="old_category", confidence=1.0, keywords=["fax"]),
    ]
)


def _classify(text, *, model=None, categories=CATEGORIES, sender=None, **thresholds):
    return classify(
        subject="",
        text=text,
        sender=sender,
        rules=RULES,
        model=model,
        categories=categories,
        thresholds=Thresholds(**thresholds),
    )


def test_a_confident_rule_decides_without_the_model(classifier):
    result = _classify("I was charged twice for one order", model=classifier)

    assert (result.label, result.route, result.confidence) == ("billing", "rules", 0.95)
    assert [stage.stage for stage in result.stages] == ["rules"]
    assert "'double-charge'" in result.reason and 'phrase "charged twice"' in result.reason


def test_the_model_decides_when_no_rule_is_sure(classifier, held_out):
    result = _classify(held_out["account"] + " and the box", model=classifier)

    assert (result.label, result.route) == ("account", "model")
    assert [stage.stage for stage in result.stages] == ["rules", "model"]
    assert result.stages[0].label == "shipping"  # the unsure rule is still on record
    assert "below 0.90" in result.stages[0].reason
    assert result.reason.startswith("model: predicted account")
    assert result.confidence == result.stages[1].confidence


def test_below_every_threshold_the_case_is_unknown(classifier, held_out):
    result = _classify(held_out["technical"], model=classifier, classify_min_confidence=1.0)

    assert (result.label, result.route, result.confidence) == ("unknown", "none", 0.0)
    assert "rules: no rule matched" in result.reason
    assert "model: predicted technical" in result.reason and "below 1.00" in result.reason


def test_without_a_model_only_rules_can_decide():
    result = _classify("my parcel is late")

    assert (result.label, result.route) == ("unknown", "none")
    assert "model: no trained model" in result.reason


def test_a_rule_label_outside_the_categories_is_never_returned():
    result = _classify("I sent you a fax")

    assert result.label == "unknown"
    assert "'old_category', not a category" in result.reason


def test_a_model_label_outside_the_categories_is_never_returned(classifier, held_out):
    categories = ["shipping", "account", "technical"]

    result = _classify(held_out["billing"], model=classifier, categories=categories)

    assert result.label == "unknown"
    assert result.stages[-1].label == "billing"
    assert "'billing' is not a category" in result.reason


def test_priority_is_the_highest_among_rule_hits(classifier):
    result = _classify(
        "charged twice, my lawyer says", model=classifier, sender="x@partner.example"
    )

    assert (result.label, result.priority) == ("billing", "urgent")


def test_priority_falls_back_to_the_default():
    result = classify(
        subject="",
        text="nothing special",
        sender=None,
        rules=RULES,
        model=None,
        categories=CATEGORIES,
        thresholds=Thresholds(),
        default_priority="low",
    )

    assert result.priority == "low"


def test_an_unknown_default_priority_is_refused():
    with pytest.raises(ConfigurationError, match="'soon'"):
        classify(
            subject="",
            text="",
            sender=None,
            rules=RULES,
            model=None,
            categories=CATEGORIES,
            thresholds=Thresholds(),
            default_priority="soon",
        )


def test_every_stage_explains_itself(classifier, held_out):
    result = _classify(held_out["shipping"] + " box", model=classifier)

    assert all(stage.reason for stage in result.stages)
    assert result.reason
