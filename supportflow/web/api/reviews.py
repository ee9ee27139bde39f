"""A case's drafts and the decisions reviewers make on it: approve (as drafted or edited),
reject, escalate to a person, set the category, rate the draft.

Deciding needs the `review` permission (reviewer or admin); the principal's email is recorded
as the reviewer. Each decision answers the case as it now is.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.accounts.users import find_user
from supportflow.cases.escalation import escalate_case
from supportflow.cases.feedback import draft_feedback, record_feedback
from supportflow.cases.labels import label_case
from supportflow.cases.review import approve_case, reject_case
from supportflow.cases.views import case_detail
from supportflow.errors import InputError
from supportflow.store.models import Draft, DraftFeedback
from supportflow.web.api.deps import Reader, Reviewer, tenant_case
from supportflow.web.api.errors import CONFLICT
from supportflow.web.api.schemas import (
    ApproveRequest,
    DraftVersion,
    EscalateRequest,
    FeedbackPublic,
    FeedbackRequest,
    LabelRequest,
    RejectRequest,
)
from supportflow.web.auth import Principal
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/cases/{case_id}", tags=["review"])


@router.get("/drafts", response_model=list[DraftVersion])
def drafts(case_id: int, principal: Reader, session: SessionDep) -> list[DraftVersion]:
    """Every version of the case's reply, oldest first (version 1 is the pipeline's, later
    ones are reviewers' edits), each with the ratings it was given."""
    tenant_case(session, principal, case_id)
    ratings: dict[int, list[FeedbackPublic]] = defaultdict(list)
    for row in draft_feedback(session, case_id):
        ratings[row.draft_id].append(_feedback_view(row))
    versions = session.scalars(
        select(Draft).where(Draft.case_id == case_id).order_by(Draft.version)
    )
    return [
        DraftVersion(
            id=d.id,
            version=d.version,
            author=d.author,
            template=d.template,
            text=d.body_text,
            citations=d.citations,
            mode=d.mode,
            generation=d.generation,
            created_at=d.created_at,
            feedback=ratings[d.id],
        )
        for d in versions
    ]


def _feedback_view(row: DraftFeedback) -> FeedbackPublic:
    return FeedbackPublic(
        rating="up" if row.rating == "up" else "down",
        reason=row.reason,
        reviewer=row.reviewer,
        at=row.created_at,
    )


@router.post("/approve", responses={409: CONFLICT})
def approve(
    case_id: int, body: ApproveRequest, principal: Reviewer, session: SessionDep
) -> dict[str, Any]:
    """Approve the latest draft, or `text` as a new version; the reply is queued to send.
    409 when the case is not awaiting review."""
    tenant_case(session, principal, case_id)
    approve_case(
        session,
        case_id=case_id,
        reviewer=principal.email,
        edited_text=body.text,
        label=body.label,
    )
    return _decided(session, principal, case_id)


@router.post("/reject", responses={409: CONFLICT})
def reject(
    case_id: int, body: RejectRequest, principal: Reviewer, session: SessionDep
) -> dict[str, Any]:
    """Reject the draft with a reason; no reply is sent. 409 when not awaiting review."""
    tenant_case(session, principal, case_id)
    reject_case(
        session, case_id=case_id, reviewer=principal.email, reason=body.reason, label=body.label
    )
    return _decided(session, principal, case_id)


@router.post("/escalate", responses={409: CONFLICT})
def escalate(
    case_id: int, body: EscalateRequest, principal: Reviewer, session: SessionDep
) -> dict[str, Any]:
    """Hand the case to a person (`needs_human`) with the reason, optionally naming who."""
    tenant_case(session, principal, case_id)
    assignee = _tenant_user_email(session, principal, body.assignee) if body.assignee else None
    escalate_case(
        session, case_id=case_id, actor=principal.email, reason=body.reason, assignee=assignee
    )
    return _decided(session, principal, case_id)


def _tenant_user_email(session: Session, principal: Principal, email: str) -> str:
    user = find_user(session, email)
    if user is None or user.tenant_id != principal.tenant_id or user.disabled:
        raise InputError(f"no user {email} in this tenant to assign the case to")
    return user.email


@router.post("/label")
def label(
    case_id: int, body: LabelRequest, principal: Reviewer, session: SessionDep
) -> dict[str, Any]:
    """Set the case's category (any status): training data, and the similar-case cache
    routes the next similar message by it."""
    tenant_case(session, principal, case_id)
    label_case(session, case_id=case_id, label=body.label, reviewer=principal.email)
    return _decided(session, principal, case_id)


@router.post("/feedback", response_model=FeedbackPublic, responses={409: CONFLICT})
def feedback(
    case_id: int, body: FeedbackRequest, principal: Reviewer, session: SessionDep
) -> FeedbackPublic:
    """Thumbs up or down on the latest draft, with an optional reason (replaces your earlier
    rating of the same draft)."""
    tenant_case(session, principal, case_id)
    row = record_feedback(
        session, case_id=case_id, reviewer=principal.email, rating=body.rating, reason=body.reason
    )
    return _feedback_view(row)


def _decided(session: Session, principal: Principal, case_id: int) -> dict[str, Any]:
    session.flush()
    return case_detail(session, tenant_case(session, principal, case_id))
