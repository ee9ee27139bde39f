"""Thumbs up or down on a draft: what reviewers thought of a reply, kept as training data.

Feedback is given on the case's latest draft (the one the reviewer sees). A reviewer has one
opinion per draft: giving feedback again replaces it, so a changed mind does not count twice.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.review import get_case, latest_draft
from supportflow.errors import StateError
from supportflow.store.base import utcnow
from supportflow.store.models import DraftFeedback

Rating = Literal["up", "down"]


def record_feedback(
    session: Session, *, case_id: int, reviewer: str, rating: Rating, reason: str | None = None
) -> DraftFeedback:
    """Keep `reviewer`'s `rating` of case `case_id`'s latest draft (replacing an earlier one).

    NotFoundError for an unknown case; StateError when the case has no draft yet.
    """
    case = get_case(session, case_id)
    draft = latest_draft(session, case_id)
    if draft is None:
        raise StateError(f"case {case_id} has no draft to rate")
    row = session.scalar(
        select(DraftFeedback).where(
            DraftFeedback.draft_id == draft.id, DraftFeedback.reviewer == reviewer
        )
    )
    if row is None:
        row = DraftFeedback(
            tenant_id=case.tenant_id, case_id=case.id, draft_id=draft.id, reviewer=reviewer
        )
        session.add(row)
    row.rating = rating
    row.reason = reason.strip() if reason and reason.strip() else None
    row.created_at = utcnow()
    session.flush()
    return row


def draft_feedback(session: Session, case_id: int) -> list[DraftFeedback]:
    """Every rating given on any of the case's drafts, oldest first."""
    return list(
        session.scalars(
            select(DraftFeedback).where(DraftFeedback.case_id == case_id).order_by(DraftFeedback.id)
        )
    )
