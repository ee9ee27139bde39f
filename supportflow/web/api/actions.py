"""A reviewer's decision on an action the pipeline proposed for a case (refund, coupon,
ticket...): accept or decline, once. Accepted actions are recorded for the team to carry
out; the API does not execute them.

Deciding needs the `review` permission; the action must belong to the case, and the case to
the principal's tenant (404 otherwise, like an id that does not exist).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from supportflow.actions import decide_action
from supportflow.cases.views import case_detail
from supportflow.web.api.deps import Reviewer, tenant_case
from supportflow.web.api.errors import CONFLICT
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/cases/{case_id}/actions", tags=["review"])


class ActionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept: bool = Field(description="true: accept the action; false: decline it")


@router.post("/{action_id}", responses={409: {**CONFLICT, "description": "already decided"}})
def decide(
    case_id: int, action_id: int, body: ActionDecision, principal: Reviewer, session: SessionDep
) -> dict[str, Any]:
    """Accept or decline proposed action `action_id` of the case; answers the case as it now
    is (its `actions` show the decision). 409 when the action was already decided."""
    tenant_case(session, principal, case_id)
    decide_action(
        session,
        case_id=case_id,
        action_id=action_id,
        accept=body.accept,
        reviewer=principal.email,
    )
    return case_detail(session, tenant_case(session, principal, case_id))
