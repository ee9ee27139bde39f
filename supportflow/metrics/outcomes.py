"""Outcome metrics for support leads: how much of the work the drafts take, and how well.

Every figure is computed over one population: the tenant's cases created (UTC) within the
period, optionally of one category. Counting is done by the database in a handful of
aggregate queries (no case is loaded as an object), so a page of figures over tens of
thousands of cases costs tens of milliseconds; only medians and the reopen matching, which
SQL cannot express portably, fetch one small row per case.

Definitions (each rate is returned with its numerator and denominator):

- volume: cases in the population, per UTC day of creation and per category.
- involvement: cases with a usable draft (the pipeline drafted a reply a reviewer could
  send) / cases.
- decided: involved cases with a review decision; a case's latest decision counts.
- approved unedited: decided cases approved as drafted (`approve` or `auto_approve`) / decided.
- edit rate: decided cases approved after an edit (`edit`) / decided.
- edit size: changed lines of an edit, from the unified diff stored with it: lines removed
  plus lines added (a rewritten line counts as one of each); the median over the
  population's edits.
- auto-approval rate: decided cases whose decision is `auto_approve` / decided.
- automation rate: involvement x approved-unedited rate, the share of all cases answered
  with the draft as written.
- handoff rate: cases handed to a person (status `needs_human` now, ever moved to it, or a
  latest decision of `escalate`) / cases.
- reopen rate: sent replies after which the customer wrote again / sent replies. The
  customer wrote again when an inbound message that is not an automatic reply arrived
  after our reply was sent and at most 7 days (168 hours) later, and it is either in the
  same conversation or from the same address with the same subject once reply and forward
  prefixes ("Re:", "Fwd:", "AW:", ...), case and spacing are ignored.
- time to first draft: case creation to the draft step's completion; median in seconds.
- time to first sent reply: case creation to our reply's acceptance by the mail server;
  median in seconds.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from supportflow.cases.status import CaseStatus
from supportflow.store.models import (
    AuditEntry,
    Case,
    CaseStep,
    Draft,
    Message,
    OutboxEntry,
    ReviewDecision,
)

REOPEN_WINDOW = timedelta(days=7)
UNEDITED = ("approve", "auto_approve")
_REPLY_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|antw|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class OutcomeFilter:
    """Which cases count: one tenant's, created from `start` to `end` (UTC dates, both
    inclusive; None: unbounded), of `category` when given."""

    tenant_id: int
    category: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Rate:
    count: int
    of: int

    @property
    def value(self) -> float | None:
        return round(self.count / self.of, 4) if self.of else None

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.value, "count": self.count, "of": self.of}


@dataclass(frozen=True)
class OutcomeMetrics:
    filters: OutcomeFilter
    cases: int
    per_day: list[tuple[str, int]]
    per_category: list[tuple[str | None, int]]
    involvement: Rate
    approved_unedited: Rate
    edited: Rate
    auto_approved: Rate
    handoff: Rate
    reopened: Rate
    median_edit_lines: float | None
    median_seconds_to_first_draft: float | None
    median_seconds_to_first_reply: float | None
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def automation_rate(self) -> float | None:
        involvement, unedited = self.involvement, self.approved_unedited
        if not involvement.of or not unedited.of:
            return None
        return round(involvement.count / involvement.of * unedited.count / unedited.of, 4)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the API's response and the page's figures)."""
        f = self.filters
        return {
            "filters": {
                "category": f.category,
                "from": f.start.isoformat() if f.start else None,
                "to": f.end.isoformat() if f.end else None,
            },
            "cases": self.cases,
            "volume_per_day": [{"date": d, "cases": n} for d, n in self.per_day],
            "volume_per_category": [{"category": c, "cases": n} for c, n in self.per_category],
            "involvement": self.involvement.as_dict(),
            "approved_unedited": self.approved_unedited.as_dict(),
            "edit_rate": self.edited.as_dict(),
            "median_edit_lines": self.median_edit_lines,
            "auto_approval": self.auto_approved.as_dict(),
            "automation_rate": self.automation_rate,
            "handoff": self.handoff.as_dict(),
            "reopen": self.reopened.as_dict(),
            "median_seconds_to_first_draft": self.median_seconds_to_first_draft,
            "median_seconds_to_first_reply": self.median_seconds_to_first_reply,
        }


