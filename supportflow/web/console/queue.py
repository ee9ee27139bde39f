"""The review queue: which of a tenant's cases a reviewer sees, in the order to work them.

Order: priority (urgent first), then due time (received + the category's `sla_hours`, or the
received time where the category has none), then confidence (the surest drafts first: among
equally urgent cases they clear fastest). Due times need date arithmetic that SQLite and
PostgreSQL spell differently, so the queue selects a narrow row per filtered case (id,
priority, category, confidence, received time), sorts those in Python, and loads whole only
the cases on the requested page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.cases.status import CaseStatus
from supportflow.cases.views import case_summaries
from supportflow.config import TenantConfig
from supportflow.store.models import Case, Message

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
AWAITING = CaseStatus.AWAITING_REVIEW.value


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the queue to; None means any."""

    status: str | None = AWAITING
    category: str | None = None
    route: str | None = None
    mailbox: str | None = None  # the address the message was sent to (support@, billing@...)

    def query_string(self, **changes: object) -> str:
        """This filter (with `changes`) as the queue page's query string."""
        values = {
            "status": self.status or "all",
            "category": self.category,
            "route": self.route,
            "mailbox": self.mailbox,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


@dataclass(frozen=True)
class QueueEntry:
    case_id: int
    priority: str
    confidence: float | None
    due_at: datetime


@dataclass(frozen=True)
class QueuePage:
    cases: list[dict[str, Any]]  # case_summary of each case, with "due_at"
    total: int
    page: int
    pages: int


def due_at(received_at: datetime, sla_hours: float | None) -> datetime:
    """When a reply is due: `sla_hours` after receipt, or at receipt without an SLA."""
    return received_at + timedelta(hours=sla_hours) if sla_hours else received_at


def _sort_key(entry: QueueEntry) -> tuple[int, datetime, float]:
    confidence = entry.confidence if entry.confidence is not None else -1.0
    return PRIORITY_RANK.get(entry.priority, len(PRIORITY_RANK)), entry.due_at, -confidence


def queue_order(
    session: Session, *, tenant_id: int, config: TenantConfig, filters: QueueFilter
) -> list[QueueEntry]:
    """Every case of the tenant matching `filters`, in working order."""
    query = (
        select(Case.id, Case.priority, Case.category, Case.confidence, Message.received_at)
        .join(Message, Case.message_id == Message.id)
        .where(Case.tenant_id == tenant_id)
    )
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.category:
        query = query.where(Case.category == filters.category)
    if filters.route:
        query = query.where(Case.route == filters.route)
    if filters.mailbox:
        query = query.where(func.lower(Message.to_address) == filters.mailbox.lower())
    sla = {c.name: c.sla_hours for c in config.categories}
    entries = [
        QueueEntry(case_id, priority, confidence, due_at(received, sla.get(category or "")))
        for case_id, priority, category, confidence, received in session.execute(query)
    ]
    return sorted(entries, key=_sort_key)


def queue_page(
    session: Session,
    *,
    tenant_id: int,
    config: TenantConfig,
    filters: QueueFilter,
    page: int,
    per_page: int,
) -> QueuePage:
    """One page (1-based; clamped to the last) of the ordered queue, each case summarised."""
    ordered = queue_order(session, tenant_id=tenant_id, config=config, filters=filters)
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(page, 1), pages)
    chosen = ordered[(page - 1) * per_page : page * per_page]
    loaded = {
        case.id: case
        for case in session.scalars(select(Case).where(Case.id.in_([e.case_id for e in chosen])))
    }
    summaries = case_summaries(session, [loaded[e.case_id] for e in chosen])
    cases = [
        {**summary, "due_at": e.due_at.isoformat()}
        for summary, e in zip(summaries, chosen, strict=True)
    ]
    return QueuePage(cases, len(ordered), page, pages)


def neighbours(
    session: Session, *, tenant_id: int, config: TenantConfig, case_id: int
) -> tuple[int | None, int | None]:
    """The cases before and after `case_id` in the default queue (awaiting review).

    A case no longer in the queue (just decided) has no previous one; its next is the
    queue's first case.
    """
    ids = [
        e.case_id
        for e in queue_order(session, tenant_id=tenant_id, config=config, filters=QueueFilter())
    ]
    if case_id not in ids:
        return None, ids[0] if ids else None
    at = ids.index(case_id)
    return (ids[at - 1] if at > 0 else None), (ids[at + 1] if at + 1 < len(ids) else None)


def mailboxes(session: Session, *, tenant_id: int) -> list[str]:
    """The addresses the tenant's messages were sent to, for the queue's mailbox filter."""
    rows = session.scalars(
        select(func.lower(Message.to_address))
        .join(Case, Case.message_id == Message.id)
        .where(Case.tenant_id == tenant_id, Message.to_address.is_not(None))
        .distinct()
    )
    return sorted(address for address in rows if address)


def categories_and_routes(session: Session, *, tenant_id: int) -> tuple[list[str], list[str]]:
    """The categories and routes the tenant's cases have, for the queue's filters."""
    rows = session.execute(
        select(Case.category, Case.route).where(Case.tenant_id == tenant_id).distinct()
    ).all()
    categories = sorted({c for c, _ in rows if c})
    routes = sorted({r for _, r in rows if r})
    return categories, routes
