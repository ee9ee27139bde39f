"""REST endpoints for the knowledge base: list, upload, remove and search documents.

Uploads are the file's bytes as the request body (`PUT /api/v1/kb/documents/{name}`), so no
multipart parser is needed; the file is kept in the tenant's folder and ingested like
`supportflow kb add`.

Every endpoint acts for the signed-in principal's tenant only: reading and searching need the
"read" permission, uploading and removing documents "admin".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from supportflow.cases.views import passage_view
from supportflow.config import Settings
from supportflow.errors import InputError
from supportflow.knowledge.capabilities import SearchMode, detect_capabilities
from supportflow.knowledge.index import list_documents, search
from supportflow.knowledge.library import add_files, document_view, remove_document
from supportflow.knowledge.uploads import checked_upload
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import tenant_folder
from supportflow.web.auth import Principal, api_user

Reader = Annotated[Principal, Depends(api_user("read"))]
Editor = Annotated[Principal, Depends(api_user("admin"))]


def knowledge_router(settings: Settings, db: Database) -> APIRouter:
    router = APIRouter(prefix="/api/v1/kb", tags=["knowledge base"])
    capabilities = detect_capabilities(db, settings.embedding_model)

    @router.get("/documents")
    def documents(principal: Reader) -> list[dict[str, Any]]:
        with db.session() as session:
            found = list_documents(session, tenant_id=principal.tenant_id)
            return [document_view(d) for d in found]

    @router.put("/documents/{name}")
    def upload(
        name: str,
        principal: Editor,
        content: Annotated[bytes, Body(media_type="application/octet-stream")],
        category: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        checked_upload(name, content)
        with db.session() as session:
            tenant = session.get_one(Tenant, principal.tenant_id)
        folder = tenant_folder(settings, tenant.slug) / "kb"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(content)
        report = add_files(
            db,
            tenant_id=tenant.id,
            paths=[path],
            tags=category or (),
            embedder=capabilities.embedder,
            actor=principal.email,
        )
        if report.has_errors:
            path.unlink(missing_ok=True)
            raise InputError(report.changes[0].error or f"{name}: could not be loaded")
        return {"version": report.version, "changes": [c.as_dict() for c in report.changes]}

    @router.delete("/documents/{document_id}")
    def remove(document_id: int, principal: Editor) -> dict[str, Any]:
        report = remove_document(
            db, tenant_id=principal.tenant_id, document_id=document_id, actor=principal.email
        )
        return {"version": report.version, "changes": [c.as_dict() for c in report.changes]}

    @router.get("/search")
    def search_kb(
        principal: Reader,
        q: Annotated[str, Query(min_length=1)],
        k: Annotated[int, Query(ge=1, le=50)] = 5,
        mode: Annotated[SearchMode | None, Query()] = None,
        category: Annotated[list[str] | None, Query()] = None,
    ) -> dict[str, Any]:
        chosen = mode or capabilities.best_mode
        with db.session() as session:
            passages = search(
                session,
                tenant_id=principal.tenant_id,
                query=q,
                limit=k,
                tags=category,
                mode=chosen,
                embedder=capabilities.embedder,
            )
        return {
            "mode": chosen,
            "note": capabilities.keyword_only_reason,
            "passages": [passage_view(p) for p in passages],
        }

    return router
