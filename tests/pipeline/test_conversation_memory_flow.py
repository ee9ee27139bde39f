"""Conversation memory in the running pipeline, on the demo tenant with a real SMTP server:
a follow-up threads into the conversation and is summarised with the first request's facts,
the customer's fifth ask about one order goes to a person, and drafts see the history."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from supportflow.cases.review import approve_case
from supportflow.cases.views import case_detail
from supportflow.config import Settings
from supportflow.store.models import Case, ConversationMemory, Draft, OutboxEntry
from supportflow.workers.embedded import build_deps, process_pending
from tests.pipeline.test_workflow import ingest

FIRST = "Hello,\n\nmy order BW-100234 has not arrived yet. Could you check where it is?\n"


def email(
    n: int, body: str, subject: str = "Where is my order?", in_reply_to: str | None = None
) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Keller <ana@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<ask{n}@example.com>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = f"<ask1@example.com> {in_reply_to}"
    message.set_content(f"{body}\nThanks,\nAna\n")
    return message.as_bytes()


def answer_first_request(db, deps) -> tuple[int, str]:
    """Process, approve and send the reply to the first request; its case id and the
    Message-ID of our reply."""
    [first] = ingest(db, email(1, FIRST))
    process_pending(deps)
    with db.session() as session:
        approve_case(session, case_id=first, reviewer="t")
    process_pending(deps)
    with db.session() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.case_id == first)).one()
        assert (entry.status, session.get_one(Case, first).status) == ("sent", "sent")
        return first, entry.message_id


def process_one(db, deps, raw: bytes) -> Case:
    [case_id] = ingest(db, raw)
    process_pending(deps)
    with db.session() as session:
        case = session.get_one(Case, case_id)
        session.expunge(case)
        return case


def memory(db, conversation_id: int | None) -> ConversationMemory:
    with db.session() as session:
        row = session.scalars(
            select(ConversationMemory).where(ConversationMemory.conversation_id == conversation_id)
        ).one()
        session.expunge(row)
        return row


def deps_with_smtp(db, home: Path, port: int):
    return build_deps(db, Settings(home=home, smtp_port=port))


def test_a_follow_up_threads_in_and_the_summary_keeps_the_first_order(
    demo_db, demo_home, smtp_server
) -> None:
    deps = deps_with_smtp(demo_db, demo_home, smtp_server.port)
    first, reply_id = answer_first_request(demo_db, deps)
    follow_up = process_one(
        demo_db, deps, email(2, "It still has not arrived.", "Re: Where is my order?", reply_id)
    )

    with demo_db.session() as session:
        assert follow_up.conversation_id == session.get_one(Case, first).conversation_id
    remembered = memory(demo_db, follow_up.conversation_id)
    assert remembered.inbound_count == 2
    assert remembered.repeat_count == 1
    assert remembered.facts["order_ids"] == ["BW-100234"]
    assert remembered.facts["first_request"]["case_id"] == first
    assert len(remembered.facts["replies"]) == 1
    assert "BW-100234" in remembered.summary
    assert '"Where is my order?"' in remembered.summary
    assert "We answered on" in remembered.summary


def test_the_fifth_ask_about_one_order_goes_to_a_person(demo_db, demo_home, smtp_server) -> None:
    deps = deps_with_smtp(demo_db, demo_home, smtp_server.port)
    _, reply_id = answer_first_request(demo_db, deps)
    asks = [
        email(2, "It still has not arrived.", "Re: Where is my order?", reply_id),
        # new emails, not replies: the same order id makes them the same issue
        email(3, "My order BW-100234 is still missing.", "Still waiting"),
        email(4, "Any news on order BW-100234?", "Parcel"),
    ]
    for raw in asks:
        assert process_one(demo_db, deps, raw).status != "needs_human"

    fifth = process_one(demo_db, deps, email(5, "Where is order BW-100234?!", "Hello??"))
    assert fifth.status == "needs_human"
    assert fifth.status_reason is not None
    assert fifth.status_reason.startswith("asked 5 times about order BW-100234")


def test_the_draft_sees_the_repeat_and_the_customers_history(
    demo_db, demo_home, smtp_server
) -> None:
    # The tenant's template lists what the draft context carries, so the draft shows it.
    template = demo_home / "tenants" / "brightwave" / "templates" / "order_status.j2"
    template.write_text(
        template.read_text(encoding="utf-8")
        + "\nHistory:{% for h in conversation.history %} {{ h.date }} {{ h.subject }}"
        " ({{ h.category }}, {{ h.status }});{% endfor %}\n",
        encoding="utf-8",
    )
    deps = deps_with_smtp(demo_db, demo_home, smtp_server.port)
    first, reply_id = answer_first_request(demo_db, deps)
    follow_up = process_one(
        demo_db, deps, email(2, "It still has not arrived.", "Re: Where is my order?", reply_id)
    )

    with demo_db.session() as session:
        draft = session.scalars(select(Draft).where(Draft.case_id == follow_up.id)).one()
        detail = case_detail(session, session.get_one(Case, follow_up.id))
    assert "I can see you wrote to us about this before" in draft.body_text
    assert "Where is my order? (order_status, sent);" in draft.body_text
    conversation = detail["conversation"]
    assert conversation["repeat_count"] == 1
    assert [h["case_id"] for h in conversation["history"]] == [first]
    assert "BW-100234" in conversation["summary"]
