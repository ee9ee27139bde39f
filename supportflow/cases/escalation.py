"""Escalation: a reviewer hands a drafted case to a person instead of deciding on it.

The case goes to `needs_human` with the reviewer's reason, like a case the pipeline could not
handle, so it leaves the review queue and waits for someone to take it. Only cases awaiting
review can be escalated: earlier ones are still in a worker's hands, later ones are decided.
The decision is kept beside approvals and rejections, and the audit entry names the person it
was assigned to, when one was.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportflow.cases.review import get_case, latest_draft
from supportflow.cases.status import CaseStatus, transition
from supportflow.errors import InputError, StateError
from supportflow.store.models import Case, ReviewDecision


def escalate_case(
    session: Session, *, case_id: int, actor: str, reason: str, assignee: str | None = None
) -> Case:
    """Send case `case_id` to a person (`needs_human`) because of `reason`, audited as `actor`.

    `assignee` (an email, already checked by the caller to be one of the tenant's users) is
    recorded in the audit entry. InputError for an empty reason, NotFoundError for an unknown
    case, StateError when the case is not awaiting review.
    """
    if not reason.strip():
        raise InputError("an escalation needs a reason")
    case = get_case(session, case_id)
    if case.status != CaseStatus.AWAITING_REVIEW.value:
        raise StateError(f"case {case_id} is {case.status}; only cases awaiting review escalate")
    draft = latest_draft(session, case_id)
    session.add(
        ReviewDecision(
            case_id=case.id,
            draft_id=draft.id if draft is not None else None,
            decision="escalate",
            reviewer=actor,
            reason=reason,
        )
    )
    detail = {"decision": "escalate", **({"assignee": assignee} if assignee else {})}
    transition(session, case, CaseStatus.NEEDS_HUMAN, actor=actor, reason=reason, detail=detail)
    session.flush()
    return case
