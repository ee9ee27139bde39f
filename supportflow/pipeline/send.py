"""Send: deliver an approved reply through the outbox, exactly once.

The outbox row is marked `sending` and committed before the SMTP conversation starts and
`sent` right after it ends. A row found still `sending` by a later run means a worker died
in between: whether the server accepted the mail is unknown, so the row becomes
`uncertain` and the case goes to a person instead of risking a second copy.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.status import CaseStatus, audit, transition
from supportflow.errors import InternalError, SendError
from supportflow.mail.smtp import build_reply
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.outcome import PIPELINE_ACTOR
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Message, OutboxEntry


def send_reply(deps: PipelineDeps, case_id: int) -> CaseStatus:
    """Try to send the case's reply once; returns the case's status afterwards."""
    message = _begin_attempt(deps, case_id)
    if message is None:
        with deps.db.session() as session:
            return CaseStatus(session.get_one(Case, case_id).status)
    try:
        deps.transport_factory().send(message)
    except SendError as exc:
        return _record_failure(deps, case_id, exc)
    return _record_success(deps, case_id, message)


def _begin_attempt(deps: PipelineDeps, case_id: int) -> EmailMessage | None:
    with deps.db.session() as session:
        case = session.get_one(Case, case_id)
        entry = _entry(session, case_id)
        if entry.status == "sending":
            entry.status = "uncertain"
            transition(
                session,
                case,
                CaseStatus.NEEDS_HUMAN,
                actor=PIPELINE_ACTOR,
                reason="a worker stopped while sending this reply: check the sent mail "
                "before sending again",
                detail={"outbox_id": entry.id},
            )
            return None
        if entry.status != "pending" or case.status != CaseStatus.APPROVED.value:
            return None
        entry.status = "sending"
        entry.attempts += 1
        config = deps.resources.for_tenant_id(session, case.tenant_id).config
        return build_reply(
            from_address=config.tenant.support_address,
            from_name=config.tenant.support_name,
            to_address=entry.to_address,
            subject=entry.subject,
            body_text=entry.body_text,
            message_id=entry.message_id,
            in_reply_to=entry.in_reply_to,
            references=entry.references,
        )


def _entry(session: Session, case_id: int) -> OutboxEntry:
    entry = session.scalar(select(OutboxEntry).where(OutboxEntry.case_id == case_id))
    if entry is None:
        raise InternalError(f"case {case_id} is approved but has no outbox entry")
    return entry


def _record_failure(deps: PipelineDeps, case_id: int, error: SendError) -> CaseStatus:
    with deps.db.session() as session:
        case = session.get_one(Case, case_id)
        entry = _entry(session, case_id)
        entry.last_error = str(error)
        gives_up = error.is_permanent or entry.attempts >= deps.settings.send_max_attempts
        if gives_up:
            entry.status = "failed"
            transition(
                session,
                case,
                CaseStatus.FAILED,
                actor=PIPELINE_ACTOR,
                reason=f"sending failed after {entry.attempts} attempt(s): {error}",
            )
            return CaseStatus.FAILED
        entry.status = "pending"
        delay = timedelta(seconds=deps.settings.step_retry_seconds * 2**entry.attempts)
        entry.next_attempt_at = utcnow() + delay
        # The case is not claimable again before the next attempt is due.
        case.lease_owner = None
        case.lease_expires_at = entry.next_attempt_at
        audit(
            session,
            case=case,
            actor=PIPELINE_ACTOR,
            action="send.retry",
            detail={"attempt": entry.attempts, "error": str(error)},
        )
        return CaseStatus.APPROVED


def _record_success(deps: PipelineDeps, case_id: int, message: EmailMessage) -> CaseStatus:
    with deps.db.session() as session:
        case = session.get_one(Case, case_id)
        entry = _entry(session, case_id)
        entry.status = "sent"
        entry.sent_at = utcnow()
        raw = message.as_bytes()
        session.add(
            Message(
                tenant_id=case.tenant_id,
                conversation_id=case.conversation_id,
                direction="outbound",
                message_id=entry.message_id,
                in_reply_to=entry.in_reply_to,
                references=entry.references,
                from_address=str(message["From"]),
                to_address=entry.to_address,
                subject=entry.subject,
                body_text=entry.body_text,
                new_text=entry.body_text,
                raw_mime=raw,
                size_bytes=len(raw),
                sent_at=entry.sent_at,
            )
        )
        transition(
            session,
            case,
            CaseStatus.SENT,
            actor=PIPELINE_ACTOR,
            detail={"outbox_id": entry.id, "message_id": entry.message_id},
        )
        return CaseStatus.SENT
