"""The workflow on real SQLite: resuming, exactly-once steps, failures that stay in the case."""

from __future__ import annotations

import asyncio
import functools
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from supportflow.cases.intake import accept_raw_email
from supportflow.config import Settings
from supportflow.errors import InputError, UpstreamError
from supportflow.pipeline.classify import classify_case
from supportflow.pipeline.outcome import run_recorded_step
from supportflow.pipeline.receive import receive_email
from supportflow.pipeline.runner import run_case
from supportflow.pipeline.screen import screen_email
from supportflow.pipeline.workflow import STAGE_NAMES, CaseWorkflow, step_retry
from supportflow.store.models import Case, CaseStep, Draft, RetrievedPassage, Tenant
from supportflow.workers.embedded import build_deps, process_pending
from supportflow.workers.leases import claim_cases


def customer_email(
    i: int = 1, body: str = "My Glide S2 shows error E-104 and stops.", name: str = "Ana Keller"
) -> bytes:
    first = name.split()[0]
    message = EmailMessage()
    message["From"] = f"{name} <{first.lower()}{i}@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = "Robot stops with E-104"
    message["Message-ID"] = f"<case{i}@example.com>"
    message.set_content(f"Hello,\n\n{body}\n\nThanks,\n{first}\n")
    return message.as_bytes()


def ingest(db, *raws: bytes) -> list[int]:
    with db.session() as session:
        tenant = session.scalars(select(Tenant)).one()
        return [
            accept_raw_email(session, tenant=tenant, raw=raw, origin="test").case_id for raw in raws
        ]


def claim(db, deps) -> list[int]:
    with db.session() as session:
        return claim_cases(session, worker_id=deps.worker_id, seconds=60, limit=100)


def test_a_case_runs_to_review_with_every_step_recorded(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, customer_email())
    report = process_pending(demo_deps)
    assert dict(report.outcomes) == {"awaiting_review": 1}
    with demo_db.session() as session:
        steps = list(
            session.scalars(
                select(CaseStep.step).where(CaseStep.case_id == case_id).order_by(CaseStep.id)
            )
        )
        case = session.get_one(Case, case_id)
        assert (case.category, case.route) == ("technical_issue", "rules")
    assert steps == list(STAGE_NAMES[:6])


def test_a_run_interrupted_after_classify_resumes_at_extract(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, customer_email())
    claim(demo_db, demo_deps)
    for name, function in (
        ("receive", receive_email),
        ("screen", screen_email),
        ("classify", functools.partial(classify_case, similar=demo_deps.similar_cases)),
    ):
        run_recorded_step(demo_deps, name, case_id, function)
    # the worker "dies" here; a new run picks the case up where it stopped
    status = asyncio.run(run_case(CaseWorkflow(demo_deps), case_id))
    assert status == "awaiting_review"
    with demo_db.session() as session:
        counts = dict(
            session.execute(
                select(CaseStep.step, func.count())
                .where(CaseStep.case_id == case_id)
                .group_by(CaseStep.step)
            ).all()
        )
        drafts = session.scalar(select(func.count(Draft.id)).where(Draft.case_id == case_id))
    assert counts == dict.fromkeys(STAGE_NAMES[:6], 1)
    assert drafts == 1


def test_a_step_run_twice_is_recorded_once(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, customer_email())
    claim(demo_db, demo_deps)
    first = run_recorded_step(demo_deps, "receive", case_id, receive_email)
    second = run_recorded_step(demo_deps, "receive", case_id, receive_email)
    assert first.detail == second.detail
    with demo_db.session() as session:
        assert session.scalar(select(func.count(CaseStep.id))) == 1


def test_a_broken_template_fails_its_case_and_the_worker_goes_on(
    demo_db, demo_deps, demo_home: Path
) -> None:
    (demo_home / "tenants" / "brightwave" / "templates" / "technical_issue.j2").unlink()
    broken, fine = ingest(
        demo_db,
        customer_email(1),
        customer_email(2, "Where is my order BW-123456? Tracking says nothing."),
    )
    report = process_pending(demo_deps)
    assert dict(report.outcomes) == {"failed": 1, "awaiting_review": 1}
    with demo_db.session() as session:
        failed = session.get_one(Case, broken)
        assert failed.status == "failed"
        assert "technical_issue.j2" in (failed.status_reason or "")
        assert session.get_one(Case, fine).status == "awaiting_review"


def test_retry_policy_retries_transient_errors_only() -> None:
    policy = step_retry(3, 0.01)
    locked = OperationalError("UPDATE", {}, Exception("database is locked"))
    assert policy.next(0.0, 1, locked) is not None
    assert policy.next(0.0, 1, UpstreamError("smtp down")) is not None
    assert policy.next(0.0, 1, InputError("bad")) is None
    assert policy.next(0.0, 3, locked) is None


def test_research_uses_hybrid_search_and_records_the_kb_version(demo_db, demo_deps) -> None:
    [case_id] = ingest(demo_db, customer_email())
    process_pending(demo_deps)
    with demo_db.session() as session:
        research = session.scalars(
            select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == "research")
        ).one()
        case = session.get_one(Case, case_id)
    assert research.detail["mode"] == "hybrid"
    assert research.detail["grounded"] is True
    assert research.detail["kb_version"] == case.kb_version_id is not None


def test_without_a_model_research_falls_back_to_keywords(demo_db, demo_home) -> None:
    deps = build_deps(demo_db, Settings(home=demo_home, embedding_model="none"))
    [case_id] = ingest(demo_db, customer_email())
    assert dict(process_pending(deps).outcomes) == {"awaiting_review": 1}
    with demo_db.session() as session:
        research = session.scalars(
            select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == "research")
        ).one()
    assert research.detail["mode"] == "keyword"


def test_passages_under_the_relevance_floor_are_not_cited(
    demo_db, demo_deps, demo_home: Path
) -> None:
    tenant_yaml = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    text = tenant_yaml.read_text(encoding="utf-8")
    tenant_yaml.write_text(
        text.replace("thresholds:\n", "thresholds:\n  min_passage_score: 0.99\n"), encoding="utf-8"
    )
    [case_id] = ingest(demo_db, customer_email())
    process_pending(demo_deps)
    with demo_db.session() as session:
        research = session.scalars(
            select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step == "research")
        ).one()
        passages = session.scalars(
            select(RetrievedPassage).where(RetrievedPassage.case_id == case_id)
        ).all()
        draft = session.scalars(select(Draft).where(Draft.case_id == case_id)).one()
    assert research.detail["floor"] == 0.99 and research.detail["below_floor"] > 0
    assert research.detail["grounded"] is False
    assert research.detail["note"] == "no grounding found"
    assert passages == [] and draft.citations == []
    assert "Sources:" not in draft.body_text
