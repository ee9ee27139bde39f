"""Kill a worker with SIGKILL mid-run, restart it: every case ends processed exactly once,
no duplicate drafts, no duplicate sends."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportflow.cases.intake import accept_raw_email
from supportflow.cases.review import approve_case
from supportflow.demo.setup import demo_tenant_dir
from supportflow.eval.bench import synthetic_emails
from supportflow.store.db import Database
from supportflow.store.models import AuditEntry, Case, CaseStep, Draft, OutboxEntry, Tenant

N_CASES = 300
LEASE_SECONDS = "1.5"


def start_worker(home: Path, command: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SUPPORTFLOW_HOME": str(home), "SUPPORTFLOW_LEASE_SECONDS": LEASE_SECONDS}
    return subprocess.Popen(
        [sys.executable, "-m", "supportflow", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_when(db: Database, process: subprocess.Popen[bytes], query, at_least: int) -> int:
    """SIGKILL `process` once `query` counts at least `at_least` rows; returns the count."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with db.session() as session:
            count = session.scalar(query)
        if count >= at_least:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            return count
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.02)
    raise AssertionError("worker made no progress")


def run_to_completion(home: Path, command: str) -> None:
    time.sleep(float(LEASE_SECONDS) + 0.2)  # let the dead worker's leases expire
    worker = start_worker(home, command)
    _, stderr = worker.communicate(timeout=240)
    assert worker.returncode == 0, stderr.decode()


def status_transitions(db: Database) -> Counter[tuple[int, str | None, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(AuditEntry.case_id, AuditEntry.from_status, AuditEntry.to_status).where(
                AuditEntry.action == "status"
            )
        )
        return Counter((case_id, before, after) for case_id, before, after in rows)


@pytest.mark.timeout(400)
def test_sigkilled_worker_resumes_without_duplicates(
    demo_home: Path, demo_db: Database, smtp_server
) -> None:
    with demo_db.session() as session:
        tenant = session.scalars(select(Tenant)).one()
        for i, raw in enumerate(synthetic_emails(N_CASES, demo_tenant_dir() / "examples.csv")):
            accept_raw_email(session, tenant=tenant, raw=raw, origin=f"synthetic#{i}")

    worker = start_worker(demo_home, "process")
    drafted = kill_when(demo_db, worker, select(func.count(Draft.id)), at_least=40)
    assert drafted < N_CASES, "the worker finished before it could be killed"
    run_to_completion(demo_home, "process")

    with demo_db.session() as session:
        statuses = Counter(session.scalars(select(Case.status)))
        drafts = Counter(session.scalars(select(Draft.case_id)))
        steps = Counter(session.execute(select(CaseStep.case_id, CaseStep.step)).all())
        case_ids = list(session.scalars(select(Case.id)))
    assert statuses == {"awaiting_review": N_CASES}, statuses
    assert len(drafts) == N_CASES and set(drafts.values()) == {1}
    assert set(steps.values()) == {1}
    transitions = status_transitions(demo_db)
    for case_id in case_ids:
        assert transitions[(case_id, "received", "processing")] == 1
        assert transitions[(case_id, "processing", "awaiting_review")] == 1

    with demo_db.session() as session:
        for case_id in case_ids:
            approve_case(session, case_id=case_id, reviewer="crash-test")
    sender = start_worker(demo_home, "send")
    kill_when(
        demo_db,
        sender,
        select(func.count(OutboxEntry.id)).where(OutboxEntry.status == "sent"),
        at_least=40,
    )
    run_to_completion(demo_home, "send")

    with demo_db.session() as session:
        outbox = Counter(session.scalars(select(OutboxEntry.status)))
        sent_ids = set(
            session.scalars(select(OutboxEntry.message_id).where(OutboxEntry.status == "sent"))
        )
    delivered = Counter(
        email.message_from_bytes(raw, policy=policy.default)["Message-ID"]
        for _, _, raw in smtp_server.messages
    )
    assert max(delivered.values()) == 1, "a reply was delivered twice"
    # A kill inside the SMTP conversation leaves one reply `uncertain` (for a person), never
    # sent twice; every other reply is sent exactly once.
    assert outbox["sent"] + outbox["uncertain"] == N_CASES and outbox["uncertain"] <= 1
    assert sent_ids <= set(delivered)
    assert len(delivered) - len(sent_ids) <= outbox["uncertain"]
