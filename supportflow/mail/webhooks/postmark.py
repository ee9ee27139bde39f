"""Postmark's inbound webhook: one JSON document per message, protected by basic auth.

Postmark signs nothing; its documented protection is HTTP basic auth written into the
webhook URL (`https://user:password@host/webhooks/postmark/<tenant>`). The JSON carries
FromFull, To, Cc, Subject, Date, TextBody, HtmlBody, the original headers as a list of
{Name, Value} (Message-ID, In-Reply-To and References among them) and Attachments with
base64 Content. `MessageID` is Postmark's own id: it stands in for a missing Message-ID
header, so Postmark's retries of one message still dedupe.
"""

from __future__ import annotations

import base64
import binascii
import json
from email.headerregistry import Address
from typing import Any

from supportflow.errors import MalformedEmailError
from supportflow.mail.webhooks.auth import check_basic_auth
from supportflow.mail.webhooks.compose import AttachmentPart, MessageFields, compose_message

PROVIDER = "postmark"
# Taken from the top-level fields; the copies in Headers (if any) are skipped.
_TOP_LEVEL = frozenset({"from", "to", "cc", "subject", "date", "reply-to"})


def read_delivery(body: bytes, *, authorization: str | None, credentials: str) -> bytes:
    """The message of one inbound POST as raw bytes. AuthenticationError for wrong or
    missing credentials; MalformedEmailError for a body that is not Postmark's JSON."""
    check_basic_auth(authorization, expected=credentials)
    return compose_message(message_fields(_load(body)))


def message_fields(payload: dict[str, Any]) -> MessageFields:
    """The message Postmark describes: its headers first, then text, HTML, attachments."""
    headers = _headers(payload)
    return MessageFields(
        headers=headers,
        text=_optional_text(payload, "TextBody"),
        html=_optional_text(payload, "HtmlBody"),
        attachments=[_attachment(item) for item in _list(payload, "Attachments")],
    )


def _load(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEmailError(f"postmark payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict) or "FromFull" not in payload:
        raise MalformedEmailError("postmark payload: a JSON object with FromFull is expected")
    return payload


def _headers(payload: dict[str, Any]) -> list[tuple[str, str]]:
    top = [
        ("From", _sender(payload["FromFull"])),
        ("To", _text(payload, "To")),
        ("Cc", _optional_text(payload, "Cc") or ""),
        ("Reply-To", _optional_text(payload, "ReplyTo") or ""),
        ("Subject", _optional_text(payload, "Subject") or ""),
        ("Date", _optional_text(payload, "Date") or ""),
    ]
    original = [_header(item) for item in _list(payload, "Headers")]
    headers = [(name, value) for name, value in top if value or name == "Subject"]
    headers += [(name, value) for name, value in original if name.lower() not in _TOP_LEVEL]
    if not any(name.lower() == "message-id" for name, _ in headers):
        headers.append(("Message-ID", f"<{_text(payload, 'MessageID')}@inbound.postmarkapp.com>"))
    return headers


def _sender(value: object) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("Email"), str):
        raise MalformedEmailError("postmark payload: FromFull needs an Email")
    name = value.get("Name") if isinstance(value.get("Name"), str) else ""
    try:
        return str(Address(display_name=name or "", addr_spec=value["Email"]))
    except (ValueError, IndexError) as exc:
        raise MalformedEmailError(
            f"postmark payload: FromFull.Email is not an address: {exc}"
        ) from exc


def _header(item: object) -> tuple[str, str]:
    if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
        raise MalformedEmailError("postmark payload: each header needs a Name and a Value")
    return item["Name"], str(item.get("Value") or "")


def _attachment(item: object) -> AttachmentPart:
    if not isinstance(item, dict) or not isinstance(item.get("Content"), str):
        raise MalformedEmailError("postmark payload: each attachment needs base64 Content")
    try:
        data = base64.b64decode(item["Content"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedEmailError(f"postmark payload: attachment is not base64: {exc}") from exc
    return AttachmentPart(
        filename=str(item.get("Name") or "attachment"),
        content_type=str(item.get("ContentType") or "application/octet-stream"),
        data=data,
    )


def _list(payload: dict[str, Any], key: str) -> list[Any]:
    value = payload.get(key) or []
    if not isinstance(value, list):
        raise MalformedEmailError(f"postmark payload: {key} must be a list")
    return value


def _optional_text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedEmailError(f"postmark payload: {key} must be a string")
    return value


def _text(payload: dict[str, Any], key: str) -> str:
    value = _optional_text(payload, key)
    if not value:
        raise MalformedEmailError(f"postmark payload: {key} is missing")
    return value
