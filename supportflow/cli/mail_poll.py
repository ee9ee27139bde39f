"""`supportflow poll`: read new mail from the tenants' IMAP mailboxes into cases."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from supportflow.cli.common import JsonOpt, emit_json, workspace
from supportflow.config import current_tenant_config
from supportflow.mail.polling import PollResult, poll_tenant
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import resolve_tenant


def poll(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="tenant slug (default: every tenant)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="poll once and exit")] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="seconds between polls")
    ] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Fetch new messages from each configured mailbox (tenant.yaml `mailboxes:`) and
    open a case for each new Message-ID; prints fetched, created and duplicates per mailbox."""
    _, db = workspace()
    while True:
        rows = [{"tenant": slug, **asdict(result)} for slug, result in _poll_once(db, tenant)]
        _print(rows, as_json)
        if once:
            if any(row["error"] for row in rows):
                raise typer.Exit(1)
            return
        time.sleep(interval)


def _poll_once(db: Database, slug: str | None) -> list[tuple[str, PollResult]]:
    with db.session() as session:
        if slug is not None:
            tenants = [resolve_tenant(session, slug)]
        else:
            tenants = list(session.scalars(select(Tenant).order_by(Tenant.id)))
    rows: list[tuple[str, PollResult]] = []
    for tenant in tenants:
        config = current_tenant_config(Path(tenant.config_dir))
        rows.extend((tenant.slug, r) for r in poll_tenant(db, tenant=tenant, config=config))
    return rows


def _print(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        emit_json({"mailboxes": rows})
        return
    if not rows:
        typer.echo("no mailboxes configured")
    for row in rows:
        where = f"{row['tenant']}/{row['mailbox']} {row['folder']}"
        if row["error"]:
            typer.echo(f"error: {where}: {row['error']}", err=True)
            continue
        typer.echo(
            f"{where}: {row['fetched']} fetched, {row['created']} created, "
            f"{row['duplicates']} duplicates"
        )
