"""Knowledge-base management: versions, sync, removal, and per-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportflow.errors import NotFoundError
from supportflow.knowledge.index import list_documents
from supportflow.knowledge.library import add_files, current_version, remove_document, sync_folder
from supportflow.store.models import KbVersion, Tenant


@pytest.fixture
def tenant_id(db) -> int:
    with db.session() as session:
        tenant = Tenant(slug="acme", name="Acme", support_address="h@acme.example", config_dir="/x")
        session.add(tenant)
        session.flush()
        return tenant.id


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sources(db, tenant_id: int) -> list[str]:
    with db.session() as session:
        return [Path(d.source).name for d in list_documents(session, tenant_id=tenant_id)]


def test_each_change_is_a_version_and_no_change_is_none(db, tenant_id, tmp_path) -> None:
    doc = write(tmp_path / "kb", "returns.md", "# Returns\n\nReturns take 30 days.\n")
    first = add_files(db, tenant_id=tenant_id, paths=[doc])
    again = add_files(db, tenant_id=tenant_id, paths=[doc])
    assert [c.status for c in first.changes] == ["added"]
    assert [c.status for c in again.changes] == ["unchanged"] and again.version is None
    doc.write_text("# Returns\n\nReturns take 60 days now.\n", encoding="utf-8")
    changed = add_files(db, tenant_id=tenant_id, paths=[doc])
    assert [c.status for c in changed.changes] == ["updated"]
    assert changed.version is not None and first.version is not None
    assert changed.version > first.version
    with db.session() as session:
        assert current_version(session, tenant_id) == changed.version


def test_a_broken_file_is_named_and_the_rest_are_added(db, tenant_id, tmp_path) -> None:
    write(tmp_path / "kb", "good.md", "# Good\n\nWarranty lasts two years.\n")
    broken = tmp_path / "kb" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a pdf")
    report = add_files(db, tenant_id=tenant_id, paths=[tmp_path / "kb"])
    statuses = {Path(c.file).name: c.status for c in report.changes}
    assert statuses == {"broken.pdf": "error", "good.md": "added"}
    assert "broken.pdf" in next(c.error for c in report.changes if c.status == "error")
    assert sources(db, tenant_id) == ["good.md"]


def test_sync_adds_updates_and_removes_what_vanished(db, tenant_id, tmp_path) -> None:
    folder = tmp_path / "kb"
    write(folder, "a.md", "# A\n\nAlpha text.\n")
    gone = write(folder, "b.md", "# B\n\nBeta text.\n")
    sync_folder(db, tenant_id=tenant_id, folder=folder)
    gone.unlink()
    write(folder, "c.txt", "Gamma text.\n")
    report = sync_folder(db, tenant_id=tenant_id, folder=folder)
    statuses = {Path(c.file).name: c.status for c in report.changes}
    assert statuses == {"a.md": "unchanged", "c.txt": "added", "b.md": "removed"}
    assert sorted(sources(db, tenant_id)) == ["a.md", "c.txt"]


def test_remove_document_and_missing_one(db, tenant_id, tmp_path) -> None:
    doc = write(tmp_path / "kb", "a.md", "# A\n\nAlpha.\n")
    added = add_files(db, tenant_id=tenant_id, paths=[doc])
    document_id = added.changes[0].document_id
    assert document_id is not None
    removed = remove_document(db, tenant_id=tenant_id, document_id=document_id)
    assert [c.status for c in removed.changes] == ["removed"]
    assert sources(db, tenant_id) == []
    with pytest.raises(NotFoundError):
        remove_document(db, tenant_id=tenant_id, document_id=document_id)
    with db.session() as session:
        assert session.scalar(select(func.count(KbVersion.id))) == 2
