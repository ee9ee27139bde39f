"""The spine end to end: the demo inbox in, two reviewed replies out over real SMTP."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.demo.inbox import write_demo_inbox

runner = CliRunner()


def cli_json(*args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_inbox_to_two_threaded_replies(demo_home: Path, smtp_server, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_demo_inbox(inbox)
    ingested = cli_json("ingest", str(inbox))
    assert ingested["counts"]["created"] >= 40
    processed = cli_json("process")
    assert processed["processed"] == ingested["counts"]["created"]

    waiting = cli_json("review", "list")
    assert len(waiting) >= 20
    assert all(case["status"] == "awaiting_review" and case["draft"] for case in waiting)
    first, second = waiting[0], waiting[1]

    approved = cli_json("review", "approve", str(first["id"]), "--reviewer", "ana")
    edited_text = (
        "Hello,\n\nThank you for waiting. A colleague will call you today.\n\nBrightwave Support\n"
    )
    edited = cli_json(
        "review", "edit", str(second["id"]), "--text", edited_text, "--reviewer", "ben"
    )
    sent = cli_json("send")
    assert sent["outcomes"] == {"sent": 2}

    received = {}
    for _mail_from, rcpt_tos, raw in smtp_server.messages:
        message = email.message_from_bytes(raw, policy=policy.default)
        received[message["Message-ID"]] = (rcpt_tos, message)
    assert set(received) == {approved["outbox_message_id"], edited["outbox_message_id"]}

    for case, decision in ((first, approved), (second, edited)):
        rcpt_tos, message = received[decision["outbox_message_id"]]
        assert rcpt_tos == [case["customer"]]
        assert message["In-Reply-To"] == case["message_id"]
        assert message["References"].split()[-1] == case["message_id"]
        assert message["Subject"].lower().startswith("re:")
        body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        if case is second:
            assert "A colleague will call you today." in body
        else:
            assert body.strip() == case["draft"]["text"].strip()

    detail = cli_json("review", "show", str(second["id"]))
    transitions = [(a["from"], a["to"]) for a in detail["audit"] if a["action"] == "status"]
    assert transitions == [
        (None, "received"),
        ("received", "processing"),
        ("processing", "awaiting_review"),
        ("awaiting_review", "approved"),
        ("approved", "sent"),
    ]
    assert detail["decisions"][0]["decision"] == "edit"
    assert (
        "+Thank you for waiting. A colleague will call you today."
        in detail["decisions"][0]["edit_diff"]
    )
    assert detail["outbox"]["status"] == "sent"
