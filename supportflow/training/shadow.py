"""How a shadow model did on real cases: the classify step stores its answer as a stage
`{"stage": "shadow", "label", "confidence", "reason"}` beside the live stages, and reviewers'
labels say which of the two was right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.store.models import Case, Classification, ModelVersion, ReviewedLabel

SHADOW_STAGE = "shadow"


def shadow_report(session: Session, row: ModelVersion) -> dict[str, Any]:
    """For the cases classified since `row` became the shadow (latest classification of each):
    how many the shadow scored, how often it agreed with the live label, and on the reviewed
    ones each model's accuracy (None where there is nothing to measure)."""
    pairs = _shadowed_cases(session, row)
    agreed = [shadow == live for live, shadow, _ in pairs]
    reviewed = [(live, shadow, truth) for live, shadow, truth in pairs if truth is not None]
    return {
        "n_cases": len(pairs),
        "agreement": _share(agreed),
        "n_reviewed": len(reviewed),
        "live_accuracy": _share([live == truth for live, _, truth in reviewed]),
        "shadow_accuracy": _share([shadow == truth for _, shadow, truth in reviewed]),
    }


def _shadowed_cases(session: Session, row: ModelVersion) -> list[tuple[str, str, str | None]]:
    """(live label, shadow label, reviewed label or None) per case the shadow scored."""
    query = (
        select(Classification, ReviewedLabel.label)
        .join(Case, Case.id == Classification.case_id)
        .outerjoin(ReviewedLabel, ReviewedLabel.case_id == Classification.case_id)
        .where(Case.tenant_id == row.tenant_id)
        .order_by(Classification.id)
    )
    if row.promoted_at is not None:
        query = query.where(Classification.created_at >= row.promoted_at)
    latest: dict[int, tuple[str, str, str | None]] = {}
    for classification, truth in session.execute(query):
        shadow = _shadow_label(classification.stages)
        if shadow is not None:
            latest[classification.case_id] = (classification.label, shadow, truth)
    return list(latest.values())


def _shadow_label(stages: list[dict[str, Any]]) -> str | None:
    for stage in stages or []:
        if stage.get("stage") == SHADOW_STAGE and isinstance(stage.get("label"), str):
            return str(stage["label"])
    return None


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None
