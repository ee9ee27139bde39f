"""Reading cases: the filtered, sorted, paged list, counts per status, and one case."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from supportflow.cases.status import CaseStatus
from supportflow.cases.views import case_detail, case_summaries, status_counts
from supportflow.web.api.case_query import MAX_PAGE, CaseFilter, SortKey, find_cases
from supportflow.web.api.deps import Reader, tenant_case, tenant_config
from supportflow.web.api.schemas import CaseList
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=CaseList)
def list_cases(
    principal: Reader,
    session: SessionDep,
    status: Annotated[list[CaseStatus] | None, Query(description="repeatable")] = None,
    category: str | None = None,
    route: str | None = None,
    mailbox: Annotated[str | None, Query(description="the address it was sent to")] = None,
    priority: Literal["low", "normal", "high", "urgent"] | None = None,
    q: Annotated[str | None, Query(max_length=200, description="in subject or sender")] = None,
    sort: SortKey = "received",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The tenant's cases matching every filter given, one page at a time (`next` is the
    offset of the following page). Each item is the case's summary plus its `due_at`."""
    where = CaseFilter(
        statuses=tuple(s.value for s in status or ()),
        category=category,
        route=route,
        mailbox=mailbox,
        priority=priority,
        text=q or None,
    )
    page = find_cases(
        session,
        tenant_id=principal.tenant_id,
        config=tenant_config(session, principal),
        where=where,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    summaries = case_summaries(session, [case for case, _ in page.cases])
    return {
        "items": [
            {**summary, "due_at": row.due_at.isoformat()}
            for summary, (_, row) in zip(summaries, page.cases, strict=True)
        ],
        "total": page.total,
        "next": page.next_offset,
    }


@router.get("/counts", response_model=dict[str, int])
def counts(principal: Reader, session: SessionDep) -> dict[str, int]:
    """How many of the tenant's cases are in each status (every status, zeros included)."""
    found = status_counts(session, tenant_id=principal.tenant_id)
    return {status.value: found.get(status.value, 0) for status in CaseStatus}


@router.get("/{case_id}")
def get_case(case_id: int, principal: Reader, session: SessionDep) -> dict[str, Any]:
    """Everything about one case: message, classification, fields, passages, drafts,
    decisions, steps, outbox and audit trail."""
    return case_detail(session, tenant_case(session, principal, case_id))
