"""The knowledge-base page ("/kb"): the tenant's documents and their state, an upload form,
and a search box that shows what research would find, with scores and the search mode.

An upload is kept in the tenant's kb/ folder and ingested like `supportflow kb add`; a file
that cannot be loaded is removed again and its error shown, so the folder and the index never
disagree.
"""

from __future__ import annotations

from pathlib import Path
from threading import Lock
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.views import passage_view
from supportflow.config import Settings
from supportflow.errors import InputError
from supportflow.knowledge.capabilities import SearchCapabilities, detect_capabilities
from supportflow.knowledge.index import list_documents, search
from supportflow.knowledge.library import LibraryReport, add_files, document_view
from supportflow.knowledge.loaders import SUPPORTED_EXTENSIONS
from supportflow.knowledge.passages import SearchMode
from supportflow.knowledge.uploads import MAX_UPLOAD_BYTES, checked_upload
from supportflow.store.db import Database
from supportflow.store.models import KbDocument, KbVersion, Tenant
from supportflow.tenants import tenant_folder
from supportflow.web.auth import Principal
from supportflow.web.console.deps import CsrfChecked, Reader, Reviewer
from supportflow.web.console.rendering import back_to, notify, render, tenant_config
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/kb")
_capabilities_lock = Lock()


def search_capabilities(request: Request) -> SearchCapabilities:
    """The app's search capabilities, detected (the embedding model loaded) on first use."""
    state = request.app.state
    with _capabilities_lock:
        found: SearchCapabilities | None = getattr(state, "console_search", None)
        if found is None:
            settings: Settings = state.settings
            found = detect_capabilities(state.db, settings.embedding_model)
            state.console_search = found
    return found


@router.get("", response_class=HTMLResponse)
def kb_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: Annotated[str, Query()] = "",
    mode: Annotated[SearchMode | None, Query()] = None,
    category: Annotated[str, Query()] = "",
) -> HTMLResponse:
    tenant_id = principal.tenant_id
    config = tenant_config(session, tenant_id)
    results = _search(request, session, tenant_id, q, mode, category) if q.strip() else None
    return render(
        request,
        principal,
        "kb.html",
        {
            "documents": [_document(d) for d in list_documents(session, tenant_id=tenant_id)],
            "versions": _recent_versions(session, tenant_id),
            "categories": [c.name for c in config.categories],
            "extensions": sorted(SUPPORTED_EXTENSIONS),
            "q": q,
            "mode": mode,
            "category": category,
            "results": results,
        },
    )


def _document(document: KbDocument) -> dict[str, Any]:
    view = document_view(document)
    view["name"] = Path(document.source).name
    view["updated_at"] = document.updated_at.isoformat(timespec="minutes")
    # Every stored document loaded; one without passages has nothing research can cite.
    view["status"] = "indexed" if document.chunk_count else "no passages"
    return view


def _recent_versions(session: Session, tenant_id: int) -> list[KbVersion]:
    return list(
        session.scalars(
            select(KbVersion)
            .where(KbVersion.tenant_id == tenant_id)
            .order_by(KbVersion.id.desc())
            .limit(5)
        )
    )


def _search(
    request: Request,
    session: Session,
    tenant_id: int,
    query: str,
    mode: SearchMode | None,
    category: str,
) -> dict[str, Any]:
    capabilities = search_capabilities(request)
    chosen = mode or capabilities.best_mode
    if chosen != "keyword" and capabilities.embedder is None:
        chosen = "keyword"
    tags = None
    if category:
        known = tenant_config(session, tenant_id).category(category)
        tags = list(known.kb_tags) if known is not None else None
    passages = search(
        session,
        tenant_id=tenant_id,
        query=query,
        limit=10,
        tags=tags,
        mode=chosen,
        embedder=capabilities.embedder,
    )
    return {
        "mode": chosen,
        "note": capabilities.keyword_only_reason,
        "passages": [passage_view(p) for p in passages],
    }


@router.post("/upload")
def upload(
    request: Request,
    principal: Reviewer,
    _: CsrfChecked,
    file: Annotated[UploadFile, File()],
    tags: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Keep the uploaded document in the tenant's kb/ folder and ingest it with `tags`
    (comma-separated; a category's `kb_tags` make research prefer the document)."""
    # Plain def: FastAPI runs it in a thread, so loading and embedding never block the loop.
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    wanted = [t.strip() for t in tags.split(",") if t.strip()]
    try:
        report = _ingest(request, principal, file.filename or "", content, wanted)
    except InputError as exc:
        notify(request, str(exc), "error")
        return back_to("/kb")
    for change in report.changes:
        if change.error:
            notify(request, change.error, "error")
        else:
            name = Path(change.file).name
            notify(request, f"{name}: {change.status}, {change.chunks} passage(s).")
    return back_to("/kb")


def _ingest(
    request: Request, principal: Principal, name: str, content: bytes, tags: list[str]
) -> LibraryReport:
    checked_upload(name, content)
    db: Database = request.app.state.db
    with db.session() as session:
        slug = session.get_one(Tenant, principal.tenant_id).slug
    folder = tenant_folder(request.app.state.settings, slug) / "kb"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    report = add_files(
        db,
        tenant_id=principal.tenant_id,
        paths=[path],
        tags=tags,
        embedder=search_capabilities(request).embedder,
        actor=principal.email,
    )
    if report.has_errors:
        path.unlink(missing_ok=True)
    return report
