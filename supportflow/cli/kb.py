"""`supportflow kb add|list|remove|sync|search|prune`: the tenant's knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportflow.cases.views import passage_view
from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.knowledge.capabilities import SearchCapabilities, SearchMode, detect_capabilities
from supportflow.knowledge.embedding_cache import prune_embedding_cache
from supportflow.knowledge.index import list_documents, search
from supportflow.knowledge.library import (
    LibraryReport,
    add_files,
    document_view,
    remove_document,
    sync_folder,
)
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import resolve_tenant

kb_app = typer.Typer(help="Manage and search the knowledge base.", no_args_is_help=True)
CategoryOpt = Annotated[
    list[str] | None,
    typer.Option("--category", "--tag", help="category tag searched first for it (repeatable)"),
]


def _note(capabilities: SearchCapabilities) -> None:
    if capabilities.keyword_only_reason:
        typer.echo(f"Note: keyword search only ({capabilities.keyword_only_reason})", err=True)


def _report(report: LibraryReport, as_json: bool) -> None:
    if as_json:
        emit_json({"version": report.version, "changes": [c.as_dict() for c in report.changes]})
    else:
        for change in report.changes:
            typer.echo(f"{change.status:>9}  {change.file}  {change.error or ''}".rstrip())
        if report.version is not None:
            typer.echo(f"Knowledge base version {report.version}")
    if report.has_errors:
        raise typer.Exit(1)


def _open_for_writing(tenant: str | None) -> tuple[Database, SearchCapabilities, Tenant]:
    """The workspace, what search can do (said on stderr when keyword-only), the tenant."""
    settings, db = workspace()
    capabilities = detect_capabilities(db, settings.embedding_model)
    _note(capabilities)
    with db.session() as session:
        return db, capabilities, resolve_tenant(session, tenant)


@kb_app.command("add")
def add(
    paths: Annotated[
        list[Path], typer.Argument(help="documents (pdf, docx, md, html, txt) or folders")
    ],
    category: CategoryOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add or update documents; unchanged ones cost nothing, broken ones are named."""
    db, capabilities, owner = _open_for_writing(tenant)
    _report(
        add_files(
            db, tenant_id=owner.id, paths=paths, tags=category or (), embedder=capabilities.embedder
        ),
        as_json,
    )


@kb_app.command("sync")
def sync(
    folder: Annotated[Path, typer.Argument(help="the folder the knowledge base mirrors")],
    category: CategoryOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-ingest what changed in FOLDER and remove documents that disappeared from it."""
    db, capabilities, owner = _open_for_writing(tenant)
    _report(
        sync_folder(
            db,
            tenant_id=owner.id,
            folder=folder,
            tags=category or (),
            embedder=capabilities.embedder,
        ),
        as_json,
    )


@kb_app.command("remove")
def remove(
    document_id: Annotated[int, typer.Argument(help="the document's id (see `kb list`)")],
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a document and its passages."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
    _report(remove_document(db, tenant_id=owner.id, document_id=document_id), as_json)


@kb_app.command("prune")
def prune(as_json: JsonOpt = False) -> None:
    """Delete cached embeddings that no document uses any more (all tenants)."""
    _, db = workspace()
    with db.session() as session:
        removed = prune_embedding_cache(session)
    if as_json:
        emit_json({"removed": removed})
    else:
        typer.echo(f"Removed {removed} cached vector{'' if removed == 1 else 's'}")


@kb_app.command("list")
def list_(tenant: TenantOpt = None, as_json: JsonOpt = False) -> None:
    """List the documents in the knowledge base."""
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        rows = [document_view(d) for d in list_documents(session, tenant_id=owner.id)]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['id']:>4}  {row['kind']:<8} {row['chunks']:>3} chunks  {row['title']}")


@kb_app.command("search")
def search_(
    query: Annotated[str, typer.Argument(help="what to look for")],
    k: Annotated[int, typer.Option("--k", "--limit", min=1, help="how many passages")] = 5,
    mode: Annotated[
        SearchMode | None, typer.Option(help="keyword, vector or hybrid (default: the best)")
    ] = None,
    category: CategoryOpt = None,
    tenant: TenantOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the knowledge base as the research step does."""
    settings, db = workspace()
    capabilities = detect_capabilities(db, settings.embedding_model)
    chosen = mode or capabilities.best_mode
    if chosen != "keyword":
        _note(capabilities)
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        passages = search(
            session,
            tenant_id=owner.id,
            query=query,
            limit=k,
            tags=category,
            mode=chosen,
            embedder=capabilities.embedder,
        )
    rows = [passage_view(p) for p in passages]
    if as_json:
        emit_json(rows)
        return
    for n, row in enumerate(rows, start=1):
        page = f" p.{row['page_start']}" if row["page_start"] else ""
        typer.echo(f"[{n}] {row['title']}{page} ({row['score']:.2f})")
        typer.echo(f"    {str(row['text'])[:200]}")
