"""Leases: which worker owns a case right now.

A worker claims a case with one conditional UPDATE (status workable, lease free or expired),
so two workers can never both own it; it renews the lease before each step and gives it
back at the end. A worker that dies simply lets its lease expire, and the next claim
resumes the case from its last completed step.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from supportflow.cases.status import WORKABLE, CaseStatus, transition
from supportflow.errors import SupportflowError
from supportflow.store.base import utcnow
from supportflow.store.models import Case

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
_PRIORITY_ORDER = sql_case(PRIORITY_RANK, value=Case.priority, else_=2)


class LeaseLostError(SupportflowError):
    """Another worker took over the case (this one was too slow); stop working on it."""


def claim_cases(
    session: Session,
    *,
    worker_id: str,
    seconds: float,
    limit: int,
    statuses: tuple[str, ...] = WORKABLE,
) -> list[int]:
    """Take the lease on up to `limit` free cases, most urgent and oldest first.

    One conditional UPDATE both picks and claims, so two workers never get the same case;
    claimed cases that were just received start processing (audited).
    """
    now = utcnow()
    free = or_(Case.lease_expires_at.is_(None), Case.lease_expires_at < now)
    candidates = (
        select(Case.id)
        .where(Case.status.in_(statuses), free)
        .order_by(_PRIORITY_ORDER, Case.id)
        .limit(limit)
        .scalar_subquery()
    )
    claimed = session.scalars(
        update(Case)
        .where(Case.id.in_(candidates), Case.status.in_(statuses), free)
        .values(
            lease_owner=worker_id,
            lease_expires_at=now + timedelta(seconds=seconds),
            runs=Case.runs + 1,
        )
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    ).all()
    cases = list(session.scalars(select(Case).where(Case.id.in_(claimed))))
    for case in cases:
        if case.status == CaseStatus.RECEIVED.value:
            transition(session, case, CaseStatus.PROCESSING, actor=worker_id)
    cases.sort(key=lambda c: (PRIORITY_RANK.get(c.priority, 2), c.id))
    return [c.id for c in cases]


def renew_lease(session: Session, *, case: Case, worker_id: str, seconds: float) -> None:
    """Extend this worker's lease; LeaseLostError if another worker owns the case now."""
    if case.lease_owner != worker_id:
        raise LeaseLostError(f"case {case.id} is now owned by {case.lease_owner}")
    now = utcnow()
    # Renewing costs a write; do it only once half of the lease is used up.
    if case.lease_expires_at is None or case.lease_expires_at - now < timedelta(
        seconds=seconds / 2
    ):
        case.lease_expires_at = now + timedelta(seconds=seconds)


def release_case(session: Session, *, case_id: int, worker_id: str) -> None:
    """Give the lease back (a no-op if it was already handed on)."""
    session.execute(
        update(Case)
        .where(Case.id == case_id, Case.lease_owner == worker_id)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
