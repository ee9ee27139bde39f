"""Cases as plain dicts: the JSON that `review list/show --json` prints and the web page uses.

Field names here are a contract for scripts; add fields, never rename them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.actions.decisions import action_view, case_actions
from supportflow.cases.conversation_memory import conversation_context
from supportflow.cases.review import latest_draft
from supportflow.drafting.compose import PassageLike
from supportflow.drafting.grounded import generation_note
from supportflow.metrics.llm_usage import call_totals
from supportflow.store.models import (
    AuditEntry,
    Case,
    CaseStep,
    Classification,
    Draft,
    ExtractedField,
    LlmCall,
    Message,
    OutboxEntry,
    RetrievedPassage,
    ReviewDecision,
    ReviewedLabel,
)


class ScoredPassage(PassageLike, Protocol):
    @property
    def score(self) -> float: ...


def passage_view(passage: ScoredPassage) -> dict[str, Any]:
    """A knowledge-base passage (found by search or stored with a case) as JSON."""
    return {
        "title": passage.title,
        "source": passage.source,
        "section": passage.section,
        "page_start": passage.page_start,
        "page_end": passage.page_end,
        "score": passage.score,
        "text": passage.text,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def case_summaries(session: Session, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """`case_summary` of many cases with two queries in all (messages, latest drafts)
    instead of two per case: lists and the queue page show 50 at a time."""
    ids = [case.id for case in cases]
    # Loaded into the session's identity map, so each case.message below is found there.
    session.scalars(select(Message).where(Message.id.in_([c.message_id for c in cases]))).all()
    newest = (
        select(Draft.case_id, func.max(Draft.version).label("version"))
        .where(Draft.case_id.in_(ids))
        .group_by(Draft.case_id)
        .subquery()
    )
    drafts = {
        draft.case_id: draft
        for draft in session.scalars(
            select(Draft).join(
                newest, (Draft.case_id == newest.c.case_id) & (Draft.version == newest.c.version)
            )
        )
    }
    return [_summary(case, drafts.get(case.id)) for case in cases]


def case_summary(session: Session, case: Case) -> dict[str, Any]:
    """The short form: enough to list and pick cases."""
    return _summary(case, latest_draft(session, case.id))


def _summary(case: Case, draft: Draft | None) -> dict[str, Any]:
    message = case.message
    return {
        "id": case.id,
        "status": case.status,
        "status_reason": case.status_reason,
        "category": case.category,
        "confidence": case.confidence,
        "route": case.route,
        "priority": case.priority,
        "customer": message.from_address,
        "customer_name": message.from_name,
        "subject": message.subject,
        "message_id": message.message_id,
        "received_at": _iso(message.received_at),
        "draft": _draft(draft),
    }


def _draft(draft: Draft | None) -> dict[str, Any] | None:
    if draft is None:
        return None
    return {
        "id": draft.id,
        "version": draft.version,
        "author": draft.author,
        "template": draft.template,
        "text": draft.body_text,
        "citations": draft.citations,
        "mode": draft.mode,
        "generation": draft.generation,
        "note": generation_note(draft.mode, draft.generation),
        "created_at": _iso(draft.created_at),
    }


def _llm_calls(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's LLM calls per task and model: how many, tokens, cost, failures."""
    groups = call_totals(
        session, where=(LlmCall.case_id == case_id,), by=(LlmCall.task, LlmCall.model)
    )
    return [
        {"task": task, "model": model, "calls": totals["calls"],
         "tokens": totals["prompt_tokens"] + totals["completion_tokens"],
         "cost": totals["cost"], "failed": totals["failed"]}
        for (task, model), totals in groups
    ]  # fmt: skip


