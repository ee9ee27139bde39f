"""The queue page ("/") and its bulk approve."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from supportflow.cases.status import CaseStatus
from supportflow.cases.views import status_counts
from supportflow.web.console.bulk import bulk_approve, bulk_candidates
from supportflow.web.console.deps import CsrfChecked, Reader, Reviewer
from supportflow.web.console.queue import (
    AWAITING,
    QueueFilter,
    categories_and_routes,
    mailboxes,
    queue_page,
)
from supportflow.web.console.rendering import back_to, notify, render, tenant_config
from supportflow.web.request_db import SessionDep

PER_PAGE = 50
router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    principal: Reader,
    session: SessionDep,
    status: Annotated[str, Query()] = AWAITING,
    category: Annotated[str | None, Query()] = None,
    route: Annotated[str | None, Query()] = None,
    mailbox: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """The tenant's cases in working order; `status=all` shows every status."""
    tenant_id = principal.tenant_id
    config = tenant_config(session, tenant_id)
    filters = QueueFilter(
        status=None if status == "all" else status,
        category=category or None,
        route=route or None,
        mailbox=mailbox or None,
    )
    listing = queue_page(
        session, tenant_id=tenant_id, config=config, filters=filters, page=page, per_page=PER_PAGE
    )
    categories, routes = categories_and_routes(session, tenant_id=tenant_id)
    threshold = config.review.bulk_approve_min_confidence
    bulk_count = (
        None
        if threshold is None
        else len(bulk_candidates(session, tenant_id=tenant_id, min_confidence=threshold))
    )
    return render(
        request,
        principal,
        "queue.html",
        {
            "listing": listing,
            "filters": filters,
            "counts": status_counts(session, tenant_id=tenant_id),
            "statuses": [s.value for s in CaseStatus],
            "categories": categories,
            "routes": routes,
            "mailboxes": mailboxes(session, tenant_id=tenant_id),
            "bulk_threshold": threshold,
            "bulk_count": bulk_count,
        },
    )


@router.post("/bulk-approve")
def bulk_approve_page(
    request: Request, principal: Reviewer, _: CsrfChecked, session: SessionDep
) -> RedirectResponse:
    """Approve every awaiting draft at the tenant's bulk threshold or above."""
    threshold = tenant_config(session, principal.tenant_id).review.bulk_approve_min_confidence
    if threshold is None:
        notify(request, "bulk approve is off for this tenant", "error")
        return back_to("/")
    outcome = bulk_approve(
        request.app.state.db,
        tenant_id=principal.tenant_id,
        min_confidence=threshold,
        reviewer=principal.email,
    )
    notify(request, f"Approved {len(outcome.approved)} draft(s) at confidence ≥ {threshold:.2f}.")
    for case_id, reason in outcome.failed.items():
        notify(request, f"Case {case_id} not approved: {reason}", "error")
    return back_to("/")