def outcome_metrics(session: Session, filters: OutcomeFilter) -> OutcomeMetrics:
    """All outcome figures for the cases `filters` selects (see the module docstring)."""
    where = _population(filters)
    counts = _counts(session, where)
    return OutcomeMetrics(
        filters=filters,
        cases=counts["cases"],
        per_day=_per_day(session, where),
        per_category=_per_category(session, where),
        involvement=Rate(counts["involved"], counts["cases"]),
        approved_unedited=Rate(counts["unedited"], counts["decided"]),
        edited=Rate(counts["edited"], counts["decided"]),
        auto_approved=Rate(counts["auto"], counts["decided"]),
        handoff=Rate(counts["handed_off"], counts["cases"]),
        reopened=_reopen_rate(session, where, filters.tenant_id),
        median_edit_lines=_median(_edit_sizes(session, where)),
        median_seconds_to_first_draft=_median(_draft_delays(session, where)),
        median_seconds_to_first_reply=_median(_reply_delays(session, where)),
    )


def _population(filters: OutcomeFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Case.tenant_id == filters.tenant_id]
    if filters.category is not None:
        where.append(Case.category == filters.category)
    if filters.start is not None:
        where.append(Case.created_at >= _midnight(filters.start))
    if filters.end is not None:
        where.append(Case.created_at < _midnight(filters.end + timedelta(days=1)))
    return where


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _counts(session: Session, where: Sequence[ColumnElement[bool]]) -> dict[str, int]:
    """The counting figures in one pass over the population."""
    latest = (
        select(ReviewDecision.decision)
        .where(ReviewDecision.case_id == Case.id)
        .order_by(ReviewDecision.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    escalated = exists().where(
        AuditEntry.case_id == Case.id, AuditEntry.to_status == CaseStatus.NEEDS_HUMAN.value
    )
    facts = (
        select(
            exists().where(Draft.case_id == Case.id).label("involved"),
            latest.label("decision"),
            or_(Case.status == CaseStatus.NEEDS_HUMAN.value, escalated).label("handed_off"),
        )
        .where(*where)
        .subquery()
    )
    decided = and_(facts.c.involved, facts.c.decision.is_not(None))

    def tally(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count().label("cases"),
            tally(facts.c.involved).label("involved"),
            tally(decided).label("decided"),
            tally(and_(decided, facts.c.decision.in_(UNEDITED))).label("unedited"),
            tally(and_(decided, facts.c.decision == "edit")).label("edited"),
            tally(and_(decided, facts.c.decision == "auto_approve")).label("auto"),
            tally(or_(facts.c.handed_off, facts.c.decision == "escalate")).label("handed_off"),
        )
    ).one()
    return {key: int(value) for key, value in row._mapping.items()}


def _per_day(session: Session, where: Sequence[ColumnElement[bool]]) -> list[tuple[str, int]]:
    day = func.date(Case.created_at)
    rows = session.execute(select(day, func.count()).where(*where).group_by(day).order_by(day))
    return [(str(d), int(n)) for d, n in rows]


def _per_category(
    session: Session, where: Sequence[ColumnElement[bool]]
) -> list[tuple[str | None, int]]:
    n = func.count()
    rows = session.execute(
        select(Case.category, n).where(*where).group_by(Case.category).order_by(n.desc())
    )
    return [(category, int(count)) for category, count in rows]


def changed_lines(diff: str) -> int:
    """Lines removed plus lines added in a unified diff (file headers excluded)."""
    return sum(
        1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def _edit_sizes(session: Session, where: Sequence[ColumnElement[bool]]) -> list[float]:
    diffs = session.scalars(
        select(ReviewDecision.edit_diff)
        .join(Case, Case.id == ReviewDecision.case_id)
        .where(*where, ReviewDecision.decision == "edit", ReviewDecision.edit_diff.is_not(None))
    )
    return [float(changed_lines(diff)) for diff in diffs if diff]


def _draft_delays(session: Session, where: Sequence[ColumnElement[bool]]) -> list[float]:
    rows = session.execute(
        select(Case.created_at, CaseStep.finished_at)
        .join(CaseStep, and_(CaseStep.case_id == Case.id, CaseStep.step == "draft"))
        .where(*where)
    )
    return _seconds(rows)


def _reply_delays(session: Session, where: Sequence[ColumnElement[bool]]) -> list[float]:
    rows = session.execute(
        select(Case.created_at, OutboxEntry.sent_at)
        .join(OutboxEntry, OutboxEntry.case_id == Case.id)
        .where(*where, OutboxEntry.status == "sent", OutboxEntry.sent_at.is_not(None))
    )
    return _seconds(rows)


def _seconds(rows: Iterable[Any]) -> list[float]:
    return [(later - earlier).total_seconds() for earlier, later in rows]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def normalised_subject(subject: str | None) -> str:
    """A subject without reply/forward prefixes, in lower case with single spaces."""
    stripped = _REPLY_PREFIX.sub("", subject or "")
    return _SPACES.sub(" ", stripped).strip().lower()


@dataclass(frozen=True)
class _Inbound:
    conversation_id: int | None
    address: str | None
    subject: str
    received_at: datetime


@dataclass(frozen=True)
class _SentReply:
    conversation_id: int | None
    address: str | None
    subject: str
    sent_at: datetime


def _reopen_rate(session: Session, where: Sequence[ColumnElement[bool]], tenant_id: int) -> Rate:
    replies = _sent_replies(session, where)
    if not replies:
        return Rate(0, 0)
    first = min(r.sent_at for r in replies)
    last = max(r.sent_at for r in replies)
    later = _inbound_between(session, tenant_id, first, last + REOPEN_WINDOW)
    by_conversation: defaultdict[int, list[_Inbound]] = defaultdict(list)
    by_address: defaultdict[str, list[_Inbound]] = defaultdict(list)
    for message in later:
        if message.conversation_id is not None:
            by_conversation[message.conversation_id].append(message)
        if message.address:
            by_address[message.address].append(message)
    reopened = 0
    for reply in replies:
        same_thread = by_conversation.get(reply.conversation_id or -1, [])
        same_issue = [
            m for m in by_address.get(reply.address or "", []) if m.subject == reply.subject
        ]
        window_end = reply.sent_at + REOPEN_WINDOW
        if any(reply.sent_at < m.received_at <= window_end for m in [*same_thread, *same_issue]):
            reopened += 1
    return Rate(reopened, len(replies))


def _sent_replies(session: Session, where: Sequence[ColumnElement[bool]]) -> list[_SentReply]:
    rows = session.execute(
        select(Case.conversation_id, Message.from_address, Message.subject, OutboxEntry.sent_at)
        .join(Message, Message.id == Case.message_id)
        .join(OutboxEntry, OutboxEntry.case_id == Case.id)
        .where(*where, OutboxEntry.status == "sent", OutboxEntry.sent_at.is_not(None))
    )
    return [
        _SentReply(conversation, address, normalised_subject(subject), sent_at)
        for conversation, address, subject, sent_at in rows
        if sent_at is not None
    ]


def _inbound_between(
    session: Session, tenant_id: int, after: datetime, until: datetime
) -> list[_Inbound]:
    """The tenant's inbound mail from people (not automatic replies) in (after, until]."""
    rows = session.execute(
        select(
            Message.conversation_id, Message.from_address, Message.subject, Message.received_at
        ).where(
            Message.tenant_id == tenant_id,
            Message.direction == "inbound",
            Message.auto_reply_reason.is_(None),
            Message.received_at > after,
            Message.received_at <= until,
        )
    )
    return [
        _Inbound(conversation, address, normalised_subject(subject), received)
        for conversation, address, subject, received in rows
    ]
