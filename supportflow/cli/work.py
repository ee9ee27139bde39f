"""`supportflow process`, `send` and `serve`: running the pipeline."""

from __future__ import annotations

from typing import Annotated

import typer

from supportflow.cases.status import WORKABLE, CaseStatus
from supportflow.cli.common import JsonOpt, emit_json, workspace
from supportflow.config import Settings
from supportflow.errors import InputError
from supportflow.store.db import Database
from supportflow.workers.embedded import build_deps, process_pending, process_with_workers
from supportflow.workers.pool import WorkerPool


def process(
    limit: Annotated[int | None, typer.Option(help="stop after this many cases")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Process every pending case once (drafts, approved sends) and exit."""
    if workers > 1 and limit is not None:
        raise InputError("--limit works with one worker only")
    _run(limit=limit, as_json=as_json, statuses=WORKABLE, workers=workers)


def send(as_json: JsonOpt = False) -> None:
    """Send every approved reply that is due, and nothing else."""
    _run(limit=None, as_json=as_json, statuses=(CaseStatus.APPROVED.value,), workers=1)


def _run(*, limit: int | None, as_json: bool, statuses: tuple[str, ...], workers: int) -> None:
    settings, db = workspace()
    if workers == 1:
        report = process_pending(build_deps(db, settings), limit=limit, statuses=statuses)
    else:
        report = process_with_workers(settings, workers=workers, statuses=statuses)
    if as_json:
        emit_json({"processed": report.total, "outcomes": dict(report.outcomes)})
        return
    outcomes = ", ".join(f"{n} {s}" for s, n in sorted(report.outcomes.items()))
    typer.echo(f"Processed {report.total} case(s){': ' + outcomes if outcomes else ''}")


def serve_app(settings: Settings, db: Database, *, host: str, port: int, workers: int = 1) -> None:
    """Serve the web app with the embedded worker pool until interrupted."""
    import uvicorn

    from supportflow.web.app import create_app

    pool = WorkerPool(settings, db, size=workers)
    uvicorn.run(create_app(settings, db, pool), host=host, port=port, log_level="warning")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="embedded workers (more than 1: separate processes)")
    ] = 1,
) -> None:
    """Serve the case list and run the embedded worker pool."""
    settings, db = workspace()
    typer.echo(f"Serving on http://{host}:{port}/ with {workers} worker(s) (Ctrl+C to stop)")
    serve_app(settings, db, host=host, port=port, workers=workers)
