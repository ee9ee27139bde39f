"""`supportflow bench pipeline`: throughput and per-stage latency of the embedded pipeline.

Synthetic emails are built from the demo tenant's labelled examples (each with its own
Message-ID, sender and order number), ingested into a fresh SQLite file, and processed by
the embedded worker with no LLM; SMTP is excluded. Stage latencies come from the durations
each step records with its result, so they are the same numbers a production run stores.
"""

from __future__ import annotations

import csv
import random
import statistics
import tempfile
import time
from collections import defaultdict
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from supportflow.cases.intake import accept_raw_email
from supportflow.config import Settings
from supportflow.demo.setup import DemoSummary, add_demo_knowledge, demo_tenant_dir
from supportflow.store.base import utcnow
from supportflow.store.models import CaseStep
from supportflow.workers.embedded import build_deps, process_pending, process_with_workers
from supportflow.workspace import init_tenant, open_workspace

FIRST_NAMES = ("Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivo", "June")
LAST_NAMES = ("Keller", "Lopez", "Mori", "Nash", "Okafor", "Park", "Quinn", "Rossi", "Singh")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]


def synthetic_emails(n: int, examples_csv: Path, *, seed: int = 7) -> list[bytes]:
    """`n` distinct customer emails whose bodies are the tenant's labelled examples."""
    with examples_csv.open(encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    emails = []
    for i in range(n):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        message = EmailMessage()
        message["From"] = f"{first} {last} <{first.lower()}.{last.lower()}{i}@example.com>"
        message["To"] = "support@brightwave.example"
        message["Subject"] = f"Question about order BW-{100000 + i}"
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = make_msgid(idstring=f"bench{i}", domain="example.com")
        message.set_content(
            f"Hello,\n\n{rng.choice(texts)}\nMy order is BW-{100000 + i}.\n\n"
            f"Thanks,\n{first} {last}\n"
        )
        emails.append(message.as_bytes())
    return emails


def bench_pipeline(n: int, *, workers: int = 1, home: Path | None = None) -> dict[str, Any]:
    """Run the benchmark in `home` (a fresh temporary folder by default) with `workers`
    worker processes (1: in this process)."""
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-") as scratch:
        settings = Settings(home=home or Path(scratch), database_url=None)
        return _run(settings, n, workers)


def _run(settings: Settings, n: int, workers: int) -> dict[str, Any]:
    db = open_workspace(settings)
    tenant, _ = init_tenant(db, settings, demo_tenant_dir())
    add_demo_knowledge(db, tenant, settings.home / "demo" / "kb", DemoSummary(settings.home))
    emails = synthetic_emails(n, demo_tenant_dir() / "examples.csv")
    started = time.perf_counter()
    for i, raw in enumerate(emails):
        with db.session() as session:
            accept_raw_email(session, tenant=tenant, raw=raw, origin=f"bench#{i}")
    ingest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if workers == 1:
        report = process_pending(build_deps(db, settings))
    else:
        report = process_with_workers(settings, workers=workers)
    seconds = time.perf_counter() - started
    stages: defaultdict[str, list[float]] = defaultdict(list)
    with db.session() as session:
        for name, ms in session.execute(select(CaseStep.step, CaseStep.duration_ms)):
            stages[name].append(ms)
    db.dispose()
    return {
        "n": n,
        "processed": report.total,
        "outcomes": dict(report.outcomes),
        "wall_seconds": round(seconds, 3),
        "emails_per_second": round(report.total / seconds, 1) if seconds else None,
        "ingest_per_second": round(n / ingest_seconds, 1) if ingest_seconds else None,
        "case_latency_ms": _summary(report.durations_ms),
        "stages": {name: _summary(values) for name, values in stages.items()},
        "database": "sqlite",
        "workers": workers,
        "llm": "none",
        "smtp": "excluded",
    }


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 3), "p95_ms": round(percentile(values, 95), 3)}
