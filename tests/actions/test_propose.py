"""The action rules: categories, required fields, keywords, order and reasons."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from supportflow.actions import ProposedAction, propose_actions
from supportflow.config import ActionRule, TenantConfig

REFUND = ActionRule(
    name="refund",
    label="Refund order {order_id}",
    categories=["returns_refunds", "billing"],
    requires=["order_id"],
    when_keywords=["refund", "charged twice"],
    priority=10,
)
TRACE = ActionRule(
    name="carrier_trace",
    label="Trace parcel {tracking_number}",
    categories=["order_status"],
    requires=["tracking_number"],
    priority=20,
)
COUPON = ActionRule(
    name="coupon",
    label="Offer a goodwill coupon",
    categories=["order_status", "billing"],
    when_keywords=["haven't received", "unacceptable"],
    priority=5,
)
RULES = [REFUND, TRACE, COUPON]


def names(category: str | None, fields: dict[str, list[str]], text: str) -> list[str]:
    return [p.name for p in propose_actions(category, fields, "Subject", text, RULES)]


def test_an_action_applies_only_to_its_categories() -> None:
    fields = {"order_id": ["BW-100234"], "tracking_number": ["PL1234567890"]}
    assert names("order_status", fields, "Where is it?") == ["carrier_trace"]
    assert names("technical_issue", fields, "I want a refund") == []
    assert names(None, fields, "I want a refund") == []


def test_an_action_missing_a_required_field_is_not_proposed() -> None:
    assert names("billing", {}, "Please refund me") == []
    assert names("billing", {"order_id": []}, "Please refund me") == []
    assert names("billing", {"order_id": ["BW-100234"]}, "Please refund me") == ["refund"]


def test_keywords_are_whole_words_in_subject_or_text_whatever_the_case_and_spacing() -> None:
    fields = {"order_id": ["BW-100234"]}
    assert names("billing", fields, "Nothing to see") == []
    assert names("billing", fields, "No refunds wanted, refundable?") == []  # not whole words
    assert names("billing", fields, "I was CHARGED\n  twice") == ["refund"]
    by_subject = propose_actions("billing", fields, "Refund please", "", RULES)
    assert [p.name for p in by_subject] == ["refund"]
    # A curly apostrophe says the same as a straight one.
    assert names("order_status", {}, "I haven\u2019t received it") == ["coupon"]


def test_proposals_come_by_priority_with_filled_labels_and_reasons() -> None:
    fields = {"order_id": ["BW-100234", "BW-999999"], "tracking_number": ["PL1234567890"]}
    proposals = propose_actions(
        "billing", fields, "Charged twice", "This is unacceptable. Refund it.", RULES
    )
    assert proposals == [
        ProposedAction(
            name="coupon",
            label="Offer a goodwill coupon",
            reason="category billing; the message says 'unacceptable'",
            fields_used={},
        ),
        ProposedAction(
            name="refund",
            label="Refund order BW-100234",
            reason="category billing; order_id BW-100234; the message says 'refund'",
            fields_used={"order_id": "BW-100234"},
        ),
    ]


def test_a_label_may_only_use_required_fields() -> None:
    with pytest.raises(ValidationError, match="not in requires"):
        ActionRule(name="refund", label="Refund {order_id}", categories=["billing"])
    with pytest.raises(ValidationError, match="not a format string"):
        ActionRule(name="refund", label="Refund {order_id", categories=["billing"])


def test_the_tenant_config_refuses_actions_for_unknown_categories_and_duplicates() -> None:
    base = {
        "tenant": {"slug": "t", "name": "T", "support_address": "s@t.example"},
        "categories": [{"name": "billing", "template": "billing.j2"}],
    }
    action = {"name": "coupon", "label": "Coupon", "categories": ["billing"]}
    assert TenantConfig.model_validate({**base, "actions": [action]}).actions[0].name == "coupon"
    with pytest.raises(ValidationError, match="not categories: warranty"):
        TenantConfig.model_validate({**base, "actions": [{**action, "categories": ["warranty"]}]})
    with pytest.raises(ValidationError, match="unique"):
        TenantConfig.model_validate({**base, "actions": [action, action]})
