"""`supportflow bench console`: server time of the review console at scale.

A throwaway data folder gets the demo tenant (registered, not trained) and `n` synthetic
cases inserted in bulk, as the pipeline would have left them: a realistic mix of statuses,
categories and priorities, with a drafted reply (two citations) on every case that reached
review. A reviewer signs in through the login form; then each page or endpoint is requested
`requests` times (after two warm-up requests) through httpx's ASGI transport, in process,
so the time measured is the server's: routing, authentication, queries and rendering,
without a network.
"""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from supportflow.accounts.users import create_user
from supportflow.config import Settings, load_tenant_config
from supportflow.demo.setup import demo_tenant_dir
from supportflow.eval.bench import percentile
from supportflow.store.base import utcnow
from supportflow.store.db import Database
from supportflow.store.models import Case, Draft, Message
from supportflow.tenants import register_tenant
from supportflow.web.app import create_app
from supportflow.workspace import open_workspace

TARGET_MS = 300.0
ENDPOINTS = ("/", "/api/v1/cases", "/overview", "/api/v1/metrics/outcomes")
# Share of cases per status: most are answered or waiting for a reviewer.
STATUS_MIX = {
    "awaiting_review": 0.35,
    "sent": 0.35,
    "needs_human": 0.10,
    "rejected": 0.05,
    "approved": 0.03,
    "failed": 0.02,
    "received": 0.10,
}
PRIORITY_MIX = {"urgent": 0.05, "high": 0.15, "normal": 0.65, "low": 0.15}
DRAFTED = frozenset({"awaiting_review", "sent", "rejected", "approved"})
REVIEWER = ("reviewer@bench.example", "bench reviewer password")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_BODY = (
    "Hello {name},\n\nThank you for writing to us about {subject}. "
    "Error E-104 means the drive wheel is blocked [1]. Turn the robot over, remove the hair "
    "wound around the wheel axle and restart it [2]. If the error returns within a week, "
    "reply to this email and we will arrange a repair under warranty.\n\n"
    "Kind regards,\nBrightwave Support\n\nSources:\n[1] Error codes, E-104\n"
    "[2] Glide S-series user manual, p. 12, Maintenance\n"
)


def bench_console(n: int, *, requests: int = 30, seed: int = 11) -> dict[str, Any]:
    """Build `n` cases in a temporary folder and time each endpoint `requests` times."""
    with tempfile.TemporaryDirectory(prefix="supportflow-console-bench-") as scratch:
        settings = Settings(home=Path(scratch), database_url=None)
        db = open_workspace(settings)
        try:
            started = time.perf_counter()
            tenant_id = populate(db, settings, n, seed=seed)
            build_seconds = time.perf_counter() - started
            timings = asyncio.run(_time_endpoints(settings, db, requests))
        finally:
            db.dispose()
    return {
        "cases": n,
        "requests": requests,
        "tenant_id": tenant_id,
        "build_seconds": round(build_seconds, 2),
        "status_mix": STATUS_MIX,
        "endpoints": timings,
        "target_ms": TARGET_MS,
        "queue_p95_under_target": timings["/"]["p95_ms"] < TARGET_MS,
        "database": "sqlite",
    }


def populate(db: Database, settings: Settings, n: int, *, seed: int) -> int:
    """Register the demo tenant with a reviewer and insert `n` cases in bulk; its id."""
    rng = random.Random(seed)
    categories = [c.name for c in load_tenant_config(demo_tenant_dir()).categories]
    with db.session() as session:
        tenant = register_tenant(session, settings=settings, source=demo_tenant_dir())
        create_user(
            session, tenant_id=tenant.id, email=REVIEWER[0], role="reviewer", password=REVIEWER[1]
        )
        tenant_id = tenant.id
    now = utcnow()
    with db.session() as session:
        session.execute(insert(Message), [_message(tenant_id, i, now, rng) for i in range(n)])
        message_ids = list(
            session.scalars(select(Message.id).where(Message.tenant_id == tenant_id))
        )
        cases = [_case(tenant_id, m, i, now, rng, categories) for i, m in enumerate(message_ids)]
        session.execute(insert(Case), cases)
        rows = session.execute(
            select(Case.id, Case.status, Case.created_at).where(Case.tenant_id == tenant_id)
        )
        drafts = [_draft(case_id, at, i) for i, (case_id, status, at) in enumerate(rows)
                  if status in DRAFTED]  # fmt: skip
        if drafts:
            session.execute(insert(Draft), drafts)
    return tenant_id


