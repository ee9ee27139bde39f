"""The knowledge base as a reviewer's source of truth: every change is a version.

`add_files`, `remove_document` and `sync_folder` wrap the index's document operations: each
file is its own transaction (one broken PDF never stops the batch, and its error names the
file), and every call that changed anything records one `KbVersion`. Research stamps the
case with the version it searched, so a reviewer can see exactly which base a draft used.
A call that removed or replaced documents then prunes, in a transaction of its own, the cached
vectors that no chunk uses any more (see `embedding_cache`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.errors import DocumentLoadError, NotFoundError
from supportflow.knowledge.embedding_cache import prune_embedding_cache
from supportflow.knowledge.embeddings import Embedder
from supportflow.knowledge.index import add_document, delete_document
from supportflow.knowledge.loaders import SUPPORTED_EXTENSIONS
from supportflow.store.db import Database
from supportflow.store.models import KbDocument, KbVersion

ChangeStatus = Literal["added", "updated", "unchanged", "removed", "error"]


@dataclass(frozen=True)
class LibraryChange:
    file: str
    status: ChangeStatus
    document_id: int | None = None
    chunks: int = 0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "document_id": self.document_id,
            "chunks": self.chunks,
            "error": self.error,
        }


@dataclass(frozen=True)
class LibraryReport:
    changes: list[LibraryChange]
    version: int | None  # the version this call created, None when nothing changed

    @property
    def has_errors(self) -> bool:
        return any(c.status == "error" for c in self.changes)


def supported_files(paths: Sequence[Path]) -> list[Path]:
    """Files to add: the given files, and the supported documents inside given folders."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS
                )
            )
        else:
            files.append(path)
    return files


@dataclass(frozen=True)
class DocumentSpec:
    """A file to add, with the title and category tags it should carry."""

    path: Path
    title: str | None = None
    tags: tuple[str, ...] = ()


def add_documents(
    db: Database,
    *,
    tenant_id: int,
    specs: Sequence[DocumentSpec],
    embedder: Embedder | None = None,
    actor: str = "cli",
) -> LibraryReport:
    """Add or update each document; one version for the whole call."""
    changes = [
        _add_one(db, tenant_id, spec.path.resolve(), spec.tags, spec.title, embedder)
        for spec in specs
    ]
    version = _record_version(db, tenant_id, changes, actor)
    _prune_cache_after(db, changes)
    return LibraryReport(changes, version)


def add_files(
    db: Database,
    *,
    tenant_id: int,
    paths: Sequence[Path],
    tags: Sequence[str] = (),
    embedder: Embedder | None = None,
    actor: str = "cli",
) -> LibraryReport:
    """Add or update documents (folders are searched for supported files)."""
    specs = [DocumentSpec(path, None, tuple(tags)) for path in supported_files(paths)]
    return add_documents(db, tenant_id=tenant_id, specs=specs, embedder=embedder, actor=actor)


def _add_one(
    db: Database,
    tenant_id: int,
    path: Path,
    tags: Sequence[str],
    title: str | None,
    embedder: Embedder | None,
) -> LibraryChange:
    try:
        with db.session() as session:
            result = add_document(
                session, tenant_id=tenant_id, path=path, title=title, tags=tags, embedder=embedder
            )
    except DocumentLoadError as exc:
        return LibraryChange(str(path), "error", error=str(exc))
    return LibraryChange(str(path), result.status, result.document_id, result.chunk_count)


def remove_document(
    db: Database, *, tenant_id: int, document_id: int, actor: str = "cli"
) -> LibraryReport:
    """Remove one document and its passages; NotFoundError if the tenant has no such one."""
    with db.session() as session:
        document = session.get(KbDocument, document_id)
        if document is None or document.tenant_id != tenant_id:
            raise NotFoundError(f"no knowledge-base document {document_id}")
        source = document.source
        delete_document(session, tenant_id=tenant_id, document_id=document_id)
    changes = [LibraryChange(source, "removed", document_id)]
    version = _record_version(db, tenant_id, changes, actor)
    _prune_cache_after(db, changes)
    return LibraryReport(changes, version)


def sync_folder(
    db: Database,
    *,
    tenant_id: int,
    folder: Path,
    tags: Sequence[str] = (),
    embedder: Embedder | None = None,
    actor: str = "cli",
) -> LibraryReport:
    """Make the base match `folder`: add new and changed files, remove vanished ones."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise NotFoundError(f"{folder}: not a folder")
    present = supported_files([folder])
    changes = [_add_one(db, tenant_id, path, tags, None, embedder) for path in present]
    kept = {str(path) for path in present}
    with db.session() as session:
        vanished = [
            (d.id, d.source)
            for d in session.scalars(
                select(KbDocument).where(
                    KbDocument.tenant_id == tenant_id, KbDocument.source.startswith(f"{folder}/")
                )
            )
            if d.source not in kept
        ]
        for document_id, _ in vanished:
            delete_document(session, tenant_id=tenant_id, document_id=document_id)
    changes += [LibraryChange(source, "removed", document_id) for document_id, source in vanished]
    version = _record_version(db, tenant_id, changes, actor)
    _prune_cache_after(db, changes)
    return LibraryReport(changes, version)


def _prune_cache_after(db: Database, changes: list[LibraryChange]) -> None:
    """Prune the embedding cache when documents were removed or replaced (an updated title
    changes every chunk's embedding input too); adding alone leaves nothing stale."""
    if any(c.status in ("updated", "removed") for c in changes):
        with db.session() as session:
            prune_embedding_cache(session)


def _record_version(
    db: Database, tenant_id: int, changes: list[LibraryChange], actor: str
) -> int | None:
    counts = Counter(c.status for c in changes)
    if not (counts["added"] or counts["updated"] or counts["removed"]):
        return None
    with db.session() as session:
        version = KbVersion(tenant_id=tenant_id, actor=actor, summary=dict(counts))
        session.add(version)
        session.flush()
        return version.id


def current_version(session: Session, tenant_id: int) -> int | None:
    """The tenant's newest knowledge-base version, None before the first document."""
    return session.scalar(select(func.max(KbVersion.id)).where(KbVersion.tenant_id == tenant_id))


def document_view(document: KbDocument) -> dict[str, Any]:
    """A knowledge-base document as the CLI and the API print it."""
    return {
        "id": document.id,
        "title": document.title,
        "source": document.source,
        "kind": document.kind,
        "tags": document.tags,
        "pages": document.page_count,
        "chunks": document.chunk_count,
    }
