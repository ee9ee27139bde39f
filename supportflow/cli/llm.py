"""`supportflow llm usage`: what the tenant's LLM use cost, per day, task and model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.metrics.llm_usage import llm_usage
from supportflow.tenants import resolve_tenant

llm_app = typer.Typer(help="The LLM tier: usage and cost.", no_args_is_help=True)


@llm_app.command("usage")
def usage(
    days: Annotated[int, typer.Option(min=1, help="the last N UTC days, today included")] = 7,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Calls, failed calls, tokens and cost per day, task and model, and per case."""
    end = datetime.now(UTC).date()
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        report = llm_usage(
            session, tenant_id=owner.id, start=end - timedelta(days=days - 1), end=end
        )
    if as_json:
        emit_json(report)
        return
    typer.echo(
        f"{'day':<11} {'task':<10} {'model':<24} {'calls':>6} {'failed':>6} "
        f"{'tokens':>9} {'cost':>10}"
    )
    for row in report["days"]:
        tokens = row["prompt_tokens"] + row["completion_tokens"]
        typer.echo(
            f"{row['day']:<11} {row['task']:<10} {row['model'][:24]:<24} {row['calls']:>6} "
            f"{row['failed']:>6} {tokens:>9} {row['cost']:>10.4f}"
        )
    typer.echo(
        f"{report['calls']} calls for {report['cases']} cases: {report['tokens']} tokens, "
        f"cost {report['cost']:.4f} ({report['tokens_per_case']} tokens and "
        f"{report['cost_per_case']:.4f} per case)"
    )
