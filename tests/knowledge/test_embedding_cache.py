"""Pruning the embedding cache: vectors of removed or changed documents go, the rest stay."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.config import Settings
from supportflow.knowledge.embedding_cache import prune_embedding_cache
from supportflow.knowledge.library import (
    DocumentSpec,
    add_documents,
    add_files,
    remove_document,
    sync_folder,
)
from supportflow.knowledge.vector_index import embedding_input
from supportflow.store.db import Database, open_database
from supportflow.store.models import KbChunk, KbDocument, KbEmbedding, Tenant

ROUTER = """\
# Router guide

## Factory reset

Hold the reset button on the back for ten seconds to restore the factory settings.

## Lights

A blinking red light means the router has no internet connection.
"""

BILLING = """\
# Billing

Invoices are emailed on the first day of each month as PDF attachments.

## Refunds

Refunds reach your card within ten business days.
"""


@pytest.fixture
def tenants(kb_database: Database) -> tuple[int, int]:
    with kb_database.session() as session:
        rows = [Tenant(slug=slug, name=slug, support_address=f"help@{slug}.test",
                       config_dir=f"/tenants/{slug}") for slug in ("acme", "globex")]  # fmt: skip
        session.add_all(rows)
        session.flush()
        return rows[0].id, rows[1].id


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def input_hashes(db: Database, source: Path | None = None) -> set[str]:
    """What the chunks (of the document read from `source`, or all) look up in the cache."""
    query = select(KbDocument.title, KbChunk.section, KbChunk.text).join(KbDocument)
    if source is not None:
        query = query.where(KbDocument.source == str(source.resolve()))
    with db.session() as session:
        return {
            hashlib.sha256(embedding_input(*row).encode("utf-8")).hexdigest()
            for row in session.execute(query)
        }


def cached(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(KbEmbedding.content_hash)))


def test_removing_a_document_prunes_its_vectors_and_keeps_the_others(
    kb_database, tenants, tmp_path, counting
) -> None:
    acme, _ = tenants
    router, billing = write(tmp_path, "router.md", ROUTER), write(tmp_path, "billing.md", BILLING)
    added = add_files(kb_database, tenant_id=acme, paths=[router, billing], embedder=counting)
    router_inputs, billing_inputs = (
        input_hashes(kb_database, router),
        input_hashes(kb_database, billing),
    )
    assert cached(kb_database) == router_inputs | billing_inputs and len(billing_inputs) >= 2

    router_id = added.changes[0].document_id
    assert router_id is not None
    remove_document(kb_database, tenant_id=acme, document_id=router_id)

    assert cached(kb_database) == billing_inputs
    embedded = counting.documents_embedded
    again = add_files(kb_database, tenant_id=acme, paths=[billing], embedder=counting)
    billing_copy = write(tmp_path / "copy", "billing.md", BILLING)
    copy = add_files(kb_database, tenant_id=acme, paths=[billing_copy], embedder=counting)
    assert [c.status for c in again.changes + copy.changes] == ["unchanged", "added"]
    assert counting.documents_embedded == embedded  # the copy's chunks all came from the cache


def test_a_changed_document_leaves_no_old_vectors(kb_database, tenants, tmp_path, counting) -> None:
    acme, _ = tenants
    path = write(tmp_path, "router.md", ROUTER)
    add_files(kb_database, tenant_id=acme, paths=[path], embedder=counting)
    old_inputs = input_hashes(kb_database)

    path.write_text(ROUTER.replace("no internet connection", "lost its connection"))
    changed = add_files(kb_database, tenant_id=acme, paths=[path], embedder=counting)

    assert [c.status for c in changed.changes] == ["updated"]
    assert cached(kb_database) == input_hashes(kb_database)
    assert len(old_inputs - cached(kb_database)) == 1  # only the "Lights" chunk changed


def test_a_new_title_replaces_every_vector_of_the_document(
    kb_database, tenants, tmp_path, counting
) -> None:
    acme, _ = tenants
    path = write(tmp_path, "billing.md", BILLING)
    add_files(kb_database, tenant_id=acme, paths=[path], embedder=counting)
    old_inputs = input_hashes(kb_database)

    specs = [DocumentSpec(path, title="Payments and refunds")]
    retitled = add_documents(kb_database, tenant_id=acme, specs=specs, embedder=counting)

    assert [c.status for c in retitled.changes] == ["updated"]
    assert cached(kb_database) == input_hashes(kb_database)
    assert not old_inputs & cached(kb_database)


def test_sync_prunes_what_vanished_and_shared_text_stays(
    kb_database, tenants, tmp_path, counting
) -> None:
    acme, globex = tenants
    folder = tmp_path / "kb"
    gone = write(folder, "router.md", ROUTER)
    write(folder, "billing.md", BILLING)
    sync_folder(kb_database, tenant_id=acme, folder=folder, embedder=counting)
    router_copy = write(tmp_path / "globex", "router.md", ROUTER)
    add_files(kb_database, tenant_id=globex, paths=[router_copy], embedder=counting)
    all_inputs = input_hashes(kb_database)
    gone.unlink()
    write(folder, "note.txt", "Opening hours are nine to five.")

    report = sync_folder(kb_database, tenant_id=acme, folder=folder, embedder=counting)

    assert sorted(c.status for c in report.changes) == ["added", "removed", "unchanged"]
    # the router guide lives on in the other tenant, so all its vectors are still used
    assert (
        cached(kb_database)
        == input_hashes(kb_database)
        == all_inputs | input_hashes(kb_database, folder / "note.txt")
    )


def test_prune_covers_every_model_and_counts_what_it_deleted(
    kb_database, tenants, tmp_path, minilm
) -> None:
    acme, _ = tenants
    add_files(
        kb_database, tenant_id=acme, paths=[write(tmp_path, "a.md", BILLING)], embedder=minilm
    )
    current = sorted(input_hashes(kb_database))[0]
    with kb_database.session() as session:
        session.add_all(
            KbEmbedding(model=model, content_hash=content_hash, dimensions=2, vector=b"\0" * 8)
            for model, content_hash in [
                ("other", current),
                ("other", "f" * 64),
                (minilm.name, "e" * 64),
            ]
        )

    with kb_database.session() as session:
        assert prune_embedding_cache(session) == 2
    with kb_database.session() as session:
        assert prune_embedding_cache(session) == 0
        models = set(session.execute(select(KbEmbedding.model, KbEmbedding.content_hash)))
    assert ("other", current) in models and ("other", "f" * 64) not in models


def test_kb_prune_command_says_how_many_vectors_it_removed(demo_home) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["kb", "prune", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"removed": 0}  # the demo base has nothing stale
    db = open_database(Settings(home=demo_home).resolved_database_url)
    with db.session() as session:
        session.add_all(
            KbEmbedding(model="minilm", content_hash=digit * 64, dimensions=2, vector=b"\0" * 8)
            for digit in "ab"
        )
    db.dispose()

    result = runner.invoke(app, ["kb", "prune"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "Removed 2 cached vectors\n"
