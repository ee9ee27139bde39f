"""Bulk approve: every draft awaiting review whose classification confidence reaches the
threshold the tenant chose (`review.bulk_approve_min_confidence`), each approved as drafted.

Each case is approved in its own transaction through `approve_case`, exactly as one reviewer
approving it would be, so one that cannot be approved (no customer address, taken by someone
else meanwhile) is reported and never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.review import approve_case
from supportflow.cases.status import CaseStatus
from supportflow.errors import SupportflowError
from supportflow.store.db import Database
from supportflow.store.models import Case


@dataclass(frozen=True)
class BulkOutcome:
    approved: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # case id -> why not


def bulk_candidates(session: Session, *, tenant_id: int, min_confidence: float) -> list[int]:
    """Ids of the tenant's cases awaiting review at `min_confidence` or more."""
    return list(
        session.scalars(
            select(Case.id)
            .where(
                Case.tenant_id == tenant_id,
                Case.status == CaseStatus.AWAITING_REVIEW.value,
                Case.confidence >= min_confidence,
            )
            .order_by(Case.id)
        )
    )


def bulk_approve(
    db: Database, *, tenant_id: int, min_confidence: float, reviewer: str
) -> BulkOutcome:
    """Approve every candidate as drafted, queueing each reply; what failed says why."""
    with db.session() as session:
        candidates = bulk_candidates(session, tenant_id=tenant_id, min_confidence=min_confidence)
    outcome = BulkOutcome()
    for case_id in candidates:
        try:
            with db.session() as session:
                approve_case(session, case_id=case_id, reviewer=reviewer)
        except SupportflowError as exc:
            outcome.failed[case_id] = str(exc)
        else:
            outcome.approved.append(case_id)
    return outcome
