"""Accepting raw email: store the bytes, dedupe on Message-ID per tenant, open a case.

Intake is at-least-once friendly: the same message delivered twice (a re-run of `ingest`,
an IMAP re-fetch) finds its Message-ID already stored and becomes no second case. Nothing
is lost here: bytes that cannot be parsed at all still become a case, which the receive
step hands to a person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportflow.cases.status import CaseStatus, audit
from supportflow.errors import MalformedEmailError
from supportflow.mail.parsing import parse_email
from supportflow.mail.sources import IngestFailure, iter_source_messages
from supportflow.store.db import Database
from supportflow.store.models import Case, Message, Tenant


@dataclass(frozen=True)
class IntakeResult:
    origin: str
    outcome: Literal["created", "duplicate"]
    case_id: int | None
    message_id: str


def fallback_message_id(raw: bytes) -> str:
    """A stable id for bytes that carry none we can read."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@unparseable.invalid>"


def _message_id_of(raw: bytes) -> tuple[str, str | None]:
    try:
        return parse_email(raw).message_id, None
    except MalformedEmailError as exc:
        return fallback_message_id(raw), str(exc)


def accept_raw_email(
    session: Session, *, tenant: Tenant, raw: bytes, origin: str, actor: str = "ingest"
) -> IntakeResult:
    """Store `raw` as an inbound message with a new case, unless its Message-ID is known."""
    message_id, parse_error = _message_id_of(raw)
    existing = session.scalar(
        select(Message.id).where(Message.tenant_id == tenant.id, Message.message_id == message_id)
    )
    if existing is not None:
        return IntakeResult(origin, "duplicate", None, message_id)
    message = Message(
        tenant_id=tenant.id,
        direction="inbound",
        message_id=message_id,
        raw_mime=raw,
        size_bytes=len(raw),
        origin=origin,
        defects=[f"unparseable: {parse_error}"] if parse_error else [],
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:  # another process stored the same Message-ID meanwhile
        return IntakeResult(origin, "duplicate", None, message_id)
    case = Case(tenant_id=tenant.id, message_id=message.id, status=CaseStatus.RECEIVED.value)
    session.add(case)
    session.flush()
    entry = audit(session, case=case, actor=actor, action="status", detail={"origin": origin})
    entry.to_status = CaseStatus.RECEIVED.value
    return IntakeResult(origin, "created", case.id, message_id)


def ingest_path(db: Database, *, tenant: Tenant, path: Path) -> list[IntakeResult | IngestFailure]:
    """Accept every message found at `path`, one transaction each; failures are listed,
    not raised, so one unreadable file never stops the rest. IngestError if `path` itself
    cannot be read."""
    results: list[IntakeResult | IngestFailure] = []
    for item in iter_source_messages(path):
        if isinstance(item, IngestFailure):
            results.append(item)
            continue
        with db.session() as session:
            results.append(
                accept_raw_email(session, tenant=tenant, raw=item.raw, origin=item.origin)
            )
    return results
