"""Outcome metrics over a hand-built store where every figure is known exactly.

Tenant A's eleven cases (times from D1 = 2026-03-02 09:00 UTC; "+Ns" after the case's creation):

    case  day    category         draft  decision      sent    notes
    c1    03-02  billing          +60s   approve       +600s   reopened by c6 (same thread, +1 day)
    c2    03-02  billing          +120s  edit (5 ln)   +1200s  c8 writes again after 8 days: no
    c3    03-03  technical_issue  +30s   auto_approve  +300s   reopened by c7 (same address and
                                                               subject, new thread, +2 days)
    c4    03-03  technical_issue  +90s   reject
    c5    03-03  technical_issue  +45s   (awaiting)
    c6    03-03  -                                             needs_human
    c7    03-05  technical_issue
    c8    03-10  billing
    c9    03-02  billing          +200s  edit (2 ln)   +900s   only an out-of-office came back (c10)
    c10   03-02  -                                             auto-reply, needs_human
    c11   03-02  billing          +500s  escalate              escalated once before, needs_human

Tenant B has one approved case that must never count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest

from supportflow.metrics.outcomes import (
    OutcomeFilter,
    changed_lines,
    normalised_subject,
    outcome_metrics,
)
from supportflow.store.models import (
    AuditEntry,
    Case,
    CaseStep,
    Conversation,
    Draft,
    Message,
    OutboxEntry,
    ReviewDecision,
    Tenant,
)

D1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D2 = D1 + timedelta(days=1)
DIFF_5 = "--- draft\n+++ approved\n@@ -1,3 +1,4 @@\n-a\n-b\n+A\n+B\n+C\n same\n"
DIFF_2 = "--- draft\n+++ approved\n@@ -1 +1 @@\n-Hello\n+Hi\n"


class StoreBuilder:
    """Inserts cases row by row, the way the pipeline would have left them."""

    def __init__(self, session) -> None:
        self.session = session
        self.ids = count(1)

    def tenant(self, slug: str) -> int:
        tenant = Tenant(slug=slug, name=slug, support_address=f"help@{slug}.test", config_dir="")
        self.session.add(tenant)
        self.session.flush()
        return tenant.id

    def conversation(self, tenant_id: int) -> int:
        conversation = Conversation(tenant_id=tenant_id, created_at=D1, last_message_at=D1)
        self.session.add(conversation)
        self.session.flush()
        return conversation.id

    def case(
        self,
        tenant_id: int,
        *,
        at: datetime,
        sender: str,
        subject: str,
        category: str | None,
        status: str,
        conversation: int | None = None,
        auto_reply: str | None = None,
    ) -> Case:
        conversation = conversation or self.conversation(tenant_id)
        message = Message(
            tenant_id=tenant_id,
            conversation_id=conversation,
            direction="inbound",
            message_id=f"<m{next(self.ids)}@test>",
            from_address=sender,
            subject=subject,
            raw_mime=b"",
            size_bytes=0,
            auto_reply_reason=auto_reply,
            received_at=at,
        )
        self.session.add(message)
        self.session.flush()
        case = Case(
            tenant_id=tenant_id,
            message_id=message.id,
            conversation_id=conversation,
            status=status,
            category=category,
            created_at=at,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def drafted(self, case: Case, after_seconds: float) -> Draft:
        finished = case.created_at + timedelta(seconds=after_seconds)
        self.session.add(
            CaseStep(case_id=case.id, step="draft", duration_ms=5, finished_at=finished)
        )
        draft = Draft(case_id=case.id, version=1, body_text="Hello", author="pipeline")
        self.session.add(draft)
        self.session.flush()
        return draft

    def decided(self, case: Case, draft: Draft, decision: str, diff: str | None = None) -> None:
        self.session.add(
            ReviewDecision(
                case_id=case.id,
                draft_id=draft.id,
                decision=decision,
                reviewer="rev@test",
                edit_diff=diff,
            )
        )

    def sent(self, case: Case, draft: Draft, after_seconds: float) -> datetime:
        sent_at = case.created_at + timedelta(seconds=after_seconds)
        self.session.add(
            OutboxEntry(
                case_id=case.id,
                draft_id=draft.id,
                message_id=f"<out{case.id}@test>",
                to_address="someone@test",
                subject="Re",
                body_text="Hello",
                status="sent",
                sent_at=sent_at,
            )
        )
        return sent_at

    def handed_to_a_person(self, case: Case) -> None:
        self.session.add(
            AuditEntry(
                tenant_id=case.tenant_id,
                case_id=case.id,
                actor="pipeline",
                action="status",
                from_status="processing",
                to_status="needs_human",
            )
        )


def build_store(session) -> int:
    b = StoreBuilder(session)
    a = b.tenant("a")
    c1 = b.case(a, at=D1, sender="a@x.test", subject="Refund please", category="billing",
                status="sent")  # fmt: skip
    d1 = b.drafted(c1, 60)
    b.decided(c1, d1, "approve")
    sent1 = b.sent(c1, d1, 600)
    c2 = b.case(a, at=D1 + timedelta(hours=1), sender="b@x.test", subject="Invoice",
                category="billing", status="sent")  # fmt: skip
    d2 = b.drafted(c2, 120)
    b.decided(c2, d2, "edit", DIFF_5)
    sent2 = b.sent(c2, d2, 1200)
    c3 = b.case(a, at=D2, sender="c@x.test", subject="Error E-104",
                category="technical_issue", status="sent")  # fmt: skip
    d3 = b.drafted(c3, 30)
    b.decided(c3, d3, "auto_approve")
    sent3 = b.sent(c3, d3, 300)
    c4 = b.case(a, at=D2 + timedelta(hours=1), sender="e@x.test", subject="Noise",
                category="technical_issue", status="rejected")  # fmt: skip
    b.decided(c4, b.drafted(c4, 90), "reject")
    c5 = b.case(a, at=D2 + timedelta(hours=2), sender="f@x.test", subject="Battery",
                category="technical_issue", status="awaiting_review")  # fmt: skip
    b.drafted(c5, 45)
    c6 = b.case(a, at=sent1 + timedelta(days=1), sender="a@x.test", subject="Re: Refund please",
                category=None, status="needs_human", conversation=c1.conversation_id)  # fmt: skip
    b.handed_to_a_person(c6)
    b.case(a, at=sent3 + timedelta(days=2), sender="c@x.test", subject="RE:  error  e-104",
           category="technical_issue", status="received")  # fmt: skip
    b.case(a, at=sent2 + timedelta(days=8), sender="b@x.test", subject="Re: Invoice",
           category="billing", status="received", conversation=c2.conversation_id)  # fmt: skip
    c9 = b.case(a, at=D1 + timedelta(hours=2), sender="g@x.test", subject="Cancel",
                category="billing", status="sent")  # fmt: skip
    d9 = b.drafted(c9, 200)
    b.decided(c9, d9, "edit", DIFF_2)
    sent9 = b.sent(c9, d9, 900)
    c10 = b.case(a, at=sent9 + timedelta(hours=1), sender="g@x.test", subject="Re: Cancel",
                 category=None, status="needs_human", conversation=c9.conversation_id,
                 auto_reply="out of office")  # fmt: skip
    b.handed_to_a_person(c10)
    c11 = b.case(a, at=D1 + timedelta(hours=3), sender="h@x.test", subject="Address change",
                 category="billing", status="needs_human")  # fmt: skip
    b.handed_to_a_person(c11)
    b.decided(c11, b.drafted(c11, 500), "escalate")
    other = b.tenant("b")
    c12 = b.case(other, at=D1, sender="a@x.test", subject="Refund please", category="billing",
                 status="sent")  # fmt: skip
    d12 = b.drafted(c12, 1)
    b.decided(c12, d12, "approve")
    b.sent(c12, d12, 1)
    return a


@pytest.fixture
def tenant_a(db) -> int:
    with db.session() as session:
        return build_store(session)


def figures(db, **filters) -> dict:
    with db.session() as session:
        return outcome_metrics(session, OutcomeFilter(**filters)).as_dict()


def rate(value: float | None, n: int, of: int) -> dict:
    return {"rate": value, "count": n, "of": of}


def test_all_figures_for_the_whole_tenant(db, tenant_a: int) -> None:
    assert figures(db, tenant_id=tenant_a) == {
        "filters": {"category": None, "from": None, "to": None},
        "cases": 11,
        "volume_per_day": [
            {"date": "2026-03-02", "cases": 5},
            {"date": "2026-03-03", "cases": 4},
            {"date": "2026-03-05", "cases": 1},
            {"date": "2026-03-10", "cases": 1},
        ],
        "volume_per_category": [
            {"category": "billing", "cases": 5},
            {"category": "technical_issue", "cases": 4},
            {"category": None, "cases": 2},
        ],
        "involvement": rate(0.6364, 7, 11),
        "approved_unedited": rate(0.3333, 2, 6),
        "edit_rate": rate(0.3333, 2, 6),
        "median_edit_lines": 3.5,
        "auto_approval": rate(0.1667, 1, 6),
        "automation_rate": 0.2121,  # 7/11 x 2/6
        "handoff": rate(0.2727, 3, 11),
        "reopen": rate(0.5, 2, 4),
        "median_seconds_to_first_draft": 90.0,
        "median_seconds_to_first_reply": 750.0,
    }


def test_figures_for_one_category(db, tenant_a: int) -> None:
    result = figures(db, tenant_id=tenant_a, category="billing")
    assert result["cases"] == 5
    assert result["involvement"] == rate(0.8, 4, 5)
    assert result["approved_unedited"] == rate(0.25, 1, 4)
    assert result["edit_rate"] == rate(0.5, 2, 4)
    assert result["auto_approval"] == rate(0.0, 0, 4)
    assert result["handoff"] == rate(0.2, 1, 5)
    # c1 counts as reopened although the message that reopened it (c6) has no category
    assert result["reopen"] == rate(0.3333, 1, 3)
    assert result["median_seconds_to_first_draft"] == 160.0
    assert result["median_seconds_to_first_reply"] == 900.0


def test_figures_for_one_day(db, tenant_a: int) -> None:
    day = date(2026, 3, 3)
    result = figures(db, tenant_id=tenant_a, start=day, end=day)
    assert result["filters"] == {"category": None, "from": "2026-03-03", "to": "2026-03-03"}
    assert result["cases"] == 4
    assert result["volume_per_day"] == [{"date": "2026-03-03", "cases": 4}]
    assert result["involvement"] == rate(0.75, 3, 4)
    assert result["approved_unedited"] == rate(0.5, 1, 2)
    assert result["auto_approval"] == rate(0.5, 1, 2)
    assert result["automation_rate"] == 0.375
    assert result["handoff"] == rate(0.25, 1, 4)
    assert result["reopen"] == rate(1.0, 1, 1)  # c7 arrived after the period: still counts
    assert result["median_edit_lines"] is None
    assert result["median_seconds_to_first_draft"] == 45.0


def test_an_empty_period_has_no_rates(db, tenant_a: int) -> None:
    result = figures(db, tenant_id=tenant_a, start=date(2027, 1, 1))
    assert result["cases"] == 0
    assert result["involvement"] == rate(None, 0, 0)
    assert result["automation_rate"] is None
    assert result["median_seconds_to_first_reply"] is None


def test_changed_lines_count_removed_and_added_lines() -> None:
    assert changed_lines(DIFF_5) == 5
    assert changed_lines("") == 0


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Refund please", "refund please"),
        ("RE: Fwd: AW:  Refund   please ", "refund please"),
        ("Re[2]: Refund", "refund"),
        ("Refund: partial", "refund: partial"),
        (None, ""),
    ],
)
def test_subjects_are_compared_without_reply_prefixes(subject, expected) -> None:
    assert normalised_subject(subject) == expected