def case_detail(session: Session, case: Case) -> dict[str, Any]:
    """Everything a reviewer or a script needs to decide on a case."""
    detail = case_summary(session, case)
    message = case.message
    detail["message"] = {
        "from": message.from_address,
        "from_name": message.from_name,
        "to": message.to_address,
        "subject": message.subject,
        "text": message.new_text,
        "quoted_removed": message.body_text != message.new_text,
        "attachments": message.attachments,
        "defects": message.defects,
        "in_reply_to": message.in_reply_to,
        "origin": message.origin,
        "size_bytes": message.size_bytes,
    }
    classification = session.scalar(
        select(Classification)
        .where(Classification.case_id == case.id)
        .order_by(Classification.id.desc())
        .limit(1)
    )
    detail["classification"] = (
        None
        if classification is None
        else {
            "label": classification.label,
            "confidence": classification.confidence,
            "route": classification.route,
            "priority": classification.priority,
            "reason": classification.reason,
            "stages": classification.stages,
        }
    )
    reviewed = session.scalar(select(ReviewedLabel).where(ReviewedLabel.case_id == case.id))
    detail["reviewed_label"] = (
        None
        if reviewed is None
        else {
            "label": reviewed.label,
            "predicted": reviewed.predicted_label,
            "corrected": reviewed.corrected,
            "reviewer": reviewed.reviewer,
        }
    )
    detail["fields"] = [
        {
            "name": f.name,
            "value": f.value,
            "confidence": f.confidence,
            "source": f.source,
            "span": [f.span_start, f.span_end] if f.span_start is not None else None,
        }
        for f in session.scalars(select(ExtractedField).where(ExtractedField.case_id == case.id))
    ]
    detail["kb_version"] = case.kb_version_id
    detail["passages"] = [
        {"rank": p.rank, "chunk_id": p.chunk_id, "document_id": p.document_id, **passage_view(p)}
        for p in session.scalars(
            select(RetrievedPassage)
            .where(RetrievedPassage.case_id == case.id)
            .order_by(RetrievedPassage.rank)
        )
    ]
    detail["drafts"] = [_draft(d) for d in _drafts(session, case.id)]
    detail["llm_calls"] = _llm_calls(session, case.id)
    detail["actions"] = [action_view(a) for a in case_actions(session, case.id)]
    detail["decisions"] = [
        {
            "decision": d.decision,
            "reviewer": d.reviewer,
            "reason": d.reason,
            "edit_diff": d.edit_diff,
            "at": _iso(d.created_at),
        }
        for d in session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.case_id == case.id)
            .order_by(ReviewDecision.id)
        )
    ]
    detail["steps"] = [
        {
            "step": s.step,
            "duration_ms": round(s.duration_ms, 3),
            "detail": s.detail,
            "finished_at": _iso(s.finished_at),
        }
        for s in session.scalars(
            select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.id)
        )
    ]
    outbox = session.scalar(select(OutboxEntry).where(OutboxEntry.case_id == case.id))
    detail["outbox"] = (
        None
        if outbox is None
        else {
            "status": outbox.status,
            "message_id": outbox.message_id,
            "to": outbox.to_address,
            "attempts": outbox.attempts,
            "last_error": outbox.last_error,
            "sent_at": _iso(outbox.sent_at),
        }
    )
    detail["conversation"] = conversation_context(session, case)
    detail["audit"] = audit_trail(session, case.id)
    return detail


def _drafts(session: Session, case_id: int) -> list[Draft]:
    return list(
        session.scalars(select(Draft).where(Draft.case_id == case_id).order_by(Draft.version))
    )


def audit_trail(session: Session, case_id: int) -> list[dict[str, Any]]:
    return [
        {
            "at": _iso(a.created_at),
            "actor": a.actor,
            "action": a.action,
            "from": a.from_status,
            "to": a.to_status,
            "detail": a.detail,
        }
        for a in session.scalars(
            select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.id)
        )
    ]


def list_cases(
    session: Session, *, tenant_id: int, statuses: list[str] | None, limit: int | None
) -> list[Case]:
    query = select(Case).where(Case.tenant_id == tenant_id)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    query = query.order_by(Case.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def status_counts(session: Session, *, tenant_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Case.status, func.count()).where(Case.tenant_id == tenant_id).group_by(Case.status)
    )
    return {str(status): int(count) for status, count in rows}
