"""`supportflow kb add|list|search`: the tenant's knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportflow.cases.views import passage_view
from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.errors import DocumentLoadError
from supportflow.knowledge.index import add_document, list_documents, search
from supportflow.tenants import resolve_tenant

kb_app = typer.Typer(help="Manage the knowledge base.", no_args_is_help=True)


@kb_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="documents (pdf, md, html, txt) or folders")],
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="category tag (repeatable)")
    ] = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or update documents; unchanged ones cost nothing, broken ones are reported."""
    _, db = workspace()
    results: list[dict[str, object]] = []
    for path in _expand(paths):
        with db.session() as session:
            owner = resolve_tenant(session, tenant)
            try:
                added = add_document(session, tenant_id=owner.id, path=path, tags=tag or ())
                results.append(
                    {
                        "file": str(path),
                        "status": added.status,
                        "document_id": added.document_id,
                        "chunks": added.chunk_count,
                    }
                )
            except DocumentLoadError as exc:
                results.append({"file": str(path), "status": "error", "error": str(exc)})
    if as_json:
        emit_json(results)
    for row in [] if as_json else results:
        typer.echo(f"{row['status']:>9}  {row['file']}  {row.get('error') or ''}".rstrip())
    if any(r["status"] == "error" for r in results):
        raise typer.Exit(1)


def _expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return files


@kb_app.command("list")
def list_(tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """List the documents in the knowledge base."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        rows = [
            {
                "id": d.id,
                "title": d.title,
                "source": d.source,
                "kind": d.kind,
                "tags": d.tags,
                "pages": d.page_count,
                "chunks": d.chunk_count,
            }
            for d in list_documents(session, tenant_id=owner.id)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']:>4}  {row['kind']:<8} {row['chunks']:>3} chunks  {row['title']}")


@kb_app.command("search")
def search_(
    query: Annotated[str, typer.Argument(help="what to look for")],
    limit: Annotated[int, typer.Option(help="how many passages")] = 5,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the knowledge base as the research step does."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        passages = search(session, tenant_id=owner.id, query=query, limit=limit)
    rows = [passage_view(p) for p in passages]
    if as_json:
        emit_json(rows)
        return
    for n, row in enumerate(rows, start=1):
        page = f" p.{row['page_start']}" if row["page_start"] else ""
        typer.echo(f"[{n}] {row['title']}{page} ({row['score']:.2f})")
        typer.echo(f"    {str(row['text'])[:200]}")
