"""Auto-approval: a drafted case the tenant's policy trusts is approved without a person.

The policy (tenant.yaml `auto_approve`) is off by default. When on, a case is approved at the
review gate only if every check passes: its category is on the allow-list (never `unknown`),
triage's confidence reaches `min_confidence`, the draft cites a passage (when
`require_grounding`), the message trips no prompt-injection pattern, the case was never
handed to a person, and the tenant has not reached `daily_cap` auto-approvals this UTC day.
Anything else waits for a reviewer exactly as before.

An auto-approval goes through `approve_case` (automatic) like a person's, so the reply is
queued and sent the same way, and is marked: the decision is `auto_approve` by the actor
`auto-approval`, and an `auto_approve` audit entry records what the policy saw. Unlike a
person's approval it confirms no label: the classifier agreeing with itself must not
become training data or the similar-case cache's memory.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.cases.review import approve_case, latest_draft
from supportflow.cases.status import CaseStatus, audit
from supportflow.config import AutoApproval
from supportflow.security.injection import find_injection
from supportflow.store.base import utcnow
from supportflow.store.models import AuditEntry, Case, ReviewDecision
from supportflow.triage.cascade import UNKNOWN

AUTO_APPROVAL_ACTOR = "auto-approval"
AUTO_APPROVE = "auto_approve"


def auto_approve_if_allowed(
    session: Session, case: Case, policy: AutoApproval, *, now: datetime | None = None
) -> bool:
    """Approve `case` (awaiting review) when `policy` allows it; True when it did.

    A refusal by an enabled policy is audited with its reason, so the reviewer sees why the
    case waits; a disabled policy leaves no trace.
    """
    if not policy.enabled:
        return False
    now = now or utcnow()
    refusal = refusal_reason(session, case, policy, now=now)
    if refusal is not None:
        audit(
            session,
            case=case,
            actor=AUTO_APPROVAL_ACTOR,
            action="auto_approve.refused",
            detail={"reason": refusal},
        )
        return False
    _approve(session, case, policy, now)
    return True


def refusal_reason(
    session: Session, case: Case, policy: AutoApproval, *, now: datetime
) -> str | None:
    """Why `policy` will not approve `case`; None when it may. Cheapest checks first."""
    if not policy.enabled:
        return "auto-approval is off"
    if case.status != CaseStatus.AWAITING_REVIEW.value:
        return f"case is {case.status}"
    if not case.category or case.category == UNKNOWN:
        return "no category"
    if case.category not in policy.categories:
        return f"category {case.category} is not on the auto-approval list"
    if case.confidence is None or case.confidence < policy.min_confidence:
        return f"confidence {case.confidence} below {policy.min_confidence}"
    draft = latest_draft(session, case.id)
    if draft is None:
        return "no draft"
    if policy.require_grounding and not draft.citations:
        return "the draft cites no passage"
    generation = draft.generation or {}
    if generation.get("grounded") is False:
        return "the LLM draft has sentences no source supports"
    if generation.get("needs_human"):
        return "the LLM asked for a person to take over"
    message = case.message
    if find_injection(f"{message.subject}\n{message.new_text}") is not None:
        return "possible prompt injection"
    if was_handed_to_a_person(session, case.id):
        return "the case was handed to a person before"
    approved_today = auto_approvals_on(session, tenant_id=case.tenant_id, day=now)
    if approved_today >= policy.daily_cap:
        return f"daily cap of {policy.daily_cap} auto-approvals reached"
    return None


def was_handed_to_a_person(session: Session, case_id: int) -> bool:
    """Whether the case was ever escalated (a retried case keeps its earlier screening)."""
    found = session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.case_id == case_id,
            AuditEntry.to_status == CaseStatus.NEEDS_HUMAN.value,
        )
        .limit(1)
    )
    return found is not None


def auto_approvals_on(session: Session, *, tenant_id: int, day: datetime) -> int:
    """How many of the tenant's cases were auto-approved on `day`'s UTC date."""
    start = datetime.combine(day.astimezone(UTC).date(), time(), tzinfo=UTC)
    count = session.scalar(
        select(func.count(ReviewDecision.id))
        .join(Case, Case.id == ReviewDecision.case_id)
        .where(
            Case.tenant_id == tenant_id,
            ReviewDecision.decision == AUTO_APPROVE,
            ReviewDecision.created_at >= start,
        )
    )
    return int(count or 0)


def _approve(session: Session, case: Case, policy: AutoApproval, now: datetime) -> None:
    approve_case(session, case_id=case.id, reviewer=AUTO_APPROVAL_ACTOR, automatic=True)
    decision = session.scalars(
        select(ReviewDecision)
        .where(ReviewDecision.case_id == case.id, ReviewDecision.decision == AUTO_APPROVE)
        .order_by(ReviewDecision.id.desc())
        .limit(1)
    ).one()
    decision.created_at = now  # the day the daily cap counts it on
    detail = _policy_seen(case, policy)
    audit(session, case=case, actor=AUTO_APPROVAL_ACTOR, action=AUTO_APPROVE, detail=detail)
    session.flush()


def _policy_seen(case: Case, policy: AutoApproval) -> dict[str, Any]:
    return {
        "auto_approved": True,
        "category": case.category,
        "confidence": case.confidence,
        "min_confidence": policy.min_confidence,
        "require_grounding": policy.require_grounding,
    }
