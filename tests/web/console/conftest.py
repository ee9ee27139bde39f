"""Fixtures for the console's tests: processed demo cases awaiting review."""

from __future__ import annotations

from importlib import resources

import pytest
from sqlalchemy import select

from supportflow.cases.intake import accept_raw_email
from supportflow.store.db import Database
from supportflow.store.models import Case, Tenant
from supportflow.workers.embedded import process_pending

# Three requests the demo drafts a cited reply for: a tracking question, a refund, an error.
INBOX = (
    "01-order-where-is-my-order.eml",
    "08-returns-refund-not-received.eml",
    "19-tech-e104-wheel-stall.eml",
)


def demo_email(name: str) -> bytes:
    return (resources.files("supportflow.demo") / "inbox" / name).read_bytes()


@pytest.fixture
def review_cases(demo_db: Database, demo_deps) -> list[int]:
    """Ids of the demo tenant's processed cases, all awaiting review, by id."""
    with demo_db.session() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == "brightwave")).one()
        for name in INBOX:
            accept_raw_email(session, tenant=tenant, raw=demo_email(name), origin="test")
    process_pending(demo_deps)
    with demo_db.session() as session:
        ids = list(
            session.scalars(
                select(Case.id).where(Case.status == "awaiting_review").order_by(Case.id)
            )
        )
    assert len(ids) == len(INBOX), ids
    return ids
