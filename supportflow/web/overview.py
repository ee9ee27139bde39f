"""The overview: outcome metrics for support leads, as a console page and as JSON.

`GET /overview` (any signed-in role) and `GET /api/v1/metrics/outcomes` (any role's token or
session) show the same figures (`supportflow.metrics.outcomes`) for the principal's tenant,
filtered by `category` and a period of UTC dates `from`..`to` (both inclusive; either may be
left out). `GET /api/v1/metrics/llm` reports the tenant's LLM use and cost
(`supportflow.metrics.llm_usage`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from supportflow.errors import InputError
from supportflow.metrics.llm_usage import llm_usage
from supportflow.metrics.outcomes import OutcomeFilter, outcome_metrics
from supportflow.web.auth import Principal, api_user, console_user, csrf_token
from supportflow.web.console.rendering import tenant_config
from supportflow.web.request_db import SessionDep

_TEMPLATES = Jinja2Templates(directory=str(resources.files("supportflow.web") / "templates"))

overview_router = APIRouter(tags=["metrics"])


CategoryParam = Annotated[str | None, Query(description="only cases of this category")]
FromParam = Annotated[
    date | None, Query(alias="from", description="first UTC date of the period (inclusive)")
]
ToParam = Annotated[
    date | None, Query(alias="to", description="last UTC date of the period (inclusive)")
]


def outcome_filter(
    principal: Principal, category: str | None, start: date | None, end: date | None
) -> OutcomeFilter:
    """The principal's tenant's filter; InputError when the period ends before it starts."""
    if start is not None and end is not None and end < start:
        raise InputError(f"the period ends ({end}) before it starts ({start})")
    return OutcomeFilter(
        tenant_id=principal.tenant_id, category=category or None, start=start, end=end
    )


@overview_router.get("/api/v1/metrics/outcomes")
def outcomes_json(
    session: SessionDep,
    principal: Annotated[Principal, Depends(api_user("read"))],
    category: CategoryParam = None,
    start: FromParam = None,
    end: ToParam = None,
) -> dict[str, Any]:
    """Outcome metrics of the caller's tenant (see supportflow.metrics.outcomes for each
    definition); 400 when `to` is before `from`."""
    filters = outcome_filter(principal, category, start, end)
    return outcome_metrics(session, filters).as_dict()


@overview_router.get("/api/v1/metrics/llm")
def llm_usage_json(
    session: SessionDep,
    principal: Annotated[Principal, Depends(api_user("read"))],
    start: FromParam = None,
    end: ToParam = None,
) -> dict[str, Any]:
    """The caller's tenant's LLM calls, failures, tokens and cost per UTC day, task and
    model, and totals per case (default: the last 7 days); 400 when `to` is before `from`."""
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=6)
    if end < start:
        raise InputError(f"the period ends ({end}) before it starts ({start})")
    return llm_usage(session, tenant_id=principal.tenant_id, start=start, end=end)


@overview_router.get("/overview", response_class=HTMLResponse, include_in_schema=False)
def overview_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(console_user("read"))],
    category: CategoryParam = None,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> HTMLResponse:
    """The figures as a page; the form sends empty fields for dates left out, and a bad
    date is shown on the page rather than as a JSON error."""
    context: dict[str, Any] = {
        "page": "overview",
        "principal": principal,
        "csrf_token": csrf_token(request),
        "notices": [],
        "categories": [c.name for c in tenant_config(session, principal.tenant_id).categories],
        "chosen": {"category": category or "", "from": start or "", "to": end or ""},
        "figures": None,
    }
    try:
        filters = outcome_filter(principal, category, _day(start), _day(end))
    except InputError as exc:
        context["notices"] = [{"kind": "error", "text": str(exc)}]
        return _TEMPLATES.TemplateResponse(request, "overview.html", context, status_code=400)
    figures = outcome_metrics(session, filters).as_dict()
    context["figures"] = figures
    context["busiest_day"] = max((d["cases"] for d in figures["volume_per_day"]), default=0)
    return _TEMPLATES.TemplateResponse(request, "overview.html", context)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD)") from exc
