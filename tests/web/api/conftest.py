"""Cases of the demo tenant for the API tests (the accounts, tenant B and clients come from
tests/web/conftest.py)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from supportflow.cases.intake import accept_raw_email
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.workers.embedded import process_pending


def support_email(i: int, subject: str, sender: str = "Ana Keller <ana@example.com>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@brightwave.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<api-{i}@example.com>"
    message.set_content("Hello,\n\nMy Glide S2 shows error E-104 and stops.\n\nAna\n")
    return message.as_bytes()


def ingest(db: Database, *raws: bytes) -> list[int]:
    with db.session() as session:
        tenant = session.query(Tenant).filter_by(slug="brightwave").one()
        return [
            accept_raw_email(session, tenant=tenant, raw=raw, origin="test").case_id for raw in raws
        ]


@pytest.fixture
def drafted(demo_db, demo_deps) -> list[int]:
    """Two demo cases processed to awaiting_review, each with a draft."""
    ids = ingest(
        demo_db,
        support_email(1, "Robot stops with E-104"),
        support_email(2, "Glide S2 error E-104 again", "Ben Ortiz <ben@ortiz.example>"),
    )
    process_pending(demo_deps)
    return ids
