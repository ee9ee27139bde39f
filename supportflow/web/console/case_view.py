"""What the case page shows: the case's detail, its conversation so far, and its passages
with the sentences the draft quoted marked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.views import case_detail
from supportflow.errors import NotFoundError
from supportflow.store.models import Case, Message
from supportflow.web.console.highlight import highlighted

# Shown beside the message rather than in the list of facts.
_MESSAGE_TRAITS = ("language", "sentiment")


def owned_case(session: Session, *, tenant_id: int, case_id: int) -> Case:
    """The case `case_id` if it belongs to `tenant_id`; NotFoundError otherwise, so another
    tenant's ids look exactly like ids that do not exist."""
    case = session.get(Case, case_id)
    if case is None or case.tenant_id != tenant_id:
        raise NotFoundError(f"no case {case_id}")
    return case


def case_page(session: Session, case: Case) -> dict[str, Any]:
    """`case_detail` plus what the page adds: marked passages, thread, message traits."""
    detail = case_detail(session, case)
    draft = detail["draft"]
    quoted = {c["number"]: c.get("text") for c in (draft["citations"] if draft else [])}
    for passage in detail["passages"]:
        passage["cited"] = passage["rank"] in quoted
        passage["html"] = highlighted(passage["text"], quoted.get(passage["rank"]))
    fields = detail["fields"]
    detail["traits"] = {f["name"]: f for f in fields if f["name"] in _MESSAGE_TRAITS}
    detail["facts"] = [f for f in fields if f["name"] not in _MESSAGE_TRAITS]
    detail["thread"] = earlier_messages(session, case)
    return detail


def earlier_messages(session: Session, case: Case) -> list[dict[str, Any]]:
    """The conversation's messages before this case's (ours and the customer's), oldest
    first, each with the case it opened when it was an inbound one."""
    message = case.message
    if message.conversation_id is None:
        return []
    rows = session.execute(
        select(Message, Case.id)
        .outerjoin(Case, Case.message_id == Message.id)
        .where(
            Message.tenant_id == case.tenant_id,
            Message.conversation_id == message.conversation_id,
            Message.id != message.id,
            Message.received_at <= message.received_at,
        )
        .order_by(Message.received_at, Message.id)
    )
    return [
        {
            "direction": earlier.direction,
            "from": earlier.from_address,
            "from_name": earlier.from_name,
            "subject": earlier.subject,
            "text": earlier.new_text or earlier.body_text,
            "at": (earlier.sent_at or earlier.received_at).isoformat(),
            "case_id": case_id,
        }
        for earlier, case_id in rows
    ]
