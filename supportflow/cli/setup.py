"""`supportflow init` and `supportflow demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from supportflow.cli.common import JsonOpt, emit_json, workspace
from supportflow.workspace import init_tenant


def init(
    tenant_dir: Annotated[
        Path | None,
        typer.Argument(help="tenant folder with tenant.yaml (default: the demo tenant)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create the data folder and database, register a tenant and train its classifier."""
    from supportflow.demo.setup import demo_tenant_dir

    settings, db = workspace()
    tenant, metrics = init_tenant(db, settings, tenant_dir or demo_tenant_dir())
    result = {
        "home": str(settings.home.resolve()),
        "database": db.url,
        "tenant": tenant.slug,
        "classifier": metrics,
    }
    if as_json:
        emit_json(result)
        return
    typer.echo(f"Data folder: {result['home']}")
    quality = f" (accuracy {metrics['accuracy']:.2f}, {metrics['method']})" if metrics else ""
    typer.echo(f"Tenant '{tenant.slug}' ready; classifier trained{quality}")


def demo(
    serve: Annotated[bool, typer.Option(help="serve the web page afterwards")] = True,
    host: Annotated[str, typer.Option(help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
    llm: Annotated[
        Literal["none", "local"],
        typer.Option(
            help="none: template drafts; local: drafts by the local Qwen2.5-Coder 1.5B "
            "(installed by `make demo LLM=local`)"
        ),
    ] = "none",
    as_json: JsonOpt = False,
) -> None:
    """Set up the demo company, ingest its knowledge base and inbox, draft every reply."""
    from supportflow.demo.setup import LOCAL_DEMO_LLM, run_demo

    settings, db = workspace()
    if llm == "local":
        from supportflow.llm.local import resolve_model

        # Fails now, with the install command, rather than on every email.
        resolve_model(LOCAL_DEMO_LLM["models"]["draft"], models_dir=settings.home / "models")
    # A local model takes tens of seconds an email on a small machine: when serving, the
    # server's worker drafts the queue in the background while the console is in use.
    background = llm == "local" and serve
    summary = run_demo(
        db, settings, llm=LOCAL_DEMO_LLM if llm == "local" else None, process=not background
    )
    if background:
        typer.echo(
            "The local model drafts the queued emails in the background (tens of seconds "
            "each on 2 cores); the console shows each case as its draft is ready.",
            err=True,
        )
    if as_json:
        emit_json(summary.as_dict())
    else:
        smtp = f"{settings.smtp_host}:{settings.smtp_port}"
        typer.echo(summary.describe(host=host, port=port, smtp=smtp))
    if serve:
        from supportflow.cli.work import serve_app

        serve_app(settings, db, host=host, port=port)
