from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from supportflow.errors import InputError, SendError
from supportflow.mail.smtp import (
    SmtpConfig,
    SmtpTransport,
    build_reply,
    new_message_id,
    reply_references,
    reply_subject,
)


def reply(**overrides: object):
    fields: dict[str, object] = {
        "from_address": "help@shop.example",
        "from_name": "ACME Support",
        "to_address": "jane@example.com",
        "subject": "RE: Re: Broken mug",
        "body_text": "Hi Jane,\n\nA new mug is on its way <tomorrow> & free.\nBest,\nACME",
        "message_id": "<reply-1@shop.example>",
        "in_reply_to": "<parent@example.com>",
        "references": ["<root@example.com>", "<parent@example.com>"],
        "date": datetime(2024, 1, 2, 9, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return build_reply(**fields)


def config(server_port: int, **overrides: object) -> SmtpConfig:
    fields: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server_port,
        "security": "none",
        "username": None,
        "password": None,
        "timeout": 5.0,
    }
    fields.update(overrides)
    return SmtpConfig(**fields)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Broken mug", "Re: Broken mug"),
        ("Re: Broken mug", "Re: Broken mug"),
        ("RE: re:  Broken mug", "Re: Broken mug"),
        ("Aw: AW: Kaputte Tasse", "Re: Kaputte Tasse"),
        ("Re[2]: Broken mug", "Re: Broken mug"),
        ("Fwd: Broken mug", "Re: Fwd: Broken mug"),
        ("Return policy", "Re: Return policy"),
        ("", "Re:"),
    ],
)
def test_reply_subject_has_a_single_re(subject: str, expected: str):
    assert reply_subject(subject) == expected


def test_references_append_the_parent_and_are_capped_keeping_the_root():
    assert reply_references(["<a@x>"], "<b@x>") == ["<a@x>", "<b@x>"]
    assert reply_references(["<a@x>", "<b@x>"], "<b@x>") == ["<a@x>", "<b@x>"]
    long = [f"<{i}@x>" for i in range(30)]
    capped = reply_references(long, "<parent@x>")
    assert len(capped) == 20
    assert capped[0] == "<0@x>" and capped[-1] == "<parent@x>" and capped[1] == "<12@x>"


def test_build_reply_headers_and_parts():
    message = reply()
    assert message["Subject"] == "Re: Broken mug"
    assert message["From"] == "ACME Support <help@shop.example>"
    assert message["To"] == "jane@example.com"
    assert message["Message-ID"] == "<reply-1@shop.example>"
    assert message["In-Reply-To"] == "<parent@example.com>"
    assert message["References"] == "<root@example.com> <parent@example.com>"
    assert message["Date"] == "Tue, 02 Jan 2024 09:30:00 +0000"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    assert (
        plain.get_content()
        == "Hi Jane,\n\nA new mug is on its way <tomorrow> & free.\nBest,\nACME\n"
    )
    html_text = html.get_content()
    assert "<p>Hi Jane,</p>" in html_text
    assert "A new mug is on its way &lt;tomorrow&gt; &amp; free.<br>" in html_text
    assert "src=" not in html_text and "http" not in html_text


def test_first_reply_without_parent_ids():
    message = reply(in_reply_to=None, references=[])
    assert message["In-Reply-To"] is None and message["References"] is None


@pytest.mark.parametrize(
    "overrides",
    [{"to_address": "not an address"}, {"message_id": "no-brackets"}, {"in_reply_to": "<a b>"}],
)
def test_unusable_addresses_and_ids_are_input_errors(overrides: dict[str, str]):
    with pytest.raises(InputError):
        reply(**overrides)


def test_header_injection_through_names_and_subjects_is_flattened():
    message = reply(from_name="Eve\r\nBcc: x@evil.example", subject="Hi\nBcc: x@evil.example")
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"]


def test_new_message_id_uses_the_domain_and_is_unique():
    first, second = new_message_id("shop.example"), new_message_id("shop.example")
    assert first != second
    assert first.startswith("<") and first.endswith("@shop.example>")
    with pytest.raises(InputError):
        new_message_id("bad domain")


def test_password_is_not_in_the_config_repr():
    assert "s3cret" not in repr(config(25, username="u", password="s3cret"))


def test_send_delivers_threaded_reply_with_both_parts(smtp_server):
    SmtpTransport(config(smtp_server.port)).send(reply())
    (envelope,) = smtp_server.handler.envelopes
    assert envelope.mail_from == "help@shop.example"
    assert envelope.rcpt_tos == ["jane@example.com"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Message-ID"] == "<reply-1@shop.example>"
    assert received["In-Reply-To"] == "<parent@example.com>"
    assert received["References"] == "<root@example.com> <parent@example.com>"
    assert received["Subject"] == "Re: Broken mug"
    plain = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert plain is not None and "A new mug is on its way <tomorrow> & free." in plain.get_content()
    assert html is not None and "&lt;tomorrow&gt; &amp; free." in html.get_content()


def test_refused_recipient_is_a_permanent_send_error(smtp_server):
    with pytest.raises(SendError, match="550") as caught:
        SmtpTransport(config(smtp_server.port)).send(reply(to_address="refuse@example.com"))
    assert caught.value.is_permanent
    assert smtp_server.handler.envelopes == []


def test_temporarily_refused_recipient_is_transient(smtp_server):
    with pytest.raises(SendError, match="451") as caught:
        SmtpTransport(config(smtp_server.port)).send(reply(to_address="busy@example.com"))
    assert not caught.value.is_permanent


def test_closed_port_is_a_transient_send_error(closed_port: int):
    with pytest.raises(SendError) as caught:
        SmtpTransport(config(closed_port)).send(reply())
    assert not caught.value.is_permanent


def test_login_failure_is_permanent_and_never_shows_the_password(smtp_server):
    transport = SmtpTransport(config(smtp_server.port, username="u", password="s3cret"))
    with pytest.raises(SendError) as caught:
        transport.send(reply())  # the test server offers no AUTH over plain text
    assert caught.value.is_permanent
    assert "s3cret" not in str(caught.value)


def test_starttls_not_offered_is_permanent(smtp_server):
    with pytest.raises(SendError) as caught:
        SmtpTransport(config(smtp_server.port, security="starttls")).send(reply())
    assert caught.value.is_permanent
