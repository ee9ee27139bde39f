"""Repeated requests: a customer asking again and again about one issue goes to a person.

An issue is the conversation the message belongs to, together with the same customer's
other messages of the last SAME_ISSUE_WINDOW that name the same order id or carry the same
normalised subject (a customer often starts a new email instead of replying). Asks are
counted from our first reply on the issue: before it, writing twice is impatience, after it
every further ask says the reply did not help.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportflow.cases.threads import normalise_subject
from supportflow.config import ExtractionPatterns
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Message
from supportflow.triage.extraction import extract_fields

REPEAT_LIMIT = 3  # more asks than this after our first reply: to a person
SAME_ISSUE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class RepeatCount:
    asks: int  # inbound messages on the issue, this one included
    after_reply: int  # of those, the ones received after our first reply (0 without one)
    topic: str  # what the issue is about, for people: 'order BW-100234' or 'subject "..."'


def count_repeats(session: Session, case: Case, patterns: ExtractionPatterns) -> RepeatCount:
    """How often the case's customer has asked about the case's issue (see the module)."""
    message = case.message
    orders = order_ids_in(message, patterns)
    subject = normalise_subject(message.subject)
    candidates = _candidates(session, case)
    matched = [
        other
        for other in candidates
        if other.conversation_id == case.conversation_id
        or (orders & order_ids_in(other, patterns))
        or (subject and normalise_subject(other.subject) == subject)
    ]
    # A matched message brings its whole thread: a reply in it need not repeat the order id.
    threads = {m.conversation_id for m in matched if m.conversation_id is not None}
    asked = [message] + [
        other for other in candidates if other in matched or other.conversation_id in threads
    ]
    first_reply = _first_reply(session, {m.conversation_id for m in asked})
    after = 0 if first_reply is None else sum(m.received_at > first_reply for m in asked)
    topic = f"order {', '.join(sorted(orders))}" if orders else f'"{message.subject}"'
    return RepeatCount(asks=len(asked), after_reply=after, topic=topic)


def repeat_escalation(count: RepeatCount) -> str | None:
    """The reason to hand the case to a person, or None while the asks are few."""
    if count.after_reply <= REPEAT_LIMIT:
        return None
    return (
        f"asked {count.asks} times about {count.topic} "
        f"({count.after_reply} since our first reply): a person should take over"
    )


def order_ids_in(message: Message, patterns: ExtractionPatterns) -> set[str]:
    """The order ids the message's subject and new text name, by the tenant's parsers."""
    fields = extract_fields(
        subject=message.subject,
        text=message.new_text,
        signature=None,
        from_name=None,
        from_address=None,
        patterns=patterns,
    )
    return {f.value for f in fields if f.name == "order_id"}


def _candidates(session: Session, case: Case) -> list[Message]:
    """The customer's other inbound messages that may be on the same issue."""
    if case.customer_id is None:
        return []
    recent = Message.received_at >= utcnow() - SAME_ISSUE_WINDOW
    near = (
        recent
        if case.conversation_id is None
        else or_(recent, Message.conversation_id == case.conversation_id)
    )
    return list(
        session.scalars(
            select(Message)
            .join(Case, Case.message_id == Message.id)
            .where(
                Case.customer_id == case.customer_id,
                Case.id != case.id,
                Message.direction == "inbound",
                near,
            )
        )
    )


def _first_reply(session: Session, conversation_ids: set[int | None]) -> datetime | None:
    ids = [i for i in conversation_ids if i is not None]
    if not ids:
        return None
    return session.scalar(
        select(Message.sent_at)
        .where(
            Message.conversation_id.in_(ids),
            Message.direction == "outbound",
            Message.sent_at.is_not(None),
        )
        .order_by(Message.sent_at)
        .limit(1)
    )
