"""Classify: the triage cascade picks a category (or `unknown`, which goes to a person)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.orm import Session

from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, Classification
from supportflow.tenants import TenantResources
from supportflow.triage.cascade import classify

UNKNOWN = "unknown"


def classify_case(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    config = resources.config
    result = classify(
        subject=message.subject,
        text=message.new_text[: config.limits.max_body_chars],
        sender=message.from_address,
        rules=resources.rules,
        model=resources.classifier,
        categories=[c.name for c in config.categories],
        thresholds=config.thresholds,
    )
    session.add(
        Classification(
            case_id=case.id,
            label=result.label,
            confidence=result.confidence,
            route=result.route,
            priority=result.priority,
            reason=result.reason,
            stages=[asdict(stage) for stage in result.stages],
        )
    )
    case.category = result.label
    case.confidence = result.confidence
    case.route = result.route
    case.priority = _higher_priority(result.priority, resources, result.label)
    detail = {"label": result.label, "confidence": result.confidence, "route": result.route}
    if result.label == UNKNOWN:
        return StepOutcome(detail=detail, escalation=f"no category fits: {result.reason}")
    return StepOutcome(detail=detail)


PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _higher_priority(from_triage: str, resources: TenantResources, label: str) -> str:
    """Rule-set priority, raised to the category's default when that is higher."""
    category = resources.config.category(label)
    default = category.priority if category else "normal"
    return max(from_triage, default, key=PRIORITY_RANK.__getitem__)
