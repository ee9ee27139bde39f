"""Finding a tenant's cases: filters, sort orders and offset paging for `GET /api/v1/cases`.

Sort orders are what a reviewer works by: `priority` (the console's queue order: most urgent
first, then the soonest due, then the surest draft), `due` (received time plus the category's
`sla_hours`, soonest first), `confidence` (least sure first) and `received` (oldest first).
A leading `-` reverses any of them; cases without a confidence come last either way. Ties go
by case id, so pages neither overlap nor skip while nothing changes.

Due times need date arithmetic that SQLite and PostgreSQL spell differently, so, like the
console's queue, the filtered cases are read as narrow rows (id, priority, category,
confidence, received time), sorted in Python, and only the requested page is loaded whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from supportflow.config import TenantConfig
from supportflow.store.models import Case, Message
from supportflow.workers.leases import PRIORITY_RANK

SortKey = Literal[
    "priority", "-priority", "due", "-due", "confidence", "-confidence", "received", "-received"
]
MAX_PAGE = 200


@dataclass(frozen=True)
class CaseFilter:
    """What to look for; None or empty means any."""

    statuses: tuple[str, ...] = ()
    category: str | None = None
    route: str | None = None
    mailbox: str | None = None  # the address the message was sent to
    priority: str | None = None
    text: str | None = None  # a substring of the subject, sender address or sender name


@dataclass(frozen=True)
class Row:
    """A filtered case as the sort orders see it."""

    case_id: int
    priority: str
    confidence: float | None
    received_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class CasePage:
    cases: list[tuple[Case, Row]]
    total: int
    next_offset: int | None  # None: this is the last page


def due_at(received_at: datetime, sla_hours: float | None) -> datetime:
    """When a reply is due: `sla_hours` after receipt, or at receipt without an SLA."""
    return received_at + timedelta(hours=sla_hours) if sla_hours else received_at


def find_cases(
    session: Session,
    *,
    tenant_id: int,
    config: TenantConfig,
    where: CaseFilter,
    sort: SortKey = "received",
    offset: int = 0,
    limit: int = 50,
) -> CasePage:
    """One page of the tenant's cases matching `where`, in `sort` order, and the total."""
    rows = sorted_rows(_rows(session, tenant_id, config, where), sort)
    chosen = rows[offset : offset + min(limit, MAX_PAGE)]
    loaded = {
        case.id: case
        for case in session.scalars(select(Case).where(Case.id.in_([r.case_id for r in chosen])))
    }
    end = offset + len(chosen)
    return CasePage(
        cases=[(loaded[r.case_id], r) for r in chosen],
        total=len(rows),
        next_offset=end if end < len(rows) else None,
    )


def _rows(session: Session, tenant_id: int, config: TenantConfig, where: CaseFilter) -> list[Row]:
    query = (
        select(Case.id, Case.priority, Case.category, Case.confidence, Message.received_at)
        .join(Message, Case.message_id == Message.id)
        .where(*_conditions(tenant_id, where))
    )
    sla = {c.name: c.sla_hours for c in config.categories}
    return [
        Row(case_id, priority, confidence, received, due_at(received, sla.get(category or "")))
        for case_id, priority, category, confidence, received in session.execute(query)
    ]


def _conditions(tenant_id: int, where: CaseFilter) -> list[ColumnElement[bool]]:
    conditions = [Case.tenant_id == tenant_id]
    if where.statuses:
        conditions.append(Case.status.in_(where.statuses))
    if where.category:
        conditions.append(Case.category == where.category)
    if where.route:
        conditions.append(Case.route == where.route)
    if where.mailbox:
        conditions.append(func.lower(Message.to_address) == where.mailbox.lower())
    if where.priority:
        conditions.append(Case.priority == where.priority)
    if where.text:
        conditions.append(
            or_(
                Message.subject.icontains(where.text, autoescape=True),
                Message.from_address.icontains(where.text, autoescape=True),
                Message.from_name.icontains(where.text, autoescape=True),
            )
        )
    return conditions


def _rank(row: Row) -> int:
    return PRIORITY_RANK.get(row.priority, len(PRIORITY_RANK))


def _surest_first(row: Row) -> float:
    return -row.confidence if row.confidence is not None else 1.0


_KEYS: dict[str, Callable[[Row], tuple[Any, ...]]] = {
    "priority": lambda r: (_rank(r), r.due_at, _surest_first(r), r.case_id),
    "due": lambda r: (r.due_at, _rank(r), r.case_id),
    "confidence": lambda r: (r.confidence, r.case_id),
    "received": lambda r: (r.received_at, r.case_id),
}


def sorted_rows(rows: list[Row], sort: SortKey) -> list[Row]:
    """`rows` in `sort` order (see the module's docstring)."""
    key = _KEYS[sort.removeprefix("-")]
    reverse = sort.startswith("-")
    if sort.removeprefix("-") == "confidence":
        unknown = [r for r in rows if r.confidence is None]
        known = [r for r in rows if r.confidence is not None]
        return [*sorted(known, key=key, reverse=reverse), *sorted(unknown, key=_by_id)]
    return sorted(rows, key=key, reverse=reverse)


def _by_id(row: Row) -> int:
    return row.case_id
