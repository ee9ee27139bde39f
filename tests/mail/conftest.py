"""Fixtures for the mail layer: the shared email fixtures and a real local SMTP server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SHARED_EML = Path(__file__).resolve().parents[3] / "shared" / "data" / "eml_fixtures"


@pytest.fixture
def reply_fixtures() -> Path:
    """crisp-oss/email-reply-parser's reply bodies, when ../shared/data is present."""
    folder = SHARED_EML / "crisp-email-reply-parser"
    if not folder.is_dir():
        pytest.skip("shared email fixtures not present")
    return folder


@pytest.fixture
def cpython_fixtures() -> Path:
    """CPython's test_email messages, when ../shared/data is present."""
    folder = SHARED_EML / "cpython-test_email"
    if not folder.is_dir():
        pytest.skip("shared email fixtures not present")
    return folder


@dataclass
class CollectingHandler:
    """An aiosmtpd handler that keeps every envelope and refuses recipients named refuse*."""

    envelopes: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("busy"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    return free_port()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1, stopped when the test ends."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=controller.port, handler=handler)
    finally:
        controller.stop()
