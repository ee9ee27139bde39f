"""Parsing raw RFC 5322 / MIME bytes into the normalised message the pipeline works on.

`parse_email` reads anything a mail server might hand over: every charset (mislabelled ones
included), malformed headers, base64 and quoted-printable, nested multiparts, forwarded
message/rfc822 parts, delivery reports and huge attachments. Problems are recorded in
`ParsedEmail.defects` rather than raised; only bytes that carry neither a recognisable header
nor a readable body are refused. The work is split by concern: `headers` (lenient header
reading), `body` (choosing and decoding the text), `attachments`, `autoreply`, `quoting`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser

from supportflow.errors import MalformedEmailError
from supportflow.mail.attachments import Attachment, describe_attachments
from supportflow.mail.autoreply import auto_reply_reason
from supportflow.mail.body import Body, content_param, find_body
from supportflow.mail.headers import (
    LENIENT_POLICY,
    HeaderReader,
    describe_defect,
    mime_header_defects,
)
from supportflow.mail.quoting import split_reply

__all__ = ["Attachment", "ParsedEmail", "parse_email"]

_KNOWN_HEADERS = frozenset(
    {
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to",
        "references", "reply-to", "sender", "return-path", "received", "delivered-to",
        "mime-version", "content-type", "content-transfer-encoding", "user-agent",
        "x-mailer", "auto-submitted", "precedence", "list-id", "dkim-signature",
    }
)  # fmt: skip
_KNOWN_HEADER_LINE = re.compile(
    rb"^(?:from|to|subject|date|message-id|received|mime-version|content-type|return-path):",
    re.IGNORECASE | re.MULTILINE,
)
_TEXT_SAMPLE_BYTES = 8192
_MAX_CONTROL_RATIO = 0.02
_CONTROL_BYTES = bytes([*range(9), *range(14, 32), 127])


@dataclass(frozen=True)
class ParsedEmail:
    """One inbound message, normalised. Addresses are lower-cased; ids are "<...>"."""

    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    from_name: str | None
    from_address: str | None
    to_addresses: tuple[str, ...]
    reply_to: str | None
    subject: str
    date: datetime | None
    body_text: str
    new_text: str
    quoted_text: str
    signature: str | None
    is_html_only: bool
    attachments: tuple[Attachment, ...]
    auto_reply_reason: str | None
    defects: tuple[str, ...]

    @property
    def is_auto_reply(self) -> bool:
        """Whether the message looks machine-generated (see `auto_reply_reason`)."""
        return self.auto_reply_reason is not None


def parse_email(raw: bytes, *, max_attachment_bytes: int = 2_000_000) -> ParsedEmail:
    """Parse raw message bytes into a `ParsedEmail`.

    Never fails on a message with at least a recognisable header or a readable body; every
    problem met is listed in `defects`. Raises `MalformedEmailError` when the bytes are
    empty, or have no recognisable header and no text body (random binary data).
    `max_attachment_bytes` marks larger attachments as oversize.
    """
    parser = BytesParser(policy=LENIENT_POLICY)
    try:
        message = parser.parsebytes(raw)
        _require_email(message, raw)
        return _normalise(message, raw, max_attachment_bytes)
    except RecursionError:
        # CPython's MIME parser and part walkers recurse once per nesting level, so a
        # message nested hundreds of levels deep is read for its headers only.
        shallow = parser.parsebytes(raw, headersonly=True)
        return _normalise(shallow, raw, max_attachment_bytes, is_too_deep=True)


def _normalise(
    message: EmailMessage, raw: bytes, max_attachment_bytes: int, *, is_too_deep: bool = False
) -> ParsedEmail:
    headers = HeaderReader(message)
    if is_too_deep:
        headers.add_defect("MIME parts nested too deeply; body and attachments not read")
        body = Body(text="", is_html_only=False, parts=(message,))
    else:
        body = find_body(message, headers)
    sender = next(headers.addresses("From"), (None, None))
    subject = headers.text("Subject") or ""
    reply = split_reply(body.text)
    return ParsedEmail(
        message_id=_message_id(headers, raw),
        in_reply_to=next(iter(headers.message_ids("In-Reply-To")), None),
        references=headers.message_ids("References"),
        from_name=sender[0],
        from_address=sender[1],
        to_addresses=_recipients(headers),
        reply_to=next((spec for _, spec in headers.addresses("Reply-To") if spec), None),
        subject=subject,
        date=headers.date(),
        body_text=body.text,
        new_text=reply.new_text,
        quoted_text=reply.quoted_text,
        signature=reply.signature,
        is_html_only=body.is_html_only,
        attachments=describe_attachments(
            message, body_parts=body.parts, max_bytes=max_attachment_bytes, headers=headers
        ),
        auto_reply_reason=auto_reply_reason(
            headers,
            content_type=message.get_content_type(),
            report_type=content_param(message, "report-type"),
            subject=subject,
            from_address=sender[1],
        ),
        defects=_defects(message, headers, sender[1]),
    )


def _require_email(message: EmailMessage, raw: bytes) -> None:
    """Refuse bytes that have neither a recognisable header nor a readable body."""
    if not raw.strip():
        raise MalformedEmailError("not an email: the input is empty")
    if any(name.lower() in _KNOWN_HEADERS for name in message.keys()):
        return
    # A damaged first line hides the headers from the parser; they may still be there.
    if _KNOWN_HEADER_LINE.search(raw[:_TEXT_SAMPLE_BYTES]):
        return
    if not _looks_like_text(raw):
        raise MalformedEmailError(
            f"not an email: no recognisable header and no readable text in {len(raw)} bytes"
        )


def _looks_like_text(raw: bytes) -> bool:
    sample = raw[:_TEXT_SAMPLE_BYTES]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls <= len(sample) * _MAX_CONTROL_RATIO


def _message_id(headers: HeaderReader, raw: bytes) -> str:
    """The Message-ID, or a stable stand-in derived from the bytes when it is missing."""
    found = headers.message_ids("Message-ID")
    if found:
        return found[0]
    headers.add_defect("missing or invalid Message-ID; derived one from the message bytes")
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@missing-message-id.invalid>"


def _recipients(headers: HeaderReader) -> tuple[str, ...]:
    """Addresses in To and then Cc, without duplicates."""
    found = [spec for name in ("To", "Cc") for _, spec in headers.addresses(name) if spec]
    return tuple(dict.fromkeys(found))


def _defects(
    message: EmailMessage, headers: HeaderReader, from_address: str | None
) -> tuple[str, ...]:
    """Every problem met: those `headers` collected while reading, then each part's."""
    found: list[str] = []
    for part in message.walk():
        found.extend(describe_defect(defect) for defect in part.defects)
        found.extend(mime_header_defects(part))
    if from_address is None:
        found.append("missing or unusable From address")
    for description in found:
        headers.add_defect(description)
    return tuple(headers.defects)
