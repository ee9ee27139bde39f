"""The case status machine; every change goes through `transition`, which audits it.

    received ──> processing ──> awaiting_review ──> approved ──> sent
                     │                │    │            │
                     │                │    └──> rejected└──> failed / needs_human
                     └──> needs_human / failed

A person can take any case that is not finished (needs_human); `failed` and `needs_human`
cases can be retried by a person (back to received).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from supportflow.errors import StateError
from supportflow.store.models import AuditEntry, Case


class CaseStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    AWAITING_REVIEW = "awaiting_review"
    APPROVED = "approved"
    SENT = "sent"
    REJECTED = "rejected"
    NEEDS_HUMAN = "needs_human"
    FAILED = "failed"


S = CaseStatus
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.PROCESSING, S.NEEDS_HUMAN, S.FAILED}),
    S.PROCESSING: frozenset({S.AWAITING_REVIEW, S.NEEDS_HUMAN, S.FAILED}),
    S.AWAITING_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.NEEDS_HUMAN}),
    S.APPROVED: frozenset({S.SENT, S.FAILED, S.NEEDS_HUMAN}),
    S.SENT: frozenset(),
    S.REJECTED: frozenset(),
    S.NEEDS_HUMAN: frozenset({S.RECEIVED}),
    S.FAILED: frozenset({S.RECEIVED}),
}
TERMINAL = frozenset({S.SENT, S.REJECTED})
WORKABLE = (S.RECEIVED.value, S.PROCESSING.value, S.APPROVED.value)


def audit(
    session: Session,
    *,
    case: Case | None,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    tenant_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry (never updated or deleted afterwards)."""
    entry = AuditEntry(
        tenant_id=case.tenant_id if case is not None else tenant_id,
        case_id=case.id if case is not None else None,
        actor=actor,
        action=action,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def transition(
    session: Session,
    case: Case,
    to_status: CaseStatus,
    *,
    actor: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Move `case` to `to_status` and audit it; StateError if the machine forbids it."""
    from_status = CaseStatus(case.status)
    if to_status not in ALLOWED[from_status]:
        raise StateError(f"case {case.id} is {from_status.value}; cannot become {to_status.value}")
    case.status = to_status.value
    case.status_reason = reason
    entry = audit(session, case=case, actor=actor, action="status", detail=detail)
    entry.from_status = from_status.value
    entry.to_status = to_status.value
    if reason:
        entry.detail = {**(detail or {}), "reason": reason}
