"""Inbound webhooks through the real app: each provider's documented payload becomes one case.

The payloads follow each provider's documented shape (SendGrid Inbound Parse in raw mode,
Mailgun routes in raw-MIME and parsed modes, Postmark's inbound JSON): these are the fakes
of the third-party services. The app runs over the demo data folder with a real SQLite file.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from supportflow.config import Settings
from supportflow.mail.parsing import parse_email
from supportflow.mail.webhooks.mailgun import signature_of
from supportflow.pipeline.deps import PipelineDeps
from supportflow.store.db import Database
from supportflow.store.models import Case, Message
from supportflow.web.app import create_app
from supportflow.workers.embedded import process_pending

SLUG = "brightwave"
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
SENDGRID_AUTH = "sendgrid:parse-secret-1"
POSTMARK_AUTH = "postmark:inbound-secret-2"
CUSTOMER = "Dana Customer <dana@customer.example>"
PARENT = "<reply-42@brightwave.example>"

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def webhook_env(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo tenant with all three webhooks enabled, secrets in the environment."""
    config = demo_home / "tenants" / SLUG / "tenant.yaml"
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            "\nwebhooks:\n"
            "  mailgun_signing_key_env: TEST_MAILGUN_KEY\n"
            "  sendgrid_basic_auth_env: TEST_SENDGRID_AUTH\n"
            "  postmark_basic_auth_env: TEST_POSTMARK_AUTH\n"
        )
    monkeypatch.setenv("TEST_MAILGUN_KEY", MAILGUN_KEY)
    monkeypatch.setenv("TEST_SENDGRID_AUTH", SENDGRID_AUTH)
    monkeypatch.setenv("TEST_POSTMARK_AUTH", POSTMARK_AUTH)
    return demo_home


@pytest.fixture
def client(webhook_env: Path, demo_db: Database) -> httpx.AsyncClient:
    app = create_app(Settings(home=webhook_env), demo_db)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def customer_email(message_id: str, subject: str = "Glide S2 stops after ten minutes") -> bytes:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message["To"] = "support@brightwave.example"
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 09:30:00 +0000"
    message["Message-ID"] = message_id
    message["In-Reply-To"] = PARENT
    message["References"] = PARENT
    message.set_content("Hello,\n\nMy Glide S2 stops after ten minutes of cleaning.\n\nDana\n")
    return message.as_bytes()


def sendgrid_form(raw: bytes) -> dict[str, str]:
    """Inbound Parse with "POST the raw, full MIME message": the message in `email`."""
    return {
        "dkim": "{@customer.example : pass}",
        "email": raw.decode("ascii"),
        "to": "support@brightwave.example",
        "from": CUSTOMER,
        "subject": "Glide S2 stops after ten minutes",
        "sender_ip": "203.0.113.7",
        "envelope": json.dumps(
            {"to": ["support@brightwave.example"], "from": "dana@customer.example"}
        ),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
        "spam_report": "",
    }


