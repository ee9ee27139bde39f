"""The embedded worker: claims pending cases from the database and runs them, in-process.

`process_pending` drains what is workable now (`supportflow process`); `run_forever` keeps
polling (`supportflow serve`). Several of these, in one or many processes, can share one
database: the lease makes each case theirs one at a time.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import socket
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from supportflow.cases.status import WORKABLE
from supportflow.config import Settings
from supportflow.knowledge.capabilities import detect_capabilities
from supportflow.knowledge.embeddings import set_embedding_threads
from supportflow.mail.smtp import SmtpConfig, SmtpTransport
from supportflow.pipeline.deps import PipelineDeps
from supportflow.pipeline.runner import run_case
from supportflow.pipeline.workflow import CaseWorkflow
from supportflow.store.db import Database
from supportflow.tenants import ResourceCache
from supportflow.workers.leases import claim_cases, release_case

log = logging.getLogger(__name__)
# Cases claimed per transaction: enough to amortise the claim, few enough that a batch
# finishes well inside one lease.
BATCH = 8


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
    """Everything a worker needs; the embedding model is loaded here, once per worker."""
    capabilities = detect_capabilities(db, settings.embedding_model)
    if capabilities.keyword_only_reason:
        log.warning("research searches by keyword only: %s", capabilities.keyword_only_reason)
    return PipelineDeps(
        db=db,
        settings=settings,
        transport_factory=lambda: smtp_transport_factory(settings),
        worker_id=new_worker_id(),
        resources=ResourceCache(capabilities.embedder),
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
    stop: StopSignal | None = None,
    statuses: tuple[str, ...] = WORKABLE,
) -> ProcessReport:
    """Claim and run cases in small batches until none is free (or `limit`, or `stop`)."""
    report = ProcessReport()
    workflow = CaseWorkflow(deps)
    seen: set[int] = set()
    while limit is None or report.total < limit:
        if stop is not None and stop.is_set():
            break
        batch = BATCH if limit is None else min(BATCH, limit - report.total)
        with deps.db.session() as session:
            claimed = claim_cases(
                session,
                worker_id=deps.worker_id,
                limit=batch,
                seconds=deps.settings.lease_seconds,
                statuses=statuses,
            )
        if not claimed:
            break
        if seen.issuperset(claimed):
            # Each case runs at most once per drain: a case that ran and is still workable
            # waits for the next drain instead of looping here.
            _release(deps, claimed)
            break
        await _run_claimed(deps, workflow, [c for c in claimed if c not in seen], report, stop)
        _release(deps, [c for c in claimed if c in seen])
        seen.update(claimed)
    return report


def _release(deps: PipelineDeps, case_ids: list[int]) -> None:
    with deps.db.session() as session:
        for case_id in case_ids:
            release_case(session, case_id=case_id, worker_id=deps.worker_id)


async def _run_claimed(
    deps: PipelineDeps,
    workflow: CaseWorkflow,
    claimed: list[int],
    report: ProcessReport,
    stop: StopSignal | None,
) -> None:
    """Run each claimed case; cases left over when `stop` is set are released unrun."""
    for case_id in claimed:
        started = time.perf_counter()
        try:
            if stop is None or not stop.is_set():
                report.outcomes[await run_case(workflow, case_id)] += 1
                report.durations_ms.append((time.perf_counter() - started) * 1000)
        finally:
            _release(deps, [case_id])


def process_pending(
    deps: PipelineDeps, *, limit: int | None = None, statuses: tuple[str, ...] = WORKABLE
) -> ProcessReport:
    """Process every workable case once (or `limit` of them, or those in `statuses`)."""
    return asyncio.run(process_pending_async(deps, limit=limit, statuses=statuses))


class StopSignal(Protocol):
    """A threading or multiprocessing Event: how a running worker is asked to stop."""

    def is_set(self) -> bool: ...

    def set(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def run_forever(deps: PipelineDeps, stop: StopSignal) -> None:
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


def threads_per_worker(workers: int) -> int:
    """Embedding threads for each of `workers` processes sharing this machine's cores."""
    return max(1, (os.cpu_count() or 1) // workers)


def _process_in_child(settings: Settings, statuses: tuple[str, ...], threads: int) -> ProcessReport:
    set_embedding_threads(threads)
    db = Database(settings.resolved_database_url)
    try:
        return process_pending(build_deps(db, settings), statuses=statuses)
    finally:
        db.dispose()


def process_with_workers(
    settings: Settings, *, workers: int, statuses: tuple[str, ...] = WORKABLE
) -> ProcessReport:
    """Drain the queue with `workers` processes sharing the database; merged report."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(_process_in_child, settings, statuses, threads_per_worker(workers))
            for _ in range(workers)
        ]
        reports = [future.result() for future in futures]
    merged = ProcessReport()
    for report in reports:
        merged.outcomes.update(report.outcomes)
        merged.durations_ms.extend(report.durations_ms)
    return merged
