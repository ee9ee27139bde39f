"""The demo inbox: realistic customer mail plus the hostile and broken messages a pipeline meets."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from supportflow.config import load_tenant_config
from supportflow.demo.inbox import (
    LARGE_ATTACHMENT_FILE,
    SHIFT_JIS_FILE,
    build_large_attachment_message,
    build_shift_jis_message,
    write_demo_inbox,
)

TENANT = Path(__file__).parents[2] / "supportflow" / "demo" / "tenant"


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    paths = write_demo_inbox(tmp_path_factory.mktemp("inbox"))
    return {p.name: p for p in paths}


@pytest.fixture(scope="module")
def messages(inbox: dict[str, Path]) -> dict[str, EmailMessage]:
    return {name: _parse(path) for name, path in inbox.items()}


def _parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def test_writes_at_least_40_messages(inbox):
    assert len(inbox) >= 40
    assert all(name.endswith(".eml") for name in inbox)


def test_every_message_parses_and_its_headers_can_be_read(messages):
    for message in messages.values():
        for name in ("From", "To", "Subject", "Date", "Message-ID"):
            str(message.get(name, ""))
        _body(message)


def test_normal_messages_are_addressed_to_support_with_ids_and_senders(messages):
    for name, message in messages.items():
        if int(name[:2]) >= 80:
            continue
        assert "support@brightwave.example" in str(message["To"]), name
        assert message["Message-ID"] and message["From"].addresses, name
        assert message["Date"].datetime is not None, name
        assert _body(message).strip(), name


def test_the_large_attachment_message_is_over_5_mb(inbox):
    path = inbox[LARGE_ATTACHMENT_FILE]
    assert path.stat().st_size >= 5_000_000
    attachment = next(_parse(path).iter_attachments())
    assert len(attachment.get_content()) == 5 * 1024 * 1024
    assert len(attachment.get_content()) > load_tenant_config(TENANT).limits.max_attachment_bytes


def test_the_shift_jis_message_declares_and_uses_shift_jis(inbox):
    raw = inbox[SHIFT_JIS_FILE].read_bytes()
    message = _parse(inbox[SHIFT_JIS_FILE])
    assert message.get_content_charset() == "shift_jis"
    assert "エラー" in _body(message) and "BW-583920" in _body(message)
    assert "エラー".encode("shift_jis") in raw
    assert "E-104" in str(message["Subject"])


def test_generated_messages_are_the_same_bytes_every_time():
    assert build_shift_jis_message() == build_shift_jis_message()
    assert build_large_attachment_message() == build_large_attachment_message()


def test_latin1_messages_decode_their_accents(inbox):
    german = _parse(inbox["82-iso-8859-1-german.eml"])
    assert german.get_content_charset() == "iso-8859-1"
    assert "Grüßen" in _body(german) and "Müller" in str(german["From"])
    assert "Hélène" in _body(_parse(inbox["83-iso-8859-1-french.eml"]))


def test_hostile_messages_are_broken_in_the_promised_ways(inbox):
    assert _body(_parse(inbox["80-empty-body.eml"])).strip() == ""
    assert _parse(inbox["81-html-only.eml"]).get_content_type() == "text/html"
    malformed = _parse(inbox["85-malformed-headers.eml"])
    assert malformed.defects and malformed["Date"].datetime is None
    assert malformed["From"].defects
    assert _parse(inbox["87-auto-reply-out-of-office.eml"])["Auto-Submitted"] == "auto-replied"
    assert "Ignore all previous instructions" in _body(_parse(inbox["88-prompt-injection.eml"]))
    assert "Message-ID" not in _parse(inbox["89-no-message-id.eml"])
    assert "From" not in _parse(inbox["90-no-from.eml"])


def test_duplicate_shares_the_message_id_of_the_original(messages):
    duplicate = messages["91-duplicate-of-01.eml"]["Message-ID"]
    assert duplicate == messages["01-order-where-is-my-order.eml"]["Message-ID"]
    ids = [str(m["Message-ID"]) for m in messages.values() if "Message-ID" in m]
    assert len(ids) - len(set(ids)) == 1


def test_reply_chain_answers_another_inbox_message(inbox):
    reply = _parse(inbox["86-reply-chain-follow-up.eml"])
    original = _parse(inbox["19-tech-e104-wheel-stall.eml"])
    assert reply["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in reply["References"]
    assert "wrote:\n>" in _body(reply)


def test_error_codes_customers_ask_about_are_explained_in_the_kb(messages):
    patterns = load_tenant_config(TENANT).extraction.error_code
    asked = {
        code
        for message in messages.values()
        for pattern in patterns
        for code in re.findall(pattern, f"{message['Subject']}\n{_body(message)}")
    }
    assert {"E-104", "E12", "ERR-DOCK-07"} <= asked
    articles = (TENANT.parent / "kb").glob("*.*")
    known = "\n".join(p.read_text(encoding="utf-8") for p in articles)
    assert not {code for code in asked if code not in known}
