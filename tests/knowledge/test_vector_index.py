"""The sqlite-vec index: kept in step with the chunks, cached by content, split by tenant."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from supportflow.errors import ConfigurationError
from supportflow.knowledge.index import add_document, delete_document, search
from supportflow.knowledge.vector_index import VECTOR_TABLE, VectorIndex, chunks_missing_vectors
from supportflow.store.db import choose_sqlite_driver
from supportflow.store.models import KbChunk, KbEmbedding

ACME, GLOBEX = 1, 2

ROUTER = """\
# Router guide

## Factory reset

Hold the reset button on the back for ten seconds to restore the factory settings. The
lights go out, the router restarts, and after about two minutes it is back to the state it
left the factory in: your Wi-Fi name, password and port forwarding rules are gone, so write
them down first. Use a paper clip if the button is hard to reach.

## Lights

A blinking red light means the router has no internet connection. Check that the yellow
cable sits firmly in the internet port, then restart the router. A steady green light means
everything works; a blinking green light means a firmware update is being installed, which
can take up to ten minutes: do not unplug the router while it blinks green.
"""

BILLING = """\
# Billing

Invoices are emailed on the first day of each month as PDF attachments.
"""


def kb_file(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


def vector_rowids(session) -> set[int]:
    return set(session.scalars(text(f"SELECT rowid FROM {VECTOR_TABLE}")))


def chunk_ids(session) -> set[int]:
    return set(session.scalars(select(KbChunk.id)))


def test_this_machine_chooses_a_driver_that_loads_sqlite_vec(kb_database) -> None:
    driver = choose_sqlite_driver()
    assert driver.vector_extension is not None and driver.vector_unavailable_reason is None
    assert kb_database.has_vectors and kb_database.vector_unavailable_reason is None
    with kb_database.engine.connect() as connection:
        assert connection.execute(text("SELECT vec_version()")).scalar() == "v0.1.9"
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_vectors_follow_their_chunks_through_add_change_and_delete(
    session, tmp_path, counting
) -> None:
    path = kb_file(tmp_path, "router.md", ROUTER)
    added = add_document(session, tenant_id=ACME, path=path, embedder=counting)
    assert added.chunk_count >= 2
    assert vector_rowids(session) == chunk_ids(session)

    path.write_text(ROUTER + "\n## Firmware\n\nUpdates install themselves at night.\n")
    changed = add_document(session, tenant_id=ACME, path=path, embedder=counting)
    assert changed.status == "updated"
    assert vector_rowids(session) == chunk_ids(session)

    delete_document(session, tenant_id=ACME, document_id=changed.document_id)
    assert vector_rowids(session) == set()


def test_an_unchanged_document_is_not_embedded_again(session, tmp_path, counting) -> None:
    path = kb_file(tmp_path, "router.md", ROUTER)
    add_document(session, tenant_id=ACME, path=path, embedder=counting)
    first = counting.documents_embedded
    again = add_document(session, tenant_id=ACME, path=path, embedder=counting)
    assert again.status == "unchanged" and counting.documents_embedded == first


def test_a_changed_document_embeds_only_its_new_chunks(session, tmp_path, counting) -> None:
    path = kb_file(tmp_path, "router.md", ROUTER)
    add_document(session, tenant_id=ACME, path=path, embedder=counting)
    before = counting.documents_embedded
    path.write_text(ROUTER.replace("no internet connection", "lost its internet connection"))
    add_document(session, tenant_id=ACME, path=path, embedder=counting)
    assert counting.documents_embedded == before + 1  # only the "Lights" chunk changed
    assert before >= 2
    assert session.scalar(select(func.count()).select_from(KbEmbedding)) == before + 1


def test_the_cache_serves_the_same_text_in_another_document(session, tmp_path, counting) -> None:
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "a.md", BILLING),
                 embedder=counting)  # fmt: skip
    before = counting.documents_embedded
    other = tmp_path / "copy"
    other.mkdir()
    add_document(session, tenant_id=GLOBEX, path=kb_file(other, "a.md", BILLING),
                 embedder=counting)  # fmt: skip
    assert counting.documents_embedded == before
    assert vector_rowids(session) == chunk_ids(session)


def test_documents_added_without_a_model_get_vectors_when_added_with_one(
    session, tmp_path, counting
) -> None:
    path = kb_file(tmp_path, "router.md", ROUTER)
    add_document(session, tenant_id=ACME, path=path)
    assert not search(session, tenant_id=ACME, query="factory reset", mode="vector",
                      embedder=counting)  # fmt: skip
    again = add_document(session, tenant_id=ACME, path=path, embedder=counting)
    assert again.status == "unchanged"
    assert vector_rowids(session) == chunk_ids(session)


def test_a_vector_that_no_longer_matches_its_chunk_is_ignored_and_replaced(
    session, tmp_path, minilm
) -> None:
    # as after a process without sqlite-vec replaced the chunk and its id was reused
    path = kb_file(tmp_path, "billing.md", BILLING)
    added = add_document(session, tenant_id=ACME, path=path, embedder=minilm)
    session.execute(text("UPDATE kb_chunks SET content_hash = 'other'"))
    assert search(session, tenant_id=ACME, query="invoice", mode="vector", embedder=minilm) == []
    assert chunks_missing_vectors(session, minilm, added.document_id) == list(chunk_ids(session))
    add_document(session, tenant_id=ACME, path=path, embedder=minilm)
    assert search(session, tenant_id=ACME, query="invoice", mode="vector", embedder=minilm)


def test_vector_search_is_confined_to_the_tenant(session, tmp_path, minilm) -> None:
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "billing.md", BILLING),
                 embedder=minilm)  # fmt: skip
    add_document(session, tenant_id=GLOBEX, path=kb_file(tmp_path, "router.md", ROUTER),
                 embedder=minilm)  # fmt: skip
    query = "how do I wipe my modem back to how it came out of the box"
    acme = search(session, tenant_id=ACME, query=query, mode="vector", embedder=minilm)
    globex = search(session, tenant_id=GLOBEX, query=query, mode="vector", embedder=minilm)
    assert {Path(p.source).name for p in acme} == {"billing.md"}
    assert Path(globex[0].source).name == "router.md" and globex[0].section is not None
    assert 0.0 <= globex[-1].score <= globex[0].score <= 1.0
    assert globex[0].vector_score == globex[0].score and globex[0].bm25 is None


def test_the_category_filter_ranks_only_tagged_documents(session, tmp_path, minilm) -> None:
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "router.md", ROUTER),
                 tags=["devices"], embedder=minilm)  # fmt: skip
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "billing.md", BILLING),
                 tags=["billing"], embedder=minilm)  # fmt: skip
    found = search(session, tenant_id=ACME, query="reset the router", tags=["Billing"],
                   mode="vector", embedder=minilm)  # fmt: skip
    assert [Path(p.source).name for p in found] == ["billing.md"]


def test_vectors_of_another_model_are_never_compared(session, tmp_path, minilm, counting) -> None:
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "router.md", ROUTER),
                 embedder=minilm)  # fmt: skip
    other = type(counting)(minilm, name="another-model")
    assert search(session, tenant_id=ACME, query="reset", mode="vector", embedder=other) == []


def test_vector_search_without_a_model_is_a_configuration_error(session, tmp_path) -> None:
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "router.md", ROUTER))
    with pytest.raises(ConfigurationError, match="vector search needs an embedding model"):
        search(session, tenant_id=ACME, query="reset", mode="vector")
    with pytest.raises(ConfigurationError, match="needs an embedding model"):
        VectorIndex(None).search(session, tenant_id=ACME, query="reset", limit=3, tags=[])


def test_without_sqlite_vec_everything_but_vectors_works_and_says_why(tmp_path) -> None:
    # a fresh interpreter where neither sqlite-vec's driver can be had: stdlib sqlite3 only
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["pysqlite3"] = sys.modules["pysqlite3.dbapi2"] = None
        from pathlib import Path
        from supportflow.errors import ConfigurationError
        from supportflow.knowledge.index import add_document, search
        from supportflow.store.db import open_database
        from supportflow.store.models import Tenant

        db = open_database("sqlite:///{tmp_path}/plain.db")
        db.migrate()
        print(db.has_vectors, db.vector_unavailable_reason)
        doc = Path("{tmp_path}/router.md")
        doc.write_text("# Router\\n\\nHold the reset button for ten seconds.\\n")
        with db.session() as session:
            session.add(Tenant(slug="a", name="A", support_address="a@a.test", config_dir="/a"))
            session.flush()
            add_document(session, tenant_id=1, path=doc, embedder=object())
            print(search(session, tenant_id=1, query="reset button")[0].title)
            try:
                search(session, tenant_id=1, query="reset", mode="hybrid", embedder=object())
            except ConfigurationError as exc:
                print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    flag, title, error = done.stdout.splitlines()
    assert flag.startswith("False cannot load sqlite-vec: sqlite3: ")
    assert "pysqlite3.dbapi2 is not installed (pip install pysqlite3-binary)" in flag
    assert title == "Router"
    assert error.startswith("hybrid search is not available: cannot load sqlite-vec")


def test_the_vector_tables_stay_out_of_schema_comparisons(kb_database, tmp_path, minilm) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from supportflow.store.base import Base
    from supportflow.store.migrations.env_filters import include_name
    from supportflow.store.models import Tenant

    with kb_database.session() as session:
        session.add(Tenant(slug="a", name="A", support_address="a@a.test", config_dir="/a"))
        session.flush()
        add_document(session, tenant_id=1, path=kb_file(tmp_path, "b.md", BILLING), embedder=minilm)
    with kb_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []
