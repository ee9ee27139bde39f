"""Leases: which worker owns a case right now.

A worker claims a case with one conditional UPDATE (status workable, lease free or expired),
so two workers can never both own it; it renews the lease before each step and gives it
back at the end. A worker that dies simply lets its lease expire, and the next claim
resumes the case from its last completed step.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from supportflow.cases.status import WORKABLE, CaseStatus, transition
from supportflow.errors import SupportflowError
from supportflow.store.base import utcnow
from supportflow.store.models import Case

_PRIORITY_ORDER = sql_case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Case.priority, else_=2
)


class LeaseLostError(SupportflowError):
    """Another worker took over the case (this one was too slow); stop working on it."""


def _is_free() -> ColumnElement[bool]:
    return or_(Case.lease_expires_at.is_(None), Case.lease_expires_at < utcnow())


def claimable_case_ids(
    session: Session, *, limit: int, statuses: tuple[str, ...] = WORKABLE
) -> list[int]:
    """Ids of cases a worker could claim now, most urgent and oldest first."""
    query = (
        select(Case.id)
        .where(Case.status.in_(statuses), _is_free())
        .order_by(_PRIORITY_ORDER, Case.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_case(session: Session, *, case_id: int, worker_id: str, seconds: float) -> bool:
    """Take the lease on `case_id` if it is free; a received case starts processing."""
    result = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status.in_(WORKABLE), _is_free())
        .values(
            lease_owner=worker_id,
            lease_expires_at=utcnow() + timedelta(seconds=seconds),
            runs=Case.runs + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    case = session.get_one(Case, case_id)
    session.refresh(case)
    if case.status == CaseStatus.RECEIVED.value:
        transition(session, case, CaseStatus.PROCESSING, actor=worker_id)
    return True


def renew_lease(session: Session, *, case: Case, worker_id: str, seconds: float) -> None:
    """Extend this worker's lease; LeaseLostError if another worker owns the case now."""
    if case.lease_owner != worker_id:
        raise LeaseLostError(f"case {case.id} is now owned by {case.lease_owner}")
    case.lease_expires_at = utcnow() + timedelta(seconds=seconds)


def release_case(session: Session, *, case_id: int, worker_id: str) -> None:
    """Give the lease back (a no-op if it was already handed on)."""
    session.execute(
        update(Case)
        .where(Case.id == case_id, Case.lease_owner == worker_id)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
