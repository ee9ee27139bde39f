"""Conversation memory: what a thread has been about so far, kept up to date without an LLM.

One `ConversationMemory` row per conversation holds `facts` (JSON: the first request, the
order ids, products and error codes seen, our replies, the latest status) and `summary`,
a few sentences rendered from those facts alone, so the same thread always reads the same.
Each inbound message (receive, then extract) and each sent reply updates it inside that
step's own transaction, so the memory changes exactly when the step happens, once.

With a `summarise` LLM configured, the draft step has the LLM rewrite the summary it drafts
with (`cases/llm_summary.py`) and keeps that text (`keep_written_summary`) until the next
update renders the facts again; `written_summary` is where an update could ask too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.store.base import utcnow
from supportflow.store.models import Case, ConversationMemory, Draft, Message, OutboxEntry

# Extracted field name -> key in `facts`: the identifiers worth remembering across messages.
REMEMBERED_FIELDS = {"order_id": "order_ids", "product": "products", "error_code": "error_codes"}
HISTORY_LENGTH = 5


def memory_of(session: Session, conversation_id: int) -> ConversationMemory:
    """The conversation's memory, created empty the first time it is asked for."""
    memory = session.scalar(
        select(ConversationMemory).where(ConversationMemory.conversation_id == conversation_id)
    )
    if memory is None:
        memory = ConversationMemory(
            conversation_id=conversation_id, summary="", facts={}, inbound_count=0, repeat_count=0
        )
        session.add(memory)
        session.flush()
    return memory


def note_inbound(session: Session, case: Case) -> None:
    """Count the case's message in its conversation; the first one becomes the request."""
    if case.conversation_id is None:
        return
    memory = memory_of(session, case.conversation_id)
    facts = dict(memory.facts)
    message = case.message
    facts.setdefault(
        "first_request",
        {"case_id": case.id, "subject": message.subject, "at": _date(message), "category": None},
    )
    facts["status"] = "new message received"
    memory.inbound_count += 1
    _save(memory, facts)


def note_facts(session: Session, case: Case, fields: Iterable[tuple[str, str]]) -> None:
    """Remember the case's category (for the first request) and its identifiers:
    `fields` are (name, value) pairs as extraction found them."""
    if case.conversation_id is None:
        return
    memory = memory_of(session, case.conversation_id)
    facts = dict(memory.facts)
    first = dict(facts.get("first_request") or {})
    if first.get("case_id") == case.id:
        first["category"] = case.category
        facts["first_request"] = first
    for name, value in fields:
        key = REMEMBERED_FIELDS.get(name)
        if key is not None and value not in facts.get(key, []):
            facts[key] = [*facts.get(key, []), value]
    facts["status"] = f"being handled ({case.category})" if case.category else "being handled"
    _save(memory, facts)


def note_reply(session: Session, case: Case, entry: OutboxEntry) -> None:
    """Remember a reply we sent: when, from which template, citing which documents."""
    if case.conversation_id is None:
        return
    memory = memory_of(session, case.conversation_id)
    facts = dict(memory.facts)
    draft = session.get(Draft, entry.draft_id)
    sent_at = entry.sent_at or utcnow()
    reply = {
        "case_id": case.id,
        "at": sent_at.date().isoformat(),
        "template": draft.template if draft is not None else None,
        "sources": sorted({c["title"] for c in (draft.citations if draft else []) if "title" in c}),
    }
    facts["replies"] = [*facts.get("replies", []), reply]
    facts["status"] = f"answered on {reply['at']}"
    _save(memory, facts)


def keep_written_summary(session: Session, case: Case, text: str) -> None:
    """Keep an LLM's rewrite of the conversation's summary (the facts stay the record)."""
    if case.conversation_id is None:
        return
    memory = memory_of(session, case.conversation_id)
    memory.summary = text
    memory.updated_at = utcnow()


def note_repeats(session: Session, case: Case, repeat_count: int) -> None:
    """Record how often the customer has asked again since our first reply."""
    if case.conversation_id is None:
        return
    memory = memory_of(session, case.conversation_id)
    memory.repeat_count = repeat_count
    _save(memory, dict(memory.facts))


def render_summary(facts: dict[str, Any], inbound_count: int, repeat_count: int) -> str:
    """The deterministic summary: the same facts always give the same text."""
    lines = []
    first = facts.get("first_request")
    if first:
        category = f" ({first['category']})" if first.get("category") else ""
        lines.append(f'First request on {first["at"]}: "{first["subject"]}"{category}.')
    seen = [
        f"{label}: {', '.join(facts[key])}"
        for key, label in (
            ("order_ids", "orders"),
            ("products", "products"),
            ("error_codes", "error codes"),
        )
        if facts.get(key)
    ]
    if seen:
        lines.append("Mentioned " + "; ".join(seen) + ".")
    for reply in facts.get("replies", []):
        sources = f", citing {', '.join(reply['sources'])}" if reply.get("sources") else ""
        template = f" with {reply['template']}" if reply.get("template") else ""
        lines.append(f"We answered on {reply['at']}{template}{sources}.")
    asked = f"{inbound_count} message(s) from the customer"
    if repeat_count:
        asked += f", {repeat_count} of them after our first reply"
    lines.append(f"{asked}. Status: {facts.get('status', 'unknown')}.")
    return " ".join(lines)


def written_summary(summary: str, facts: dict[str, Any]) -> str:
    """The summary people and drafts see. Issue 7's seam: with an LLM configured, it will
    rewrite `summary` (grounded in `facts`) here; without one the deterministic text stands."""
    del facts  # used once an LLM writes the summary
    return summary


def customer_history(
    session: Session, customer_id: int | None, *, before_case: int
) -> list[dict[str, Any]]:
    """The customer's last HISTORY_LENGTH cases before `before_case`, newest first."""
    if customer_id is None:
        return []
    rows = session.execute(
        select(Case.id, Case.category, Case.status, Message.subject, Message.received_at)
        .join(Message, Message.id == Case.message_id)
        .where(Case.customer_id == customer_id, Case.id != before_case)
        .order_by(Message.received_at.desc(), Case.id.desc())
        .limit(HISTORY_LENGTH)
    )
    return [
        {
            "case_id": row.id,
            "date": row.received_at.date().isoformat(),
            "subject": row.subject,
            "category": row.category,
            "status": row.status,
        }
        for row in rows
    ]


def conversation_context(session: Session, case: Case) -> dict[str, Any]:
    """What drafts and reviewers see of the conversation: summary, facts, repeat count and
    the customer's recent history."""
    memory = (
        session.scalar(
            select(ConversationMemory).where(
                ConversationMemory.conversation_id == case.conversation_id
            )
        )
        if case.conversation_id is not None
        else None
    )
    return {
        "conversation_id": case.conversation_id,
        "summary": memory.summary if memory is not None else "",
        "facts": dict(memory.facts) if memory is not None else {},
        "inbound_count": memory.inbound_count if memory is not None else 0,
        "repeat_count": memory.repeat_count if memory is not None else 0,
        "history": customer_history(session, case.customer_id, before_case=case.id),
    }


def _save(memory: ConversationMemory, facts: dict[str, Any]) -> None:
    # A new dict, not an in-place change: the JSON column only notices reassignment.
    memory.facts = facts
    summary = render_summary(facts, memory.inbound_count, memory.repeat_count)
    memory.summary = written_summary(summary, facts)
    memory.updated_at = utcnow()


def _date(message: Message) -> str:
    return (message.received_at or utcnow()).date().isoformat()
