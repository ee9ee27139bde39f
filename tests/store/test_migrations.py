from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from supportflow.store.base import Base
from supportflow.store.db import Database
from supportflow.store.migrations.env_filters import include_name


def test_blank_database_migrates_to_the_models_schema(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'blank.db'}")
    db.migrate()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert db.is_current()
    db.dispose()


def test_migrating_twice_is_harmless(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'twice.db'}")
    db.migrate()
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"cases", "messages", "outbox", "audit_log", "kb_chunks_fts"} <= tables
    db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_audit_log_refuses_updates_and_deletes(tmp_path, statement: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    db.migrate()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (actor, action, detail, created_at) "
                "VALUES ('a', 'status', '{}', '2026-01-01 00:00:00')"
            )
        )
    with pytest.raises(IntegrityError, match="append-only"), db.engine.begin() as connection:
        connection.execute(text(statement))
    db.dispose()


def test_upgrading_a_previous_version_keeps_its_data(tmp_path) -> None:
    from alembic import command

    from supportflow.store.db import _alembic_config

    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = _alembic_config(db.engine)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO tenants (slug, name, support_address, config_dir, created_at) "
                "VALUES ('acme', 'Acme', 'help@acme.example', '/x', '2026-01-01 00:00:00')"
            )
        )
    db.migrate()
    assert db.is_current()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM tenants")).scalar() == "acme"
        assert "kb_version_id" in {c["name"] for c in inspect(connection).get_columns("cases")}
    db.dispose()
