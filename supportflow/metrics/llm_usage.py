"""What a tenant's LLM use cost: calls, failures, tokens and cost per UTC day, task and model,
summed from `llm_calls` (one row per attempt, see supportflow.llm.usage)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from supportflow.store.models import LlmCall


def call_totals(
    session: Session,
    *,
    where: Sequence[ColumnElement[bool]],
    by: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """The `llm_calls` rows matching `where`, grouped and ordered by `by`: each group's key
    values, and its calls, failed calls, prompt and completion tokens and cost."""
    rows = session.execute(
        select(
            *by,
            func.count(LlmCall.id),
            func.sum(case((LlmCall.outcome == "ok", 0), else_=1)),
            func.sum(LlmCall.prompt_tokens),
            func.sum(LlmCall.completion_tokens),
            func.sum(LlmCall.cost),
        )
        .where(*where)
        .group_by(*by)
        .order_by(*by)
    )
    keys = len(by)
    return [
        (
            tuple(row[:keys]),
            {
                "calls": row[keys],
                "failed": int(row[keys + 1] or 0),
                "prompt_tokens": int(row[keys + 2] or 0),
                "completion_tokens": int(row[keys + 3] or 0),
                "cost": round(float(row[keys + 4] or 0.0), 6),
            },
        )  # fmt: skip
        for row in rows
    ]


def llm_usage(session: Session, *, tenant_id: int, start: date, end: date) -> dict[str, Any]:
    """Rows per (day, task, model) from `start` to `end` (UTC dates, inclusive), and totals
    with the tokens and cost per case that called an LLM."""
    since = datetime.combine(start, time(), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=UTC)
    in_period = (
        LlmCall.tenant_id == tenant_id,
        LlmCall.created_at >= since,
        LlmCall.created_at < until,
    )
    groups = call_totals(
        session, where=in_period, by=(func.date(LlmCall.created_at), LlmCall.task, LlmCall.model)
    )
    days = [
        {"day": str(day), "task": task, "model": model, **totals}
        for (day, task, model), totals in groups
    ]
    tokens = LlmCall.prompt_tokens + LlmCall.completion_tokens
    totals = session.execute(
        select(
            func.count(LlmCall.id),
            func.coalesce(func.sum(tokens), 0),
            func.coalesce(func.sum(LlmCall.cost), 0.0),
            func.count(func.distinct(LlmCall.case_id)),
        ).where(*in_period)
    ).one()
    calls, all_tokens, cost, cases = totals
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "days": days,
        "calls": calls,
        "tokens": int(all_tokens),
        "cost": round(float(cost), 6),
        "cases": cases,
        "tokens_per_case": round(int(all_tokens) / cases, 1) if cases else 0.0,
        "cost_per_case": round(float(cost) / cases, 6) if cases else 0.0,
    }