def mailgun_signature(key: str = MAILGUN_KEY, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = "c7a8f0b2e5d94f61a3b7c9e2d4f6a8b0c1d3e5f7a9b1c3d5e7"
    return {
        "timestamp": stamp,
        "token": token,
        "signature": signature_of(stamp, token, signing_key=key),
    }


def mailgun_mime_form(raw: bytes, **signature: str) -> dict[str, str]:
    """A route forwarding to a URL ending in "mime": the message in `body-mime`."""
    return {
        "recipient": "support@brightwave.example",
        "sender": "dana@customer.example",
        "from": CUSTOMER,
        "subject": "Glide S2 stops after ten minutes",
        "body-mime": raw.decode("ascii"),
        **(signature or mailgun_signature()),
    }


def mailgun_parsed_form(message_id: str) -> dict[str, str]:
    """A route forwarding to a plain URL: the message parsed into fields."""
    headers = [
        ["Received", "by mxa.mailgun.org with SMTP; Tue, 01 Dec 2026 09:30:01 +0000"],
        ["From", CUSTOMER],
        ["To", "support@brightwave.example"],
        ["Subject", "Mailgun parsed: Pane P1 leaves streaks"],
        ["Date", "Tue, 01 Dec 2026 09:30:00 +0000"],
        ["Message-Id", message_id],
        ["In-Reply-To", PARENT],
        ["References", PARENT],
        ["Mime-Version", "1.0"],
        ["Content-Type", 'multipart/alternative; boundary="b1"'],
    ]
    return {
        "recipient": "support@brightwave.example",
        "sender": "dana@customer.example",
        "from": CUSTOMER,
        "subject": "Mailgun parsed: Pane P1 leaves streaks",
        "message-headers": json.dumps(headers),
        "body-plain": "Hello,\n\nMy Pane P1 leaves streaks on the window.\n\nDana\n",
        "body-html": "<p>Hello,</p><p>My Pane P1 leaves streaks on the window.</p><p>Dana</p>",
        "stripped-text": "My Pane P1 leaves streaks on the window.",
        "attachment-count": "1",
        **mailgun_signature(),
    }


def postmark_payload(message_id: str | None, *, html_only: bool = False) -> dict[str, Any]:
    """Postmark's inbound JSON as documented (fields we do not use included)."""
    headers = [
        {"Name": "X-Spam-Status", "Value": "No"},
        {"Name": "In-Reply-To", "Value": PARENT},
        {"Name": "References", "Value": PARENT},
    ]
    if message_id is not None:
        headers.append({"Name": "Message-ID", "Value": message_id})
    html = (
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Hello,</p><p>My <b>Smart Dock</b> blinks orange and will not charge.</p>"
        "<p>Dana</p></body></html>"
    )
    return {
        "FromName": "Dana Customer",
        "MessageStream": "inbound",
        "From": "dana@customer.example",
        "FromFull": {"Email": "dana@customer.example", "Name": "Dana Customer", "MailboxHash": ""},
        "To": "support@brightwave.example",
        "ToFull": [{"Email": "support@brightwave.example", "Name": "", "MailboxHash": ""}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@brightwave.example",
        "Subject": "Postmark: Smart Dock blinks orange",
        "MessageID": "73e6d360-66eb-11e1-8e72-a8904824019b",
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Tue, 1 Dec 2026 09:30:00 +0000",
        "TextBody": "" if html_only else "Hello,\n\nMy Smart Dock blinks orange.\n\nDana\n",
        "HtmlBody": html,
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": headers,
        "Attachments": [
            {
                "Name": "dock.txt",
                "Content": base64.b64encode(b"serial SD-1234").decode(),
                "ContentType": "text/plain",
                "ContentLength": 14,
            }
        ],
    }


def case_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def stored_message(db: Database, case_id: int) -> Message:
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        message = case.message
        _ = message.raw_mime  # load the deferred column before the session closes
        session.expunge(message)
        return message


def assert_threaded_case(db: Database, case_id: int, *, message_id: str, subject: str) -> None:
    stored = stored_message(db, case_id)
    parsed = parse_email(stored.raw_mime)
    assert parsed.message_id == message_id
    assert parsed.subject == subject
    assert parsed.from_address == "dana@customer.example"
    assert parsed.from_name == "Dana Customer"
    assert parsed.in_reply_to == PARENT
    assert parsed.references == (PARENT,)


async def test_sendgrid_raw_mime_becomes_one_case(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    raw = customer_email("<sg-1@customer.example>")
    response = await client.post(
        f"/webhooks/sendgrid/{SLUG}",
        data=sendgrid_form(raw),
        files={"attachment-info": ("", b"{}")},
        headers=basic(SENDGRID_AUTH),
    )
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "created"
    assert case_count(demo_db) == before + 1
    assert_threaded_case(
        demo_db,
        response.json()["case_id"],
        message_id="<sg-1@customer.example>",
        subject="Glide S2 stops after ten minutes",
    )
    assert stored_message(demo_db, response.json()["case_id"]).origin == "webhook:sendgrid"


async def test_mailgun_body_mime_becomes_one_case(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    raw = customer_email("<mg-1@customer.example>")
    response = await client.post(f"/webhooks/mailgun/{SLUG}", data=mailgun_mime_form(raw))
    assert response.status_code == 200, response.text
    assert case_count(demo_db) == before + 1
    assert_threaded_case(
        demo_db,
        response.json()["case_id"],
        message_id="<mg-1@customer.example>",
        subject="Glide S2 stops after ten minutes",
    )


async def test_mailgun_parsed_fields_are_rebuilt(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    form = mailgun_parsed_form("<mg-parsed-1@customer.example>")
    files = {"attachment-1": ("photo.png", b"\x89PNG\r\n\x1a\nfake", "image/png")}
    response = await client.post(f"/webhooks/mailgun/{SLUG}", data=form, files=files)
    assert response.status_code == 200, response.text
    case_id = response.json()["case_id"]
    assert_threaded_case(
        demo_db,
        case_id,
        message_id="<mg-parsed-1@customer.example>",
        subject="Mailgun parsed: Pane P1 leaves streaks",
    )
    parsed = parse_email(stored_message(demo_db, case_id).raw_mime)
    assert "leaves streaks on the window" in parsed.body_text
    assert [a.filename for a in parsed.attachments] == ["photo.png"]


async def test_postmark_json_becomes_one_case(client: httpx.AsyncClient, demo_db: Database) -> None:
    before = case_count(demo_db)
    payload = postmark_payload("<pm-1@customer.example>")
    response = await client.post(
        f"/webhooks/postmark/{SLUG}", json=payload, headers=basic(POSTMARK_AUTH)
    )
    assert response.status_code == 200, response.text
    assert case_count(demo_db) == before + 1
    case_id = response.json()["case_id"]
    assert_threaded_case(
        demo_db,
        case_id,
        message_id="<pm-1@customer.example>",
        subject="Postmark: Smart Dock blinks orange",
    )
    parsed = parse_email(stored_message(demo_db, case_id).raw_mime)
    assert [a.filename for a in parsed.attachments] == ["dock.txt"]


async def test_postmark_without_message_id_header_uses_postmarks_id(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    response = await client.post(
        f"/webhooks/postmark/{SLUG}", json=postmark_payload(None), headers=basic(POSTMARK_AUTH)
    )
    assert response.status_code == 200, response.text
    stored = stored_message(demo_db, response.json()["case_id"])
    assert stored.message_id == "<73e6d360-66eb-11e1-8e72-a8904824019b@inbound.postmarkapp.com>"


@pytest.mark.parametrize("provider", ["sendgrid", "mailgun", "postmark"])
async def test_the_same_delivery_twice_is_one_case(
    provider: str, client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    outcomes = []
    for _ in range(2):
        response = await _deliver(client, provider, f"<twice-{provider}@customer.example>")
        assert response.status_code == 200, response.text
        outcomes.append(response.json()["outcome"])
    assert outcomes == ["created", "duplicate"]
    assert case_count(demo_db) == before + 1


async def _deliver(client: httpx.AsyncClient, provider: str, message_id: str) -> httpx.Response:
    url = f"/webhooks/{provider}/{SLUG}"
    if provider == "sendgrid":
        form = sendgrid_form(customer_email(message_id))
        return await client.post(url, data=form, headers=basic(SENDGRID_AUTH))
    if provider == "mailgun":
        return await client.post(url, data=mailgun_mime_form(customer_email(message_id)))
    return await client.post(url, json=postmark_payload(message_id), headers=basic(POSTMARK_AUTH))


async def test_wrong_mailgun_signature_is_401_and_no_case(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    form = mailgun_mime_form(
        customer_email("<bad-sig@customer.example>"), **mailgun_signature("key-wrong")
    )
    response = await client.post(f"/webhooks/mailgun/{SLUG}", data=form)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "wrong mailgun signature"
    assert case_count(demo_db) == before


async def test_replayed_mailgun_timestamp_is_401(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    old = mailgun_signature(timestamp=int(time.time()) - 301)
    form = mailgun_mime_form(customer_email("<replay@customer.example>"), **old)
    response = await client.post(f"/webhooks/mailgun/{SLUG}", data=form)
    assert response.status_code == 401
    assert "five minutes" in response.json()["error"]["message"]
    assert case_count(demo_db) == before


@pytest.mark.parametrize(
    ("provider", "headers"),
    [
        ("sendgrid", {}),
        ("sendgrid", basic("sendgrid:wrong")),
        ("postmark", {}),
        ("postmark", basic("postmark:wrong")),
        ("postmark", {"Authorization": "Basic not-base64!"}),
    ],
)
async def test_wrong_basic_auth_is_401_and_no_case(
    provider: str, headers: dict[str, str], client: httpx.AsyncClient, demo_db: Database
) -> None:
    before = case_count(demo_db)
    url = f"/webhooks/{provider}/{SLUG}"
    if provider == "sendgrid":
        form = sendgrid_form(customer_email("<no-auth@customer.example>"))
        response = await client.post(url, data=form, headers=headers)
    else:
        response = await client.post(url, json=postmark_payload("<no-auth@x>"), headers=headers)
    assert response.status_code == 401
    assert case_count(demo_db) == before


async def test_unknown_tenant_or_provider_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/webhooks/postmark/nobody", json={}, headers=basic(POSTMARK_AUTH))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no tenant 'nobody'"
    assert (await client.post(f"/webhooks/sparkpost/{SLUG}", json={})).status_code == 404


async def test_provider_not_enabled_for_the_tenant_is_404(
    demo_home: Path, demo_db: Database
) -> None:
    app = create_app(Settings(home=demo_home), demo_db)  # tenant.yaml without `webhooks:`
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.post(f"/webhooks/postmark/{SLUG}", json={}, headers=basic(POSTMARK_AUTH))
    assert response.status_code == 404
    assert "does not accept postmark" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("provider", "kwargs", "message"),
    [
        ("postmark", {"content": b"{not json"}, "not JSON"),
        ("postmark", {"json": {"Subject": "no sender"}}, "FromFull"),
        (
            "postmark",
            {"json": {**postmark_payload("<a@b>"), "Attachments": [{"Content": "%%"}]}},
            "base64",
        ),
        ("sendgrid", {"data": {"to": "support@brightwave.example"}}, "'email' field"),
        ("mailgun", {"data": {"message-headers": "[[1]]"}}, "[name, value] pairs"),
        ("mailgun", {"data": {"recipient": "support@brightwave.example"}}, "'from' field"),
    ],
)
async def test_malformed_payload_is_400_with_a_message(
    provider: str, kwargs: dict[str, Any], message: str, client: httpx.AsyncClient
) -> None:
    auth = {"sendgrid": basic(SENDGRID_AUTH), "postmark": basic(POSTMARK_AUTH)}.get(provider, {})
    if provider == "mailgun":  # signed now: a signature made at collection time could expire
        kwargs = {"data": {**kwargs["data"], **mailgun_signature()}}
    response = await client.post(f"/webhooks/{provider}/{SLUG}", headers=auth, **kwargs)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]


async def test_body_over_the_tenant_limit_is_413(
    webhook_env: Path, client: httpx.AsyncClient, demo_db: Database
) -> None:
    config = webhook_env / "tenants" / SLUG / "tenant.yaml"
    with config.open("a", encoding="utf-8") as handle:
        handle.write("limits:\n  max_message_bytes: 2000\n")
    before = case_count(demo_db)
    payload = postmark_payload("<big@customer.example>")
    payload["TextBody"] = "x" * 5000
    response = await client.post(
        f"/webhooks/postmark/{SLUG}", json=payload, headers=basic(POSTMARK_AUTH)
    )
    assert response.status_code == 413
    assert case_count(demo_db) == before


async def test_postmark_html_only_body_becomes_clean_text(
    client: httpx.AsyncClient, demo_db: Database, demo_deps: PipelineDeps
) -> None:
    payload = postmark_payload("<pm-html@customer.example>", html_only=True)
    response = await client.post(
        f"/webhooks/postmark/{SLUG}", json=payload, headers=basic(POSTMARK_AUTH)
    )
    assert response.status_code == 200, response.text
    # process_pending runs its own event loop: off this test's loop, in a thread.
    await asyncio.to_thread(process_pending, demo_deps)
    stored = stored_message(demo_db, response.json()["case_id"])
    assert "My Smart Dock blinks orange and will not charge." in stored.body_text
    assert "<" not in stored.body_text and "color: red" not in stored.body_text
    assert stored.subject == "Postmark: Smart Dock blinks orange"
    assert stored.from_address == "dana@customer.example"


async def test_sendgrid_8bit_message_reaches_intake_byte_for_byte(
    client: httpx.AsyncClient, demo_db: Database
) -> None:
    raw = (
        b"From: =?iso-8859-1?q?Ren=E9?= <rene@customer.example>\n"
        b"To: support@brightwave.example\n"
        b"Subject: Pi\xe8ce de rechange\n"
        b"Message-ID: <latin1@customer.example>\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: 8bit\n\n"
        b"Bonjour, il me faut une brosse lat\xe9rale.\n"
    )
    # SendGrid posts `email` as a plain form part (no filename) holding the bytes as received.
    response = await client.post(
        f"/webhooks/sendgrid/{SLUG}",
        data={"to": "support@brightwave.example"},
        files={"email": (None, raw)},
        headers=basic(SENDGRID_AUTH),
    )
    assert response.status_code == 200, response.text
    stored = stored_message(demo_db, response.json()["case_id"])
    assert stored.raw_mime == raw
    assert "latérale" in parse_email(stored.raw_mime).body_text


async def test_unset_secret_variable_is_500_so_the_provider_retries(
    client: httpx.AsyncClient, demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_POSTMARK_AUTH")
    before = case_count(demo_db)
    response = await client.post(
        f"/webhooks/postmark/{SLUG}", json=postmark_payload("<p@x>"), headers=basic(POSTMARK_AUTH)
    )
    assert response.status_code == 500
    assert "TEST_POSTMARK_AUTH is not set" in response.json()["error"]["message"]
    assert case_count(demo_db) == before
