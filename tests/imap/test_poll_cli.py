"""`supportflow poll` as users and scripts see it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from supportflow.cli import app
from tests.imap.test_polling import customer_email

runner = CliRunner()


def test_poll_once_prints_fetched_created_and_duplicates_per_mailbox(demo_mailbox) -> None:
    for n in range(2):
        demo_mailbox.append(customer_email(n))
    result = runner.invoke(app, ["poll", "--once", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "mailboxes": [
            {
                "tenant": "brightwave",
                "mailbox": "support",
                "folder": "INBOX",
                "fetched": 2,
                "created": 2,
                "duplicates": 0,
                "reconnects": 0,
                "error": None,
            }
        ]
    }
    again = runner.invoke(app, ["poll", "--once", "--tenant", "brightwave"])
    assert (again.exit_code, again.stdout) == (
        0,
        "brightwave/support INBOX: 0 fetched, 0 created, 0 duplicates\n",
    )


def test_poll_once_exits_non_zero_naming_a_mailbox_it_cannot_read(
    demo_mailbox, monkeypatch
) -> None:
    monkeypatch.setenv("IMAP_TEST_PASSWORD", "wrong")
    result = runner.invoke(app, ["poll", "--once"])
    assert result.exit_code == 1
    assert "error: brightwave/support INBOX:" in result.stderr
    assert "login refused for support" in result.stderr
    assert "wrong" not in result.output
