"""The embedded worker: claims pending cases from the database and runs them, in-process.

`process_pending` drains what is workable now (`supportflow process`); `run_forever` keeps
polling (`supportflow serve`). Several of these, in one or many processes, can share one
database: the lease makes each case theirs one at a time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from supportflow.cases.status import WORKABLE
from supportflow.config import Settings
from supportflow.mail.smtp import SmtpConfig, SmtpTransport
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.runner import run_case
from supportflow.pipeline.workflow import CaseWorkflow
from supportflow.store.db import Database
from supportflow.workers.leases import claim_case, claimable_case_ids, release_case

log = logging.getLogger(__name__)
BATCH = 64


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def smtp_transport_factory(settings: Settings) -> SmtpTransport:
    return SmtpTransport(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )
    )


def build_deps(db: Database, settings: Settings) -> PipelineDeps:
    return PipelineDeps(
        db=db,
        settings=settings,
        transport_factory=lambda: smtp_transport_factory(settings),
        worker_id=new_worker_id(),
    )


@dataclass
class ProcessReport:
    """How many cases this worker ran, by the status each ended in."""

    outcomes: Counter[str] = field(default_factory=Counter)
    durations_ms: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


async def process_pending_async(
    deps: PipelineDeps,
    *,
    limit: int | None = None,
    stop: threading.Event | None = None,
    statuses: tuple[str, ...] = WORKABLE,
) -> ProcessReport:
    report = ProcessReport()
    workflow = CaseWorkflow(deps)
    while limit is None or report.total < limit:
        if stop is not None and stop.is_set():
            break
        with deps.db.session() as session:
            candidates = claimable_case_ids(session, limit=BATCH, statuses=statuses)
        if not candidates:
            break
        ran = await _run_batch(deps, workflow, candidates, report, limit, stop)
        if ran == 0:  # everything we saw was taken by other workers meanwhile
            break
    return report


async def _run_batch(
    deps: PipelineDeps,
    workflow: CaseWorkflow,
    candidates: list[int],
    report: ProcessReport,
    limit: int | None,
    stop: threading.Event | None,
) -> int:
    ran = 0
    for case_id in candidates:
        if (limit is not None and report.total >= limit) or (stop is not None and stop.is_set()):
            break
        with deps.db.session() as session:
            if not claim_case(
                session,
                case_id=case_id,
                worker_id=deps.worker_id,
                seconds=deps.settings.lease_seconds,
            ):
                continue
        started = time.perf_counter()
        try:
            report.outcomes[await run_case(workflow, case_id)] += 1
        finally:
            report.durations_ms.append((time.perf_counter() - started) * 1000)
            with deps.db.session() as session:
                release_case(session, case_id=case_id, worker_id=deps.worker_id)
        ran += 1
    return ran


def process_pending(
    deps: PipelineDeps, *, limit: int | None = None, statuses: tuple[str, ...] = WORKABLE
) -> ProcessReport:
    """Process every workable case once (or `limit` of them, or those in `statuses`)."""
    return asyncio.run(process_pending_async(deps, limit=limit, statuses=statuses))


def run_forever(deps: PipelineDeps, stop: threading.Event) -> None:
    """Poll for work until `stop` is set; errors are logged, never fatal."""

    async def loop() -> None:
        while not stop.is_set():
            try:
                report = await process_pending_async(deps, stop=stop)
            except Exception:  # a broken database connection must not end the worker
                log.exception("worker loop error; retrying")
                report = ProcessReport()
            if report.total == 0:
                await asyncio.to_thread(stop.wait, deps.settings.worker_poll_seconds)

    asyncio.run(loop())
