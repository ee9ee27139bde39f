"""The case page ("/cases/{id}") and the reviewer's decisions on it.

Every decision is a form posted here and answered by a redirect (post/redirect/get): approve,
reject and escalate go on to the next case of the queue, so a reviewer clears the queue
without going back to it; labels, feedback and decisions on proposed actions return to the
same case. Each decision runs in
its own transaction, and a refused one (wrong status, empty reason) is rolled back whole and
shown as a notice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.actions import decide_action
from supportflow.cases.escalation import escalate_case
from supportflow.cases.feedback import draft_feedback, record_feedback
from supportflow.cases.labels import label_case
from supportflow.cases.review import approve_case, latest_draft, reject_case
from supportflow.errors import InputError, NotFoundError, StateError, SupportflowError
from supportflow.store.db import Database
from supportflow.store.models import User
from supportflow.web.auth import Principal
from supportflow.web.console.case_view import case_page, owned_case
from supportflow.web.console.deps import CsrfChecked, Reader, Reviewer
from supportflow.web.console.queue import neighbours
from supportflow.web.console.rendering import (
    back_to,
    not_found,
    notify,
    render,
    tenant_config,
)
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/cases")
Text = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]


@router.get("/{case_id}", response_class=HTMLResponse)
def case_detail_page(
    request: Request, case_id: int, principal: Reader, session: SessionDep
) -> HTMLResponse:
    try:
        case = owned_case(session, tenant_id=principal.tenant_id, case_id=case_id)
    except NotFoundError:
        return not_found(request, principal, f"case {case_id}")
    config = tenant_config(session, principal.tenant_id)
    previous, following = neighbours(
        session, tenant_id=principal.tenant_id, config=config, case_id=case_id
    )
    return render(
        request,
        principal,
        "case.html",
        {
            "case": case_page(session, case),
            "categories": [c.name for c in config.categories],
            "previous_id": previous,
            "next_id": following,
            "assignees": _assignees(session, principal.tenant_id),
            "feedback": draft_feedback(session, case_id),
        },
    )


def _assignees(session: Session, tenant_id: int) -> list[str]:
    """The tenant's people a case can be escalated to."""
    return list(
        session.scalars(
            select(User.email)
            .where(User.tenant_id == tenant_id, User.role != "viewer", User.disabled.is_(False))
            .order_by(User.email)
        )
    )


Decision = Callable[[Session], str]  # acts on the case; returns the notice to show


def _decide(
    request: Request, principal: Principal, case_id: int, decision: Decision, *, moves_on: bool
) -> Response:
    """Run `decision` on the tenant's case `case_id` in one transaction and redirect: to the
    next case in the queue when `moves_on` and it succeeded, else back to this case."""
    db: Database = request.app.state.db
    with db.session() as session:
        try:
            owned_case(session, tenant_id=principal.tenant_id, case_id=case_id)
        except NotFoundError:
            return not_found(request, principal, f"case {case_id}")
        config = tenant_config(session, principal.tenant_id)
        _, following = neighbours(
            session, tenant_id=principal.tenant_id, config=config, case_id=case_id
        )
    try:
        with db.session() as session:
            notice = decision(session)
    except SupportflowError as exc:
        notify(request, str(exc), "error")
        return back_to(f"/cases/{case_id}")
    notify(request, notice)
    if not moves_on:
        return back_to(f"/cases/{case_id}")
    return back_to(f"/cases/{following}" if following is not None else "/")


@router.post("/{case_id}/approve")
def approve(
    request: Request,
    case_id: int,
    principal: Reviewer,
    _: CsrfChecked,
    draft_version: Annotated[int, Form()],
    mode: Annotated[Literal["draft", "edited"], Form()] = "draft",
    text: OptionalText = None,
) -> Response:
    """Approve the draft as it was drafted, or (`mode=edited`) the editor's `text`, which is
    stored as a new version with its diff. Refused when the draft changed since the page."""

    def decide(session: Session) -> str:
        current = latest_draft(session, case_id)
        if current is not None and current.version != draft_version:
            raise StateError(
                f"the draft changed since you opened it (now version {current.version}); "
                "review it again"
            )
        edited = text.replace("\r\n", "\n") if mode == "edited" and text is not None else None
        entry = approve_case(session, case_id=case_id, reviewer=principal.email, edited_text=edited)
        return f"Case {case_id} approved; the reply to {entry.to_address} is queued."

    return _decide(request, principal, case_id, decide, moves_on=True)


@router.post("/{case_id}/reject")
def reject(
    request: Request,
    case_id: int,
    principal: Reviewer,
    _: CsrfChecked,
    reason: Text = "",
    label: OptionalText = None,
) -> Response:
    """Reject the draft with a reason (and optionally the right category)."""

    def decide(session: Session) -> str:
        reject_case(
            session, case_id=case_id, reviewer=principal.email, reason=reason, label=label or None
        )
        return f"Case {case_id} rejected."

    return _decide(request, principal, case_id, decide, moves_on=True)


@router.post("/{case_id}/escalate")
def escalate(
    request: Request,
    case_id: int,
    principal: Reviewer,
    _: CsrfChecked,
    reason: Text = "",
    assignee: OptionalText = None,
) -> Response:
    """Hand the case to a person (optionally a named one of the tenant's people)."""

    def decide(session: Session) -> str:
        if assignee and assignee not in _assignees(session, principal.tenant_id):
            raise InputError(f"{assignee} is not one of this tenant's reviewers")
        escalate_case(
            session,
            case_id=case_id,
            actor=principal.email,
            reason=reason,
            assignee=assignee or None,
        )
        return f"Case {case_id} escalated{f' to {assignee}' if assignee else ''}."

    return _decide(request, principal, case_id, decide, moves_on=True)


@router.post("/{case_id}/label")
def relabel(
    request: Request, case_id: int, principal: Reviewer, _: CsrfChecked, label: Text
) -> Response:
    """Set the case's category (a correction when triage said otherwise)."""

    def decide(session: Session) -> str:
        label_case(session, case_id=case_id, label=label, reviewer=principal.email)
        return f"Case {case_id} is now labelled {label}."

    return _decide(request, principal, case_id, decide, moves_on=False)


@router.post("/{case_id}/feedback")
def feedback(
    request: Request,
    case_id: int,
    principal: Reviewer,
    _: CsrfChecked,
    rating: Annotated[Literal["up", "down"], Form()],
    reason: OptionalText = None,
) -> Response:
    """Thumbs up or down on the latest draft, with an optional reason."""

    def decide(session: Session) -> str:
        record_feedback(
            session, case_id=case_id, reviewer=principal.email, rating=rating, reason=reason
        )
        return "Thanks: feedback kept." if rating == "up" else "Thanks: noted what was wrong."

    return _decide(request, principal, case_id, decide, moves_on=False)


@router.post("/{case_id}/actions/{action_id}")
def decide_proposed_action(
    request: Request,
    case_id: int,
    action_id: int,
    principal: Reviewer,
    _: CsrfChecked,
    accept: Annotated[bool, Form()],
) -> Response:
    """Accept or decline an action the pipeline proposed; accepted ones are recorded for the
    team to carry out."""

    def decide(session: Session) -> str:
        action = decide_action(
            session, case_id=case_id, action_id=action_id, accept=accept, reviewer=principal.email
        )
        return f"{action.label}: {action.status}."

    return _decide(request, principal, case_id, decide, moves_on=False)
