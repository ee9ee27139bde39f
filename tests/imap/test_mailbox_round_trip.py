"""The whole way through real servers: a customer's mail appended to Dovecot is polled,
processed, approved and sent through aiosmtpd, and what arrives is threaded to it; a second
poll fetches nothing new and nothing is sent twice."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from supportflow.workers.embedded import process_pending
from tests.cli.test_cli import run_json
from tests.pipeline.test_send import deps_for


def customer_mail() -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Keller <ana@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = "Where is my order BW-482913?"
    message["Message-ID"] = "<round-trip-1@example.com>"
    message["References"] = "<earlier@example.com>"
    message.set_content(
        "Hi,\n\nwhere is my order BW-482913? The tracking number PL4821937560 has said "
        '"Label created" since Wednesday.\n\nAna\n'
    )
    return message.as_bytes()


def test_polled_mail_is_answered_once_in_its_thread(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    demo_mailbox.append(customer_mail())
    [polled] = run_json("poll", "--once")["mailboxes"]
    assert (polled["fetched"], polled["created"]) == (1, 1)
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    process_pending(deps)
    [case] = run_json("review", "list")
    assert case["subject"] == "Where is my order BW-482913?"
    run_json("review", "approve", str(case["id"]))
    assert dict(process_pending(deps).outcomes) == {"sent": 1}

    [(sender, recipients, raw)] = smtp_server.messages
    reply = email.message_from_bytes(raw, policy=policy.default)
    assert recipients == ["ana@example.com"] and sender == "support@brightwave.example"
    assert reply["In-Reply-To"] == "<round-trip-1@example.com>"
    assert reply["References"].split() == ["<earlier@example.com>", "<round-trip-1@example.com>"]
    assert reply["Subject"] == "Re: Where is my order BW-482913?"
    assert reply["Message-ID"].endswith("@brightwave.example>")

    [again] = run_json("poll", "--once")["mailboxes"]
    assert (again["fetched"], again["created"]) == (0, 0)
    process_pending(deps)
    assert len(smtp_server.messages) == 1
