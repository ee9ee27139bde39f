"""Shared fixtures: every test gets its own data folder and SQLite file.

Setting up the demo tenant (training its classifier, generating the PDF manuals, adding
the knowledge base) takes a few seconds, so it is done once per session into a template
folder and copied for each test that needs it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportflow.config import Settings
from supportflow.demo.setup import DemoSummary, add_demo_knowledge, demo_tenant_dir
from supportflow.knowledge.capabilities import detect_capabilities
from supportflow.pipeline.deps import PipelineDeps
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.workers.embedded import build_deps
from supportflow.workspace import init_tenant, open_workspace


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """SUPPORTFLOW_HOME in tmp_path and no inherited SUPPORTFLOW_* settings."""
    import os

    for name in list(os.environ):
        if name.startswith("SUPPORTFLOW_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("SUPPORTFLOW_HOME", str(home))
    monkeypatch.setenv("SUPPORTFLOW_STEP_RETRY_SECONDS", "0.01")
    return home


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo tenant and knowledge base, built once."""
    home = tmp_path_factory.mktemp("demo-template")
    settings = Settings(home=home)
    db = open_workspace(settings)
    tenant, _ = init_tenant(db, settings, demo_tenant_dir())
    summary = DemoSummary(home=home)
    embedder = detect_capabilities(db, settings.embedding_model).embedder
    add_demo_knowledge(db, tenant, home / "demo" / "kb", summary, embedder)
    assert not summary.document_errors, summary.document_errors
    db.dispose()
    return home


def copy_demo_home(template: Path, home: Path) -> Path:
    """Copy the demo data folder to `home` and point its tenant at the copied folder."""
    shutil.copytree(template, home)
    db = Database(Settings(home=home).resolved_database_url)
    with db.session() as session:
        for tenant in session.query(Tenant):
            tenant.config_dir = str(home.resolve() / "tenants" / tenant.slug)
    db.dispose()
    return home


@pytest.fixture
def demo_home(demo_template: Path, isolated_env: Path) -> Path:
    """This test's own copy of the demo data folder (SUPPORTFLOW_HOME points at it)."""
    return copy_demo_home(demo_template, isolated_env)


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return Settings()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = open_workspace(settings)
    yield database
    database.dispose()


@pytest.fixture
def deps(db: Database, settings: Settings) -> PipelineDeps:
    return build_deps(db, settings)


@pytest.fixture
def demo_db(demo_home: Path) -> Iterator[Database]:
    """The open database of this test's demo data folder."""
    database = open_workspace(Settings(home=demo_home))
    yield database
    database.dispose()


@pytest.fixture
def demo_deps(demo_db: Database, demo_home: Path) -> PipelineDeps:
    return build_deps(demo_db, Settings(home=demo_home))


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse = False  # answer 550 to every message
        self.defer = 0  # answer 451 (try again later) to this many messages first
        self.port = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.defer > 0:
            self.defer -= 1
            return "451 4.3.0 temporary failure, try again later"
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)  # type: ignore[attr-defined]
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingHandler]:
    """A real SMTP server (aiosmtpd) on a free loopback port; settings point at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RecordingHandler()
    handler.port = port
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SUPPORTFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUPPORTFLOW_SMTP_PORT", str(port))
    try:
        yield handler
    finally:
        controller.stop()
