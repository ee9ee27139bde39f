from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from supportflow.store.base import utcnow
from supportflow.store.models import Case
from supportflow.workers.leases import LeaseLostError, claim_cases, release_case, renew_lease
from tests.pipeline.test_workflow import customer_email, ingest


def claim(db, worker: str, limit: int = 10, seconds: float = 60) -> list[int]:
    with db.session() as session:
        return claim_cases(session, worker_id=worker, seconds=seconds, limit=limit)


def test_two_workers_never_claim_the_same_case(demo_db) -> None:
    ids = ingest(demo_db, *(customer_email(i) for i in range(6)))
    first = claim(demo_db, "w1", limit=4)
    second = claim(demo_db, "w2", limit=4)
    assert sorted(first + second) == ids
    assert not set(first) & set(second)
    assert claim(demo_db, "w3") == []


def test_claim_starts_processing_and_urgent_cases_come_first(demo_db) -> None:
    ids = ingest(demo_db, *(customer_email(i) for i in range(3)))
    with demo_db.session() as session:
        session.execute(update(Case).where(Case.id == ids[2]).values(priority="urgent"))
    claimed = claim(demo_db, "w1")
    assert claimed[0] == ids[2]
    with demo_db.session() as session:
        assert {c.status for c in session.scalars(select(Case))} == {"processing"}


def test_an_expired_lease_can_be_taken_over(demo_db) -> None:
    [case_id] = ingest(demo_db, customer_email())
    claim(demo_db, "dead-worker")
    with demo_db.session() as session:
        session.execute(update(Case).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert claim(demo_db, "w2") == [case_id]
    with demo_db.session() as session:
        case = session.get_one(Case, case_id)
        assert case.lease_owner == "w2" and case.runs == 2
        with pytest.raises(LeaseLostError):
            renew_lease(session, case=case, worker_id="dead-worker", seconds=60)


def test_release_by_another_worker_changes_nothing(demo_db) -> None:
    [case_id] = ingest(demo_db, customer_email())
    claim(demo_db, "w1")
    with demo_db.session() as session:
        release_case(session, case_id=case_id, worker_id="w2")
    with demo_db.session() as session:
        assert session.get_one(Case, case_id).lease_owner == "w1"
