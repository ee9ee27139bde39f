"""Fixtures for IMAP polling and the Sent-folder check: a private Dovecot per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mail.imap_server import DovecotServer, imap_server

__all__ = ["PASSWORD_ENV", "demo_mailbox", "imap_server"]

PASSWORD_ENV = "IMAP_TEST_PASSWORD"


@pytest.fixture
def demo_mailbox(
    demo_home: Path, imap_server: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> DovecotServer:
    """The demo tenant reading INBOX and filing replies in Sent on the test Dovecot."""
    monkeypatch.setenv(PASSWORD_ENV, imap_server.password)
    client = imap_server.client()
    assert client.create("Sent")[0] == "OK"
    client.logout()
    with (demo_home / "tenants" / "brightwave" / "tenant.yaml").open("a") as config:
        config.write(
            "mailboxes:\n"
            "  - name: support\n"
            f"    host: {imap_server.host}\n"
            f"    port: {imap_server.port}\n"
            "    security: none\n"
            f"    username: {imap_server.username}\n"
            f"    password_env: {PASSWORD_ENV}\n"
            "    sent_folder: Sent\n"
        )
    return imap_server
