"""Proposed actions in the store: kept with the draft, decided by a reviewer, shown as JSON.

The draft step stores a case's proposals in its own transaction, so they exist exactly when
the draft does. A reviewer accepts or declines each one once; the decision is audited.
Accepting records the action for the team to carry out; nothing here calls a shop or a
helpdesk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.actions.proposer import ProposedAction
from supportflow.cases.review import get_case
from supportflow.cases.status import audit
from supportflow.errors import NotFoundError, StateError
from supportflow.store.base import utcnow
from supportflow.store.models import Case
from supportflow.store.models import ProposedAction as StoredAction


def store_proposals(session: Session, case: Case, proposals: Sequence[ProposedAction]) -> None:
    """Add `proposals` to case `case` (in the caller's transaction)."""
    for proposal in proposals:
        session.add(
            StoredAction(
                case_id=case.id,
                name=proposal.name,
                label=proposal.label,
                reason=proposal.reason,
                fields=proposal.fields_used,
                status="proposed",
            )
        )


def case_actions(session: Session, case_id: int) -> list[StoredAction]:
    """The case's proposed actions in the order they were proposed."""
    return list(
        session.scalars(
            select(StoredAction).where(StoredAction.case_id == case_id).order_by(StoredAction.id)
        )
    )


def decide_action(
    session: Session, *, case_id: int, action_id: int, accept: bool, reviewer: str
) -> StoredAction:
    """Accept or decline action `action_id` of case `case_id` as `reviewer`, audited.

    NotFoundError when the case has no such action (another case's id included);
    StateError when the action was already decided.
    """
    case = get_case(session, case_id)
    action = session.get(StoredAction, action_id)
    if action is None or action.case_id != case.id:
        raise NotFoundError(f"case {case_id} has no proposed action {action_id}")
    if action.status != "proposed":
        raise StateError(f"action {action.name} was already {action.status} by {action.decided_by}")
    action.status = "accepted" if accept else "declined"
    action.decided_by = reviewer
    action.decided_at = utcnow()
    audit(
        session,
        case=case,
        actor=reviewer,
        action="action_" + ("accept" if accept else "decline"),
        detail={"action_id": action.id, "name": action.name, "label": action.label},
    )
    session.flush()
    return action


def action_view(action: StoredAction) -> dict[str, Any]:
    """A proposed action as JSON (the `actions` of a case's detail)."""
    return {
        "id": action.id,
        "name": action.name,
        "label": action.label,
        "reason": action.reason,
        "fields": action.fields,
        "status": action.status,
        "decided_by": action.decided_by,
        "decided_at": action.decided_at.isoformat() if action.decided_at else None,
    }
