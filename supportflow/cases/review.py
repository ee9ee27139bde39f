"""Review decisions: approve (as is or edited) or reject a drafted case.

Decisions are made by people, from any process (CLI, web); they are recorded in the store
and the worker that next claims the case acts on them. Approval fixes the reply's text,
recipient and Message-ID in the outbox in the same transaction, so what is sent is exactly
what was approved, once.
"""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.labels import confirm_label, label_case
from supportflow.cases.status import CaseStatus, transition
from supportflow.errors import InputError, NotFoundError, StateError
from supportflow.mail.smtp import new_message_id, reply_references
from supportflow.store.models import Case, Draft, OutboxEntry, ReviewDecision, Tenant


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"no case {case_id}")
    return case


def latest_draft(session: Session, case_id: int) -> Draft | None:
    return session.scalar(
        select(Draft).where(Draft.case_id == case_id).order_by(Draft.version.desc()).limit(1)
    )


def _reviewable(session: Session, case_id: int) -> tuple[Case, Draft]:
    case = get_case(session, case_id)
    if case.status != CaseStatus.AWAITING_REVIEW.value:
        raise StateError(f"case {case_id} is {case.status}, not awaiting_review")
    draft = latest_draft(session, case_id)
    if draft is None:
        raise StateError(f"case {case_id} has no draft to review")
    return case, draft


def edit_diff(before: str, after: str) -> str:
    """A unified diff of a reviewer's edit, as stored with the decision."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile="draft",
        tofile="approved",
    )
    return "".join(lines)


def approve_case(
    session: Session,
    *,
    case_id: int,
    reviewer: str,
    edited_text: str | None = None,
    label: str | None = None,
    automatic: bool = False,
) -> OutboxEntry:
    """Approve the latest draft, or a new version with `edited_text`; queue it for sending.

    A person's approval confirms the case's category as a reviewed label, or records
    `label` instead (a correction when it differs from triage's). An `automatic` approval
    (the tenant's auto-approval policy) is recorded as "auto_approve" and confirms nothing:
    triage's own decisions must not become its training data.
    """
    case, draft = _reviewable(session, case_id)
    if label is not None:
        label_case(session, case_id=case_id, label=label, reviewer=reviewer)
    elif not automatic:
        confirm_label(session, case, reviewer)
    decision = "auto_approve" if automatic else "approve"
    diff = None
    if edited_text is not None and edited_text.strip() != draft.body_text.strip():
        if not edited_text.strip():
            raise InputError("the edited reply is empty")
        diff = edit_diff(draft.body_text, edited_text)
        draft = Draft(
            case_id=case.id,
            version=draft.version + 1,
            body_text=edited_text,
            template=draft.template,
            citations=draft.citations,
            author=reviewer,
        )
        session.add(draft)
        session.flush()
        decision = "edit"
    session.add(
        ReviewDecision(
            case_id=case.id, draft_id=draft.id, decision=decision, reviewer=reviewer, edit_diff=diff
        )
    )
    entry = _queue_reply(session, case, draft)
    transition(
        session,
        case,
        CaseStatus.APPROVED,
        actor=reviewer,
        detail={"decision": decision, "draft_version": draft.version},
    )
    return entry


def reject_case(
    session: Session, *, case_id: int, reviewer: str, reason: str, label: str | None = None
) -> None:
    """Reject the draft; the case ends without a reply from us. A rejection says nothing
    about the category unless the reviewer gives the right one as `label`."""
    if not reason.strip():
        raise InputError("a rejection needs a reason")
    case, draft = _reviewable(session, case_id)
    if label is not None:
        label_case(session, case_id=case_id, label=label, reviewer=reviewer)
    session.add(
        ReviewDecision(
            case_id=case.id, draft_id=draft.id, decision="reject", reviewer=reviewer, reason=reason
        )
    )
    transition(session, case, CaseStatus.REJECTED, actor=reviewer, reason=reason)


def _queue_reply(session: Session, case: Case, draft: Draft) -> OutboxEntry:
    message = case.message
    if not message.from_address:
        raise StateError(f"case {case.id} has no customer address to reply to")
    tenant = session.get_one(Tenant, case.tenant_id)
    domain = tenant.support_address.rpartition("@")[2] or "localhost"
    entry = OutboxEntry(
        case_id=case.id,
        draft_id=draft.id,
        message_id=new_message_id(domain),
        to_address=message.from_address,
        subject=message.subject,
        body_text=draft.body_text,
        in_reply_to=message.message_id,
        references=reply_references(message.references, message.message_id),
        status="pending",
    )
    session.add(entry)
    return entry
