"""Opening the database: engine, sessions, SQLite pragmas and Alembic migrations.

SQLite runs in WAL mode so the web app, the embedded worker and CLI commands in other
processes can read while one of them writes; a generous busy timeout turns lock contention
into waiting rather than errors.

Vector search needs the sqlite-vec extension loaded into every connection, and not every
Python's `sqlite3` can load extensions (Debian's and macOS's system builds cannot). So the
DBAPI module is chosen once per process: the standard `sqlite3` when it can load sqlite-vec,
else `pysqlite3` (pysqlite3-binary bundles a recent SQLite that can), else the standard module
without vectors: everything but vector search still works, and `Database.has_vectors` and
`vector_unavailable_reason` tell the user why it does not.
"""

from __future__ import annotations

import functools
import importlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
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

MMAP_BYTES = 1 << 30


@dataclass(frozen=True)
class SqliteDriver:
    """The DBAPI module SQLite connections are made with, and whether they get sqlite-vec."""

    module: ModuleType
    vector_extension: str | None  # sqlite-vec's loadable library; None: no vector search
    vector_unavailable_reason: str | None  # why not, when vector_extension is None


@functools.cache
def choose_sqlite_driver() -> SqliteDriver:
    """The first DBAPI module that loads sqlite-vec: stdlib `sqlite3`, then `pysqlite3`;
    stdlib `sqlite3` without vectors when neither can. Decided once per process."""
    try:
        sqlite_vec = importlib.import_module("sqlite_vec")
    except ImportError:
        return SqliteDriver(sqlite3, None, "the sqlite-vec package is not installed")
    extension: str = sqlite_vec.loadable_path()
    problems: list[str] = []
    for name in ("sqlite3", "pysqlite3.dbapi2"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            problems.append(f"{name} is not installed (pip install pysqlite3-binary)")
            continue
        problem = _vector_problem(module, extension)
        if problem is None:
            return SqliteDriver(module, extension, None)
        problems.append(f"{name}: {problem}")
    return SqliteDriver(sqlite3, None, "cannot load sqlite-vec: " + "; ".join(problems))


def _vector_problem(module: ModuleType, extension: str) -> str | None:
    """Why `module` cannot run sqlite-vec (None when it can), tried on an in-memory database."""
    connection = module.connect(":memory:")
    try:
        if not hasattr(connection, "enable_load_extension"):
            return "this build cannot load extensions"
        _load_extension(connection, extension)
        connection.execute("SELECT vec_version()").fetchone()
    except module.Error as exc:
        return str(exc)
    finally:
        connection.close()
    return None


def _load_extension(dbapi_connection: Any, extension: str) -> None:
    dbapi_connection.enable_load_extension(True)
    try:
        dbapi_connection.load_extension(extension)
    finally:
        # SQL must never be able to load a library of its choosing afterwards
        dbapi_connection.enable_load_extension(False)


def _connection_setup(driver: SqliteDriver) -> Any:
    """The "connect" listener: pragmas, and sqlite-vec when the driver can load it."""

    def set_up(dbapi_connection: Any, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # reads straight from the mapped file: a vector search at 100,000 chunks reads 150 MB,
        # a third faster than through the page cache (address space only, not memory)
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cursor.close()
        if driver.vector_extension is not None:
            _load_extension(dbapi_connection, driver.vector_extension)

    return set_up


def create_db_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL, sqlite-vec when possible (see
    `choose_sqlite_driver`), and their folder is created. ConfigurationError for a bad URL."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError and ValueError alike
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    driver = choose_sqlite_driver()
    engine = create_engine(
        url, module=driver.module, connect_args={"timeout": 30, "check_same_thread": False}
    )
    event.listen(engine, "connect", _connection_setup(driver))
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

    @property
    def has_vectors(self) -> bool:
        """Whether connections can store and search vectors (sqlite-vec is loaded)."""
        return self.vector_unavailable_reason is None

    @property
    def vector_unavailable_reason(self) -> str | None:
        """Why this database cannot search vectors; None when it can."""
        if not self.is_sqlite:
            return f"vector search needs SQLite with sqlite-vec, not {self.engine.dialect.name}"
        return choose_sqlite_driver().vector_unavailable_reason

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
