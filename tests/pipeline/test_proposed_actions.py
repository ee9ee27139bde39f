"""Actions proposed by the draft step for demo requests, stored once with the draft."""

from __future__ import annotations

import functools
from importlib import resources

from sqlalchemy import func, select

from supportflow.cases.views import case_detail
from supportflow.pipeline.classify import classify_case
from supportflow.pipeline.draft import draft_reply
from supportflow.pipeline.extract import extract_case_fields
from supportflow.pipeline.outcome import run_recorded_step
from supportflow.pipeline.receive import receive_email
from supportflow.pipeline.research import research_case
from supportflow.pipeline.screen import screen_email
from supportflow.store.models import Case, CaseStep, ProposedAction
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import claim, ingest


def demo_email(name: str) -> bytes:
    return (resources.files("supportflow.demo") / "inbox" / name).read_bytes()


def stored_actions(db, case_id: int) -> list[tuple[str, str, str]]:
    with db.session() as session:
        rows = session.scalars(select(ProposedAction).where(ProposedAction.case_id == case_id))
        return [(a.name, a.label, a.status) for a in rows]


def test_a_demo_refund_request_gets_a_refund_proposal(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, demo_email("08-returns-refund-not-received.eml"))
    process_pending(demo_deps)
    assert stored_actions(demo_db, case_id) == [
        ("refund", "Refund order BW-498755", "proposed")
    ]  # fmt: skip
    with demo_db.session() as session:
        case = session.get_one(Case, case_id)
        detail = case_detail(session, case)
        draft_step = session.scalars(
            select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == "draft")
        ).one()
    assert case.category == "returns_refunds" and case.status == "awaiting_review"
    [action] = detail["actions"]
    assert action["reason"] == (
        "category returns_refunds; order_id BW-498755; the message says 'refund'"
    )
    assert action["fields"] == {"order_id": "BW-498755"}
    assert action["decided_by"] is None
    assert draft_step.detail["actions"] == ["refund"]


def test_a_request_without_the_needed_facts_gets_no_proposal(demo_db, demo_deps) -> None:
    # A cancellation: an order id, but no tracking number to trace and nothing to refund.
    [case_id] = ingest(demo_db, demo_email("04-order-cancel.eml"))
    process_pending(demo_deps)
    assert [name for name, _, _ in stored_actions(demo_db, case_id)] == []


def test_the_draft_step_run_twice_stores_its_proposals_once(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, demo_email("08-returns-refund-not-received.eml"))
    claim(demo_db, demo_deps)
    steps = (
        ("receive", receive_email),
        ("screen", screen_email),
        ("classify", functools.partial(classify_case, similar=demo_deps.similar_cases)),
        ("extract", functools.partial(extract_case_fields, llm_stages=demo_deps.llm_stages)),
        ("research", research_case),
        ("draft", draft_reply),
    )
    for name, function in steps:
        run_recorded_step(demo_deps, name, case_id, function)
    again = run_recorded_step(demo_deps, "draft", case_id, draft_reply)
    assert again.detail["actions"] == ["refund"]
    with demo_db.session() as session:
        count = session.scalar(
            select(func.count(ProposedAction.id)).where(ProposedAction.case_id == case_id)
        )
    assert count == 1
