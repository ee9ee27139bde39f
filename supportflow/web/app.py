"""The web app: a page listing cases with their drafts, a case page, and a small JSON API.

The full review console comes later; this is the read-only first version, server-rendered
with Jinja2 and no JavaScript.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import text
from sqlalchemy.orm import Session

from supportflow.cases.review import get_case
from supportflow.cases.views import case_detail, case_summary, list_cases, status_counts
from supportflow.config import Settings
from supportflow.errors import NotFoundError, SupportflowError
from supportflow.store.db import Database
from supportflow.tenants import resolve_tenant
from supportflow.web.knowledge import knowledge_router
from supportflow.workers.pool import WorkerPool

_TEMPLATES = Jinja2Templates(directory=str(resources.files("supportflow.web") / "templates"))


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the request succeeds."""
    db: Database = request.app.state.db
    with db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def create_app(settings: Settings, db: Database, workers: WorkerPool | None = None) -> FastAPI:
    """Build the app around an open database; `workers` run while the app is up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Started and stopped here, not around uvicorn.run: uvicorn re-raises SIGTERM after
        # its shutdown, which would skip any cleanup placed after it.
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                await asyncio.to_thread(workers.stop)

    app = FastAPI(title="supportflow", version="0.1.0", lifespan=lifespan)
    app.state.db = db
    app.state.settings = settings

    @app.exception_handler(SupportflowError)
    async def _domain_error(request: Request, exc: SupportflowError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFoundError) else 400
        return JSONResponse(
            {"error": {"type": type(exc).__name__, "message": str(exc)}}, status_code=status
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(session: SessionDep) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ready"}

    @app.get("/", response_class=HTMLResponse)
    def index(
        request: Request, session: SessionDep, status: Annotated[str | None, Query()] = None
    ) -> HTMLResponse:
        tenant = resolve_tenant(session, None)
        cases = list_cases(
            session, tenant_id=tenant.id, statuses=[status] if status else None, limit=None
        )
        return _TEMPLATES.TemplateResponse(
            request,
            "index.html",
            {
                "tenant": tenant,
                "status": status,
                "counts": status_counts(session, tenant_id=tenant.id),
                "cases": [case_summary(session, c) for c in cases],
            },
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: int, session: SessionDep) -> HTMLResponse:
        detail = case_detail(session, get_case(session, case_id))
        return _TEMPLATES.TemplateResponse(request, "case.html", {"case": detail})

    @app.get("/api/v1/cases")
    def api_cases(
        session: SessionDep,
        status: Annotated[list[str] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        tenant = resolve_tenant(session, None)
        return [
            case_summary(session, c)
            for c in list_cases(session, tenant_id=tenant.id, statuses=status, limit=limit)
        ]

    @app.get("/api/v1/cases/{case_id}")
    def api_case(case_id: int, session: SessionDep) -> dict[str, Any]:
        return case_detail(session, get_case(session, case_id))

    app.include_router(knowledge_router(settings, db))

    return app
