"""The web app: the review console (HTML), the REST API under /api/v1, and accounts.

`create_app` only assembles: sessions and the login page (`login.install_auth`), the routers
of the console, the API, the knowledge base and the overview, and the API's error handlers.
Every page and endpoint except /login, /healthz and /readyz needs a signed-in user or an API
token (`supportflow.web.auth`) and sees that principal's tenant only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from supportflow.config import Settings
from supportflow.store.db import Database
from supportflow.web.api import api_router, install_error_handlers
from supportflow.web.console import console_router
from supportflow.web.knowledge import knowledge_router
from supportflow.web.login import install_auth
from supportflow.web.overview import overview_router
from supportflow.web.request_db import SessionDep
from supportflow.web.webhooks import webhooks_router
from supportflow.workers.pool import WorkerPool


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
    install_auth(app, settings)
    app.include_router(console_router)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(session: SessionDep) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"status": "ready"}

    app.include_router(knowledge_router(settings, db))
    app.include_router(api_router)
    app.include_router(overview_router)
    app.include_router(webhooks_router)
    install_error_handlers(app)  # after the app's own handlers: the API's shape wins

    return app
