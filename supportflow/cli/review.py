"""`supportflow review list|show|approve|edit|reject|label`: human review from the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from supportflow.cases.labels import label_case
from supportflow.cases.review import approve_case, get_case, reject_case
from supportflow.cases.status import CaseStatus
from supportflow.cases.views import case_detail, case_summary, list_cases
from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.errors import InputError
from supportflow.tenants import resolve_tenant

review_app = typer.Typer(help="Review drafted replies.", no_args_is_help=True)
ReviewerOpt = Annotated[str, typer.Option("--reviewer", help="who decides (for the audit log)")]
LabelOpt = Annotated[
    str | None,
    typer.Option("--label", help="the right category, when triage's is wrong (a correction)"),
]


@review_app.command("list")
def list_(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="status (repeatable)")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="every case, whatever its status")] = False,
    limit: Annotated[int | None, typer.Option(help="at most this many cases")] = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cases awaiting review (default), or those with --status S, or --all."""
    for value in status or []:
        if value not in CaseStatus.__members__.values():
            raise InputError(f"unknown status {value!r}; one of: {', '.join(CaseStatus)}")
    statuses = None if all_ else (status or [CaseStatus.AWAITING_REVIEW.value])
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        rows = [
            case_summary(session, c)
            for c in list_cases(session, tenant_id=owner.id, statuses=statuses, limit=limit)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        confidence = f"{row['confidence']:.2f}" if row["confidence"] is not None else "  - "
        typer.echo(
            f"{row['id']:>5}  {row['status']:<15} {row['category'] or '-':<16} "
            f"{confidence}  {row['customer'] or '-'}  {row['subject']}"
        )
    if not rows:
        typer.echo("No cases.")


@review_app.command("show")
def show(case_id: int, as_json: JsonOpt = False) -> None:
    """One case: message, classification route, fields, passages, draft and audit trail."""
    _, db = workspace()
    with db.session() as session:
        detail = case_detail(session, get_case(session, case_id))
    if as_json:
        emit_json(detail)
        return
    _print_detail(detail)


def _print_detail(detail: dict[str, object]) -> None:
    message = detail["message"]
    assert isinstance(message, dict)
    typer.echo(f"Case {detail['id']} [{detail['status']}] {detail['status_reason'] or ''}")
    typer.echo(f"From: {message['from_name'] or ''} <{message['from']}>")
    typer.echo(f"Subject: {message['subject']}\n\n{message['text']}\n")
    classification = detail["classification"]
    if isinstance(classification, dict):
        typer.echo(
            f"Category: {classification['label']} ({classification['confidence']:.2f}, "
            f"route {classification['route']})"
        )
        for stage in classification["stages"]:
            label = stage["label"] or "-"
            typer.echo(
                f"  {stage['stage']:<7} {label:<18} {stage['confidence']:.2f}  {stage['reason']}"
            )
    draft = detail["draft"]
    if isinstance(draft, dict):
        typer.echo(f"\n--- Draft v{draft['version']} ---")
        if draft.get("note"):
            typer.echo(f"({draft['note']})")
            for sentence in (draft.get("generation") or {}).get("unsupported", []):
                typer.echo(f"  unsupported: {sentence}")
        typer.echo(draft["text"])


@review_app.command("approve")
def approve(
    case_id: int, reviewer: ReviewerOpt = "cli", label: LabelOpt = None, as_json: JsonOpt = False
) -> None:
    """Approve the latest draft as it is; it is sent by the worker (or `supportflow send`).

    Approval confirms the case's category for training and the similar-case cache."""
    _decide(case_id, reviewer=reviewer, edited_text=None, label=label, as_json=as_json)


@review_app.command("edit")
def edit(
    case_id: int,
    text_file: Annotated[Path | None, typer.Option("--file", help="the edited reply")] = None,
    text: Annotated[str | None, typer.Option("--text", help="the edited reply, inline")] = None,
    reviewer: ReviewerOpt = "cli",
    label: LabelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve an edited reply (from --file, --text, or your $EDITOR)."""
    if text_file is not None:
        text = text_file.read_text(encoding="utf-8")
    if text is None:
        text = _edit_in_editor(case_id)
    _decide(case_id, reviewer=reviewer, edited_text=text, label=label, as_json=as_json)


def _edit_in_editor(case_id: int) -> str:
    _, db = workspace()
    with db.session() as session:
        draft = case_detail(session, get_case(session, case_id))["draft"]
    edited = click.edit(draft["text"] if isinstance(draft, dict) else "")
    if edited is None:
        raise InputError("edit cancelled: the reply was not saved")
    return edited


def _decide(
    case_id: int, *, reviewer: str, edited_text: str | None, label: str | None, as_json: bool
) -> None:
    _, db = workspace()
    with db.session() as session:
        entry = approve_case(
            session, case_id=case_id, reviewer=reviewer, edited_text=edited_text, label=label
        )
        result = {
            "case": case_id,
            "status": CaseStatus.APPROVED.value,
            "outbox_message_id": entry.message_id,
            "to": entry.to_address,
            "category": get_case(session, case_id).category,
        }
    if as_json:
        emit_json(result)
        return
    typer.echo(
        f"Case {case_id} approved; reply to {entry.to_address} queued "
        "(the worker sends it, or run `supportflow send`)."
    )


@review_app.command("reject")
def reject(
    case_id: int,
    reason: Annotated[str, typer.Option("--reason", help="why the draft is rejected")],
    reviewer: ReviewerOpt = "cli",
    label: LabelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject the draft with a reason; no reply is sent."""
    _, db = workspace()
    with db.session() as session:
        reject_case(session, case_id=case_id, reviewer=reviewer, reason=reason, label=label)
    if as_json:
        emit_json({"case": case_id, "status": CaseStatus.REJECTED.value, "reason": reason})
        return
    typer.echo(f"Case {case_id} rejected.")


@review_app.command("label")
def label(
    case_id: int,
    category: Annotated[str, typer.Argument(help="the case's right category")],
    reviewer: ReviewerOpt = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Set a case's category (any status): a correction the classifier trains on and the
    similar-case cache reuses for the next similar message."""
    _, db = workspace()
    with db.session() as session:
        row = label_case(session, case_id=case_id, label=category, reviewer=reviewer)
        result = {
            "case": case_id,
            "label": row.label,
            "predicted": row.predicted_label,
            "corrected": row.corrected,
        }
    if as_json:
        emit_json(result)
        return
    change = f" (triage said {result['predicted']})" if result["corrected"] else ""
    typer.echo(f"Case {case_id} labelled {category}{change}.")
