"""Mailgun inbound routes: a forward() to our URL, signed with the webhook signing key.

Every POST carries `timestamp`, `token` and `signature`, the hex HMAC-SHA256 of timestamp
followed by token under the account's HTTP webhook signing key. A timestamp more than five
minutes from now is refused, so a captured POST cannot be replayed later. A route whose URL
ends in "mime" posts the message as received in `body-mime`; otherwise Mailgun posts it
parsed: `message-headers` (a JSON list of [name, value] in order), `body-plain`,
`body-html` and the files `attachment-1`..`attachment-N`, from which the message is rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from supportflow.errors import AuthenticationError, MalformedEmailError
from supportflow.mail.webhooks.compose import AttachmentPart, MessageFields, compose_message
from supportflow.mail.webhooks.form import (
    FormData,
    bytes_field,
    parse_form,
    required_text,
    text_field,
)

PROVIDER = "mailgun"
MAX_AGE_SECONDS = 300


def read_delivery(body: bytes, *, content_type: str, signing_key: str, now: float) -> bytes:
    """The raw message of one route POST. AuthenticationError for a wrong signature or a
    timestamp more than five minutes from `now`; MalformedEmailError for a broken form or
    missing fields."""
    form = parse_form(body, content_type)
    verify_signature(form, signing_key=signing_key, now=now)
    raw = bytes_field(form, "body-mime")
    if raw:
        return raw
    return compose_message(message_fields(form))


def signature_of(timestamp: str, token: str, *, signing_key: str) -> str:
    """Mailgun's signature: hex HMAC-SHA256 of timestamp + token under the signing key."""
    digest = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    return digest.hexdigest()


def verify_signature(form: FormData, *, signing_key: str, now: float) -> None:
    timestamp, token, signature = (text_field(form, k) for k in ("timestamp", "token", "signature"))
    if not timestamp or not token or not signature:
        raise AuthenticationError("mailgun signature fields (timestamp, token, signature) missing")
    expected = signature_of(timestamp, token, signing_key=signing_key)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise AuthenticationError("wrong mailgun signature")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise AuthenticationError("mailgun timestamp is more than five minutes from now")


def message_fields(form: FormData) -> MessageFields:
    """The parsed POST as a message: its original headers, text, HTML and attachments."""
    return MessageFields(
        headers=_headers(form),
        text=text_field(form, "body-plain"),
        html=text_field(form, "body-html"),
        attachments=_attachments(form),
    )


def _headers(form: FormData) -> list[tuple[str, str]]:
    listed = text_field(form, "message-headers")
    if not listed:  # documented as always sent; the basic fields still make a message
        return [
            ("From", required_text(form, "from", PROVIDER)),
            ("To", required_text(form, "recipient", PROVIDER)),
            ("Subject", text_field(form, "subject") or ""),
        ]
    try:
        pairs = json.loads(listed)
    except json.JSONDecodeError as exc:
        raise MalformedEmailError(f"mailgun payload: message-headers is not JSON: {exc}") from exc
    if not isinstance(pairs, list) or not all(_is_pair(p) for p in pairs):
        raise MalformedEmailError("mailgun payload: message-headers must be [name, value] pairs")
    return [(name, value) for name, value in pairs]


def _is_pair(item: object) -> bool:
    return isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)


def _attachments(form: FormData) -> list[AttachmentPart]:
    count_field = text_field(form, "attachment-count") or "0"
    if not count_field.isdigit():
        raise MalformedEmailError("mailgun payload: attachment-count is not a number")
    parts = []
    for number in range(1, int(count_field) + 1):
        upload = form.get(f"attachment-{number}")
        if upload is None or upload.filename is None:
            raise MalformedEmailError(f"mailgun payload: attachment-{number} is missing")
        content_type = upload.content_type or "application/octet-stream"
        parts.append(AttachmentPart(upload.filename, content_type, upload.data))
    return parts
