"""Opening the database: engine, sessions, SQLite pragmas and Alembic migrations.

SQLite runs in WAL mode so the web app, the embedded worker and CLI commands in other
processes can read while one of them writes; a generous busy timeout turns lock contention
into waiting rather than errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from supportflow.errors import ConfigurationError, UpstreamError


def _set_sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and their folder is created."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError and ValueError alike
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    location = resources.files("supportflow.store") / "migrations"
    config.set_main_option("script_location", str(location))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_db_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent)."""
        config = _alembic_config(self.engine)
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise UpstreamError(f"database migration failed: {exc}") from exc

    def is_current(self) -> bool:
        """Whether the schema is at the newest revision."""
        script = ScriptDirectory.from_config(_alembic_config(self.engine))
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        return current == script.get_current_head()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open (not migrate) the database at `url`."""
    return Database(url)
