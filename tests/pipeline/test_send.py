"""The outbox: sent once, retried with backoff while the server is down, failed when refused,
and never sent twice after a worker died mid-send."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from supportflow.cases.review import approve_case
from supportflow.config import Settings
from supportflow.store.base import utcnow
from supportflow.store.models import Case, OutboxEntry
from supportflow.workers.embedded import build_deps, process_pending
from tests.pipeline.test_workflow import customer_email, ingest


def drafted_and_approved(db, deps) -> int:
    [case_id] = ingest(db, customer_email())
    process_pending(deps)
    with db.session() as session:
        approve_case(session, case_id=case_id, reviewer="t")
    return case_id


def outbox(db, case_id: int) -> OutboxEntry:
    with db.session() as session:
        return session.scalars(select(OutboxEntry).where(OutboxEntry.case_id == case_id)).one()


def status(db, case_id: int) -> str:
    with db.session() as session:
        return session.get_one(Case, case_id).status


def deps_for(db, demo_home, **settings) -> object:
    return build_deps(db, Settings(home=demo_home, **settings))


def test_server_down_is_retried_later_then_sent_once(demo_db, demo_home, smtp_server) -> None:
    down = deps_for(demo_db, demo_home, smtp_port=1, step_retry_seconds=0.01)
    case_id = drafted_and_approved(demo_db, down)
    assert dict(process_pending(down).outcomes) == {"approved": 1}
    entry = outbox(demo_db, case_id)
    assert (entry.status, entry.attempts) == ("pending", 1)
    assert entry.last_error

    with demo_db.session() as session:  # make the retry due now
        session.execute(update(Case).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    up = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    assert dict(process_pending(up).outcomes) == {"sent": 1}
    assert process_pending(up).total == 0
    assert len(smtp_server.messages) == 1
    assert status(demo_db, case_id) == "sent"


def test_a_server_that_refuses_then_accepts_gets_exactly_one_copy(
    demo_db, demo_home, smtp_server
) -> None:
    smtp_server.defer = 1  # 451 to the first attempt, then 250
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port, step_retry_seconds=0.01)
    case_id = drafted_and_approved(demo_db, deps)
    assert dict(process_pending(deps).outcomes) == {"approved": 1}
    assert "451" in (outbox(demo_db, case_id).last_error or "")
    with demo_db.session() as session:  # make the retry due now
        session.execute(update(Case).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert dict(process_pending(deps).outcomes) == {"sent": 1}
    assert process_pending(deps).total == 0
    assert len(smtp_server.messages) == 1 and smtp_server.defer == 0
    assert status(demo_db, case_id) == "sent"


def test_refused_recipient_fails_the_case_without_retrying(demo_db, demo_home, smtp_server) -> None:
    smtp_server.refuse = True
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = drafted_and_approved(demo_db, deps)
    assert dict(process_pending(deps).outcomes) == {"failed": 1}
    assert outbox(demo_db, case_id).status == "failed"
    assert "550" in outbox(demo_db, case_id).last_error


def test_reply_left_sending_by_a_dead_worker_goes_to_a_person(
    demo_db, demo_home, smtp_server
) -> None:
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = drafted_and_approved(demo_db, deps)
    with demo_db.session() as session:
        session.execute(update(OutboxEntry).values(status="sending", attempts=1))
    assert dict(process_pending(deps).outcomes) == {"needs_human": 1}
    assert outbox(demo_db, case_id).status == "uncertain"
    assert smtp_server.messages == []
    with demo_db.session() as session:
        assert "check the sent mail" in (session.get_one(Case, case_id).status_reason or "")
