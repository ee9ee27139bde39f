"""Rebuilding an RFC 5322 message from a provider's parsed fields.

Postmark and Mailgun's parsed mode hand over headers, text, HTML and attachments separately.
The rest of supportflow reads raw MIME only (one parser, one place for dedupe and
threading), so the fields are put back together with the stdlib email package: the sender's
headers in their order (Message-ID, In-Reply-To and References included, so threading and
dedupe work as for any message), then a text and/or HTML body and the attachments. Headers
that describe the original MIME structure are dropped: the new message has its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from supportflow.errors import MalformedEmailError

logger = logging.getLogger(__name__)

# Rewritten by the new structure; copying them would describe parts that no longer exist.
_STRUCTURAL = frozenset(
    {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
)
# Without these the message is still worth a case: a bad one is dropped, not refused.
_OPTIONAL = frozenset({"date", "cc", "reply-to", "references", "in-reply-to"})
_POLICY = policy.default.clone(max_line_length=998)


@dataclass(frozen=True)
class AttachmentPart:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MessageFields:
    """A message as a provider describes it; `headers` keep the sender's order."""

    headers: list[tuple[str, str]]
    text: str | None = None
    html: str | None = None
    attachments: list[AttachmentPart] = field(default_factory=list)


def compose_message(fields: MessageFields) -> bytes:
    """The message as raw bytes. MalformedEmailError when a required header (From, To,
    Subject, Message-ID...) cannot be written."""
    message = EmailMessage(policy=_POLICY)
    for name, value in fields.headers:
        _add_header(message, name.strip(), value)
    _set_body(message, fields.text, fields.html)
    for attachment in fields.attachments:
        _attach(message, attachment)
    return message.as_bytes()


def _add_header(message: EmailMessage, name: str, value: str) -> None:
    if not name or name.lower() in _STRUCTURAL:
        return
    # A line break in a value would start a header of the sender's choosing.
    flat = " ".join(value.split())
    try:
        message[name] = flat
    except (ValueError, TypeError, IndexError) as exc:
        if name.lower() in _OPTIONAL:
            logger.warning("webhook message: dropped unreadable %s header", name)
            return
        raise MalformedEmailError(f"the {name} header cannot be read: {exc}") from exc
    if name.lower() == "date" and getattr(message[name], "datetime", None) is None:
        # An unreadable date would be written as an empty Date header; arrival time serves.
        del message[name]
        logger.warning("webhook message: dropped unreadable Date header")


def _set_body(message: EmailMessage, text: str | None, html: str | None) -> None:
    if text and html:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text or "")


def _attach(message: EmailMessage, attachment: AttachmentPart) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    if not maintype or not subtype:
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(
        attachment.data,
        maintype=maintype.strip().lower(),
        subtype=subtype.split(";")[0].strip().lower(),
        filename=attachment.filename or "attachment",
    )
