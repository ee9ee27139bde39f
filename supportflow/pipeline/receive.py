"""Receive: normalise the stored MIME, find the customer and the conversation (thread)."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.conversation_memory import note_inbound
from supportflow.cases.threads import THREAD_FALLBACK_WINDOW, is_reply_subject, normalise_subject
from supportflow.errors import MalformedEmailError
from supportflow.mail.parsing import ParsedEmail, parse_email
from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Conversation, Customer, Message
from supportflow.tenants import TenantResources

__all__ = ["normalise_subject", "receive_email"]


def receive_email(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    try:
        parsed = parse_email(
            message.raw_mime, max_attachment_bytes=resources.config.limits.max_attachment_bytes
        )
    except MalformedEmailError as exc:
        return StepOutcome(detail={"parsed": False}, escalation=f"unreadable email: {exc}")
    _store_parsed(message, parsed)
    customer = _customer_for(session, resources.tenant_id, parsed)
    conversation, threaded_by = _conversation_for(session, resources.tenant_id, parsed, customer)
    message.conversation_id = conversation.id
    case.conversation_id = conversation.id
    case.customer_id = customer.id if customer else None
    conversation.last_message_at = utcnow()
    note_inbound(session, case)
    return StepOutcome(
        detail={
            "parsed": True,
            "conversation_id": conversation.id,
            "threaded_by": threaded_by,
            "defects": list(parsed.defects),
        }
    )


def _store_parsed(message: Message, parsed: ParsedEmail) -> None:
    message.in_reply_to = parsed.in_reply_to
    message.references = list(parsed.references)
    message.from_address = parsed.from_address
    message.from_name = parsed.from_name
    message.to_address = ", ".join(parsed.to_addresses)
    message.subject = parsed.subject
    message.body_text = parsed.body_text
    message.new_text = parsed.new_text
    message.signature = parsed.signature
    message.attachments = [asdict(a) for a in parsed.attachments]
    message.defects = list(parsed.defects)
    message.auto_reply_reason = parsed.auto_reply_reason


def _customer_for(session: Session, tenant_id: int, parsed: ParsedEmail) -> Customer | None:
    if parsed.from_address is None:
        return None
    customer = session.scalar(
        select(Customer).where(
            Customer.tenant_id == tenant_id, Customer.email == parsed.from_address
        )
    )
    if customer is None:
        customer = Customer(tenant_id=tenant_id, email=parsed.from_address)
        session.add(customer)
    if parsed.from_name:
        customer.name = parsed.from_name
    session.flush()
    return customer


def _conversation_for(
    session: Session, tenant_id: int, parsed: ParsedEmail, customer: Customer | None
) -> tuple[Conversation, str]:
    """The thread and how it was found: by In-Reply-To/References ("headers"), else by the
    same customer and normalised subject within THREAD_FALLBACK_WINDOW when the subject
    reads as a reply ("subject"), else a new one ("new")."""
    ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
    if ids:
        found = session.scalar(
            select(Message.conversation_id)
            .where(
                Message.tenant_id == tenant_id,
                Message.message_id.in_(ids),
                Message.conversation_id.is_not(None),
            )
            .limit(1)
        )
        if found is not None:
            return session.get_one(Conversation, found), "headers"
    subject = normalise_subject(parsed.subject)
    if customer is not None and subject and is_reply_subject(parsed.subject):
        candidate = session.scalar(
            select(Conversation)
            .where(
                Conversation.tenant_id == tenant_id,
                Conversation.customer_id == customer.id,
                Conversation.subject == subject,
                Conversation.last_message_at >= utcnow() - THREAD_FALLBACK_WINDOW,
            )
            .order_by(Conversation.last_message_at.desc())
            .limit(1)
        )
        if candidate is not None:
            return candidate, "subject"
    conversation = Conversation(
        tenant_id=tenant_id, customer_id=customer.id if customer else None, subject=subject
    )
    session.add(conversation)
    session.flush()
    return conversation, "new"
