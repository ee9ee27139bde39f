"""`supportflow train` and `supportflow models list|promote|shadow`: the tenant's classifier
versions (see supportflow.training)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.store.db import Database
from supportflow.tenants import resolve_tenant
from supportflow.training.imports import import_examples
from supportflow.training.job import TrainingReport, TrainOptions, train_tenant
from supportflow.training.shadow import shadow_report
from supportflow.training.versions import (
    VersionStatus,
    get_version,
    list_versions,
    make_live,
    make_shadow,
    version_summary,
)

models_app = typer.Typer(help="The tenant's classifier versions.", no_args_is_help=True)
ACTOR = "cli"


def train(
    tenant: TenantOpt = None,
    examples: Annotated[
        list[Path] | None,
        typer.Option("--examples", help="labelled CSV/JSONL to import first (repeatable)"),
    ] = None,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="make the candidate the shadow model, not live")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="promote even if it scores worse than the live model")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Train a new classifier version; promote it only if it is at least as accurate as the
    live one on the held-out rows (or make it the shadow)."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        imported = [
            import_examples(session, tenant_id=owner.id, path=path) for path in examples or []
        ]
    report = train_tenant(db, tenant=owner, options=TrainOptions(shadow, force, ACTOR))
    if as_json:
        emit_json(report.as_dict())
        return
    for result in imported:
        typer.echo(
            f"Imported {result.added} examples from {result.path} "
            f"({result.duplicates} already there)"
        )
    _print_report(report)


def _print_report(report: TrainingReport) -> None:
    sources = ", ".join(f"{n} {source}" for source, n in report.sources.items())
    held = report.candidate.n_holdout if report.candidate else 0
    typer.echo(
        f"Trained version {report.version} on {report.n_train} rows, {held} held out "
        f"({sources}), in {report.train_seconds:.1f}s: {report.features}"
    )
    typer.echo(f"Version {report.version} is {report.status}: {report.reason}")


@models_app.command("list")
def list_(tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """Every version with its status, figures, and when it was made and promoted; for the
    shadow, how it did beside the live model on real cases."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        rows = []
        for row in list_versions(session, owner.id):
            summary = version_summary(row)
            if row.status == VersionStatus.SHADOW.value:
                summary["shadow"] = shadow_report(session, row)
            rows.append(summary)
    if as_json:
        emit_json(rows)
        return
    for summary in rows:
        typer.echo(_version_line(summary))
    if not rows:
        typer.echo("No model versions.")


def _version_line(summary: dict[str, Any]) -> str:
    candidate = summary["candidate"]
    accuracy = f"{candidate['accuracy']:.4f}" if candidate else "  -   "
    line = (
        f"v{summary['version']:<4} {summary['status']:<8} accuracy {accuracy}  "
        f"created {summary['created_at'][:19]}  {summary['reason']}"
    )
    shadow = summary.get("shadow")
    if shadow:
        line += (
            f"\n      shadowed {shadow['n_cases']} cases, agreed with live on "
            f"{_share(shadow['agreement'])}; on {shadow['n_reviewed']} reviewed: "
            f"live {_share(shadow['live_accuracy'])} right, "
            f"shadow {_share(shadow['shadow_accuracy'])} right"
        )
    return line


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


@models_app.command("promote")
def promote(version: int, tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """Make a saved version live (the previous live one retires)."""
    _change(version, tenant, as_json, live=True)


@models_app.command("shadow")
def shadow(version: int, tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """Make a saved version the shadow model (an earlier shadow retires)."""
    _change(version, tenant, as_json, live=False)


def _change(version: int, tenant: str | None, as_json: bool, *, live: bool) -> None:
    _, db = workspace()
    summary = _install(db, version, tenant, live=live)
    if as_json:
        emit_json(summary)
        return
    typer.echo(f"Version {summary['version']} is now {summary['status']}")


def _install(db: Database, version: int, tenant: str | None, *, live: bool) -> dict[str, Any]:
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        row = get_version(session, owner.id, version)
        folder = Path(owner.config_dir)
        if live:
            make_live(session, folder=folder, row=row, actor=ACTOR)
        else:
            make_shadow(session, folder=folder, row=row, actor=ACTOR)
        return version_summary(row)
