"""Threading without headers, the deterministic summary, and when repeats go to a person."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import update

from supportflow.cases.conversation_memory import memory_of, render_summary, written_summary
from supportflow.cases.repeats import RepeatCount, repeat_escalation
from supportflow.cases.threads import is_reply_subject, normalise_subject
from supportflow.pipeline.outcome import run_recorded_step
from supportflow.pipeline.receive import receive_email
from supportflow.store.base import utcnow
from supportflow.store.models import Case, Conversation
from tests.pipeline.test_workflow import claim, ingest


@pytest.mark.parametrize(
    "subject",
    [
        "Where is my order?",
        "Re: Where is my order?",
        "RE: re: Where is  my order?",
        "AW: Where is my order?",
        "SV:Where is my order?",
        "Fwd: Re[2]: Where is my   order? ",
        "WG: where IS my order?",
    ],
)
def test_reply_and_forward_prefixes_case_and_spaces_are_normalised(subject: str) -> None:
    assert normalise_subject(subject) == "where is my order?"


def test_a_reply_subject_is_told_from_a_fresh_one() -> None:
    assert is_reply_subject("AW: Lieferung")
    assert is_reply_subject("fwd: invoice")
    assert not is_reply_subject("Refund please")
    assert not is_reply_subject("Regarding my order")


def email(n: int, sender: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@brightwave.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<thread{n}@example.com>"
    message.set_content("Hello,\n\nmy order BW-100234 has not arrived.\n\nAna\n")
    return message.as_bytes()


def received(db, deps, raw: bytes) -> tuple[int | None, str]:
    """Run the receive step for a new message: its conversation and how it was found."""
    [case_id] = ingest(db, raw)
    claim(db, deps)
    outcome = run_recorded_step(deps, "receive", case_id, receive_email)
    return outcome.detail["conversation_id"], outcome.detail["threaded_by"]


def test_a_reply_without_headers_threads_by_subject_and_customer(demo_db, demo_deps) -> None:
    first, how = received(demo_db, demo_deps, email(1, "ana@example.com", "Where is my order?"))
    assert how == "new"
    again = received(
        demo_db, demo_deps, email(2, "Ana <ana@example.com>", "AW: where is my order?")
    )
    assert again == (first, "subject")
    other = received(demo_db, demo_deps, email(3, "bob@example.com", "Re: Where is my order?"))
    assert other[0] != first and other[1] == "new"


def test_a_thread_quiet_for_longer_than_the_window_is_not_joined(demo_db, demo_deps) -> None:
    first, _ = received(demo_db, demo_deps, email(1, "ana@example.com", "Where is my order?"))
    with demo_db.session() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == first)
            .values(last_message_at=utcnow() - timedelta(days=15))
        )
    later, how = received(demo_db, demo_deps, email(2, "ana@example.com", "Re: Where is my order?"))
    assert later != first and how == "new"


def test_the_inbound_message_starts_the_conversations_memory(demo_db, demo_deps) -> None:
    conversation_id, _ = received(demo_db, demo_deps, email(1, "ana@example.com", "Parcel"))
    with demo_db.session() as session:
        memory = memory_of(session, conversation_id)
        case = session.query(Case).one()
        assert memory.inbound_count == 1
        assert memory.facts["first_request"]["case_id"] == case.id
        assert memory.summary.startswith("First request on ")
        assert '"Parcel"' in memory.summary


def test_the_summary_is_rendered_from_the_facts_alone() -> None:
    facts = {
        "first_request": {"case_id": 1, "subject": "Robot stops", "at": "2026-11-30",
                          "category": "technical_issue"},
        "order_ids": ["BW-100234"],
        "error_codes": ["E-104", "E-105"],
        "replies": [{"case_id": 1, "at": "2026-12-01", "template": "technical_issue.j2",
                     "sources": ["Glide S2 manual"]}],
        "status": "answered on 2026-12-01",
    }  # fmt: skip
    summary = render_summary(facts, inbound_count=3, repeat_count=2)
    assert summary == (
        'First request on 2026-11-30: "Robot stops" (technical_issue). '
        "Mentioned orders: BW-100234; error codes: E-104, E-105. "
        "We answered on 2026-12-01 with technical_issue.j2, citing Glide S2 manual. "
        "3 message(s) from the customer, 2 of them after our first reply. "
        "Status: answered on 2026-12-01."
    )
    assert render_summary(facts, 3, 2) == summary
    assert written_summary(summary, facts) == summary  # no LLM: the deterministic text


@pytest.mark.parametrize(("after_reply", "escalates"), [(0, False), (3, False), (4, True)])
def test_more_than_three_asks_after_our_reply_go_to_a_person(
    after_reply: int, escalates: bool
) -> None:
    reason = repeat_escalation(RepeatCount(asks=after_reply + 1, after_reply=after_reply,
                                           topic="order BW-100234"))  # fmt: skip
    assert (reason is not None) == escalates
    if reason is not None:
        assert reason.startswith("asked 5 times about order BW-100234")
