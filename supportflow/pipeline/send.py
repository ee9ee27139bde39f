"""Send: deliver an approved reply through the outbox, exactly once.

The outbox row is marked `sending` and committed before the SMTP conversation starts and
`sent` right after it ends. A row found still `sending` by a later run means a worker died
in between, and whether the server accepted the mail is unknown. What happens then, and so
what holds across a crash, depends on whether the tenant has a Sent folder (the
`sent_folder` of one of its mailboxes, see supportflow.mail.sent_folder):

- Without a Sent folder: *at most once*. Nothing can tell whether the reply went out, so the
  row becomes `uncertain` and the case goes to a person, who checks the sent mail; such a
  reply is never sent again by supportflow. (One gap SMTP itself leaves: a connection lost
  after the message data went out but before the server's answer arrived is a transient
  failure and is retried, so the server may hold two copies.)
- With a Sent folder: each accepted reply is appended there right after the SMTP server
  accepts it, and recovery searches the folder for the reply's Message-ID (IMAP SEARCH
  HEADER). Found: the row becomes `sent` with no second delivery. Not found: the reply is
  delivered now. This is exactly once except when the worker died after the SMTP server
  accepted the reply but before the APPEND completed (or the APPEND failed, which is
  audited as `send.sent_copy_failed`): then the reply goes out twice, never zero times.
  When the folder cannot be searched (server down, login refused), the row goes to a
  person as without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.conversation_memory import note_reply
from supportflow.cases.status import CaseStatus, audit, transition
from supportflow.config import Mailbox, TenantConfig
from supportflow.errors import InternalError, SendError, SupportflowError
from supportflow.mail.sent_folder import file_sent_copy, is_in_sent_folder, sent_mailbox
from supportflow.mail.smtp import build_reply
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.outcome import PIPELINE_ACTOR
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Message, OutboxEntry


@dataclass(frozen=True)
class _Attempt:
    message: EmailMessage
    sent_mailbox: Mailbox | None  # where replies are filed and looked up; None: nowhere
    is_resumed: bool  # a worker died while the row was `sending`


def send_reply(deps: PipelineDeps, case_id: int) -> CaseStatus:
    """Try to send the case's reply once; returns the case's status afterwards."""
    attempt = _begin_attempt(deps, case_id)
    if attempt is None:
        with deps.db.session() as session:
            return CaseStatus(session.get_one(Case, case_id).status)
    if attempt.is_resumed and attempt.sent_mailbox is not None:
        settled = _settle_from_sent_folder(deps, case_id, attempt.message, attempt.sent_mailbox)
        if settled is not None:
            return settled
    try:
        deps.transport_factory().send(attempt.message)
    except SendError as exc:
        return _record_failure(deps, case_id, exc)
    copy_error = _file_sent_copy(attempt)
    return _record_success(deps, case_id, attempt.message, sent_copy_error=copy_error)


def _begin_attempt(deps: PipelineDeps, case_id: int) -> _Attempt | None:
    with deps.db.session() as session:
        case = session.get_one(Case, case_id)
        entry = _entry(session, case_id)
        config = deps.resources.for_tenant_id(session, case.tenant_id).config
        mailbox = sent_mailbox(config)
        if entry.status == "sending":
            if mailbox is None or case.status != CaseStatus.APPROVED.value:
                _mark_uncertain(session, case, entry, "a worker stopped while sending this reply")
                return None
            entry.attempts += 1
            return _Attempt(_reply(config, entry), mailbox, is_resumed=True)
        if entry.status != "pending" or case.status != CaseStatus.APPROVED.value:
            return None
        entry.status = "sending"
        entry.attempts += 1
        return _Attempt(_reply(config, entry), mailbox, is_resumed=False)


def _reply(config: TenantConfig, entry: OutboxEntry) -> EmailMessage:
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


def _mark_uncertain(session: Session, case: Case, entry: OutboxEntry, why: str) -> None:
    entry.status = "uncertain"
    transition(
        session,
        case,
        CaseStatus.NEEDS_HUMAN,
        actor=PIPELINE_ACTOR,
        reason=f"{why}: check the sent mail before sending again",
        detail={"outbox_id": entry.id},
    )


def _settle_from_sent_folder(
    deps: PipelineDeps, case_id: int, message: EmailMessage, mailbox: Mailbox
) -> CaseStatus | None:
    """Ask the Sent folder whether an interrupted send went out: found, the case is sent
    without a second delivery; not there, None (deliver it now); no answer, a person."""
    try:
        found = is_in_sent_folder(mailbox, str(message["Message-ID"]))
    except SupportflowError as exc:
        with deps.db.session() as session:
            case = session.get_one(Case, case_id)
            why = (
                "a worker stopped while sending this reply and the Sent folder could not "
                f"be searched ({exc})"
            )
            _mark_uncertain(session, case, _entry(session, case_id), why)
        return CaseStatus.NEEDS_HUMAN
    if found:
        return _record_success(deps, case_id, message, found_in_sent_folder=True)
    return None


def _file_sent_copy(attempt: _Attempt) -> str | None:
    """File the accepted reply in the Sent folder; the error, if that failed. The reply went
    out either way, so a failure here is recorded, not retried."""
    if attempt.sent_mailbox is None:
        return None
    try:
        file_sent_copy(attempt.sent_mailbox, attempt.message)
    except SupportflowError as exc:
        return str(exc)
    return None


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


def _record_success(
    deps: PipelineDeps,
    case_id: int,
    message: EmailMessage,
    *,
    found_in_sent_folder: bool = False,
    sent_copy_error: str | None = None,
) -> CaseStatus:
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
        note_reply(session, case, entry)
        detail: dict[str, object] = {"outbox_id": entry.id, "message_id": entry.message_id}
        if found_in_sent_folder:
            detail["found_in_sent_folder"] = True
        transition(session, case, CaseStatus.SENT, actor=PIPELINE_ACTOR, detail=detail)
        if sent_copy_error is not None:
            audit(
                session,
                case=case,
                actor=PIPELINE_ACTOR,
                action="send.sent_copy_failed",
                detail={"error": sent_copy_error},
            )
        return CaseStatus.SENT
