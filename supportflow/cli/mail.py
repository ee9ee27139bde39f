"""`supportflow ingest PATH...`: .eml files, mbox files and Maildir folders into cases."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from supportflow.cases.intake import IntakeResult, ingest_path
from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.errors import IngestError
from supportflow.mail.sources import IngestFailure
from supportflow.tenants import resolve_tenant


def ingest(
    paths: Annotated[list[Path], typer.Argument(help=".eml files, .mbox files, Maildir folders")],
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Store each message as a case (once per Message-ID); unreadable files are named."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
    rows: list[dict[str, object]] = []
    for path in paths:
        try:
            results = ingest_path(db, tenant=owner, path=path)
        except IngestError as exc:
            rows.append({"origin": str(path), "outcome": "error", "error": str(exc)})
            continue
        rows.extend(_row(r) for r in results)
    counts = Counter(str(r["outcome"]) for r in rows)
    if as_json:
        emit_json({"counts": counts, "messages": rows})
    else:
        for row in rows:
            if row["outcome"] == "error":
                typer.echo(f"error: {row['origin']}: {row['error']}", err=True)
        typer.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing found")
    if counts["error"]:
        raise typer.Exit(1)


def _row(result: IntakeResult | IngestFailure) -> dict[str, object]:
    if isinstance(result, IntakeResult):
        return {
            "origin": result.origin,
            "outcome": result.outcome,
            "case_id": result.case_id,
            "message_id": result.message_id,
        }
    return {"origin": result.origin, "outcome": "error", "error": result.reason}