def _pick(rng: random.Random, mix: dict[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _message(tenant_id: int, i: int, now: Any, rng: random.Random) -> dict[str, Any]:
    received = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
    subject = f"Order BW-{100000 + i}: robot stops with E-104"
    text = f"Hello,\n\nMy Glide S2 stops with error E-104 (order BW-{100000 + i}).\n\nThanks\n"
    return {
        "tenant_id": tenant_id,
        "direction": "inbound",
        "message_id": f"<bench-{i}@customers.example>",
        "references": [],
        "from_address": f"customer{i}@customers.example",
        "from_name": f"Customer {i}",
        "subject": subject,
        "body_text": text,
        "new_text": text,
        "attachments": [],
        "defects": [],
        "raw_mime": b"",
        "size_bytes": len(text),
        "origin": "bench",
        "received_at": received,
    }


def _case(
    tenant_id: int,
    message_id: int,
    i: int,
    now: Any,
    rng: random.Random,
    categories: list[str],
) -> dict[str, Any]:
    status = _pick(rng, STATUS_MIX)
    classified = status != "received"
    created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
    return {
        "tenant_id": tenant_id,
        "message_id": message_id,
        "status": status,
        "category": rng.choice(categories) if classified else None,
        "confidence": round(rng.uniform(0.3, 1.0), 3) if classified else None,
        "route": rng.choice(("rules", "cache", "model")) if classified else None,
        "priority": _pick(rng, PRIORITY_MIX),
        "runs": 1,
        "created_at": created,
        "updated_at": created,
    }


def _draft(case_id: int, created: Any, i: int) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "version": 1,
        "body_text": _BODY.format(name=f"Customer {i}", subject="your robot"),
        "template": "technical_issue.j2",
        "citations": [
            {
                "number": 1,
                "title": "Error codes",
                "source": "error-codes.md",
                "page": None,
                "section": "E-104",
                "text": "E-104: drive wheel blocked.",
            },
            {
                "number": 2,
                "title": "Glide S-series user manual",
                "source": "glide.pdf",
                "page": 12,
                "section": "Maintenance",
                "text": "Remove hair from the axle.",
            },
        ],  # fmt: skip
        "author": "pipeline",
        "created_at": created + timedelta(seconds=2),
    }


async def _time_endpoints(
    settings: Settings, db: Database, requests: int
) -> dict[str, dict[str, float]]:
    app = create_app(settings, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _log_in(client)
        return {path: await _time(client, path, requests) for path in ENDPOINTS}


async def _log_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    match = _CSRF.search(form.text)
    token = match.group(1) if match else ""
    data = {"email": REVIEWER[0], "password": REVIEWER[1], "csrf_token": token}
    response = await client.post("/login", data=data)
    if response.status_code != 303:
        raise RuntimeError(f"bench login failed: {response.status_code} {response.text[:200]}")


async def _time(client: httpx.AsyncClient, path: str, requests: int) -> dict[str, float]:
    for _ in range(2):  # warm-up: template compilation, first queries
        await _checked_get(client, path)
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        await _checked_get(client, path)
        durations.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(durations, 50), 1),
        "p95_ms": round(percentile(durations, 95), 1),
        "max_ms": round(max(durations), 1),
    }


async def _checked_get(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
