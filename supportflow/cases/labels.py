"""Reviewed labels: the category a person confirmed or set for a case.

Approving a reply (as drafted or edited) confirms the case's category; `label_case` sets
one, correcting triage when it differs. Either way one `ReviewedLabel` per case keeps the
person's label beside what triage said (label, route, the similar-case cache's proposal):
the classifier trains on these, and the similar-case cache reuses them for the next
similar message at once.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.status import audit
from supportflow.config import load_tenant_config
from supportflow.errors import InputError, NotFoundError
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Classification, ReviewedLabel, Tenant
from supportflow.triage.cascade import UNKNOWN


def label_case(session: Session, *, case_id: int, label: str, reviewer: str) -> ReviewedLabel:
    """Record `label` as the case's category, chosen by `reviewer`.

    InputError when the label is not one of the tenant's categories; NotFoundError for an
    unknown case. The case's category becomes `label`; a change is audited.
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    categories = _categories(session, case.tenant_id)
    if label not in categories:
        raise InputError(f"{label!r} is not a category; choose one of {', '.join(categories)}")
    return _record(session, case, label, reviewer)


def confirm_label(session: Session, case: Case, reviewer: str) -> ReviewedLabel | None:
    """Record the case's current category as confirmed (on approval); None when it has none."""
    if not case.category or case.category == UNKNOWN:
        return None
    return _record(session, case, case.category, reviewer)


def _record(session: Session, case: Case, label: str, reviewer: str) -> ReviewedLabel:
    triage = _latest_classification(session, case.id)
    predicted = triage.label if triage is not None else None
    row = session.scalar(select(ReviewedLabel).where(ReviewedLabel.case_id == case.id))
    previous = row.label if row is not None else case.category
    if row is None:
        row = ReviewedLabel(case_id=case.id, tenant_id=case.tenant_id, text=_triage_text(case))
        session.add(row)
    row.label = label
    row.predicted_label = predicted
    row.route = triage.route if triage is not None else None
    row.cache_label = _cache_proposal(triage)
    row.corrected = predicted != label
    row.reviewer = reviewer
    row.updated_at = utcnow()
    if previous != label:
        detail = {"from": previous, "to": label, "predicted": predicted}
        audit(session, case=case, actor=reviewer, action="label", detail=detail)
    case.category = label
    session.flush()
    return row


def _latest_classification(session: Session, case_id: int) -> Classification | None:
    return session.scalar(
        select(Classification)
        .where(Classification.case_id == case_id)
        .order_by(Classification.id.desc())
        .limit(1)
    )


def _cache_proposal(triage: Classification | None) -> str | None:
    """What the similar-case cache proposed for the case, whether or not it decided."""
    if triage is None:
        return None
    for stage in triage.stages:
        if stage.get("stage") == "cache" and stage.get("label"):
            return str(stage["label"])
    return None


def _triage_text(case: Case) -> str:
    """The message as triage classified it: subject, then the new text."""
    message = case.message
    return f"{message.subject}\n{message.new_text}"


def _categories(session: Session, tenant_id: int) -> list[str]:
    tenant = session.get_one(Tenant, tenant_id)
    config = load_tenant_config(Path(tenant.config_dir))
    return [category.name for category in config.categories]
