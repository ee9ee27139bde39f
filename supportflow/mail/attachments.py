"""Describing attachments: name, type and size, never the bytes.

A parsed message must stay small whatever was attached, so each part is decoded only long
enough to measure it. Text parts without a name that are not marked as attachments are the
body or its alternative rendering, and are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage

from supportflow.mail.headers import HeaderReader, repair_text

_CONTAINER_TYPES = frozenset({"message/rfc822", "message/global", "message/delivery-status"})


@dataclass(frozen=True)
class Attachment:
    """An attached (or inline) part: described, never carried."""

    filename: str | None
    content_type: str
    size: int  # decoded bytes
    is_oversize: bool  # size > max_attachment_bytes: kept as a note, not processed
    is_inline: bool


def describe_attachments(
    message: EmailMessage,
    *,
    body_parts: tuple[EmailMessage, ...],
    max_bytes: int,
    headers: HeaderReader,
) -> tuple[Attachment, ...]:
    """Describe every part of `message` that is not in `body_parts`, without its bytes.

    A forwarded message (message/rfc822) or delivery report is one attachment; its own
    parts are not listed. Parts larger than `max_bytes` are marked oversize.
    """
    found: list[Attachment] = []
    stack: list[EmailMessage] = [message]
    while stack:
        part = stack.pop()
        content_type = part.get_content_type()
        is_container = content_type in _CONTAINER_TYPES
        if part.is_multipart() and not is_container:
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(c for c in reversed(children) if isinstance(c, EmailMessage))
            continue
        if any(part is body for body in body_parts) or _is_alternative_text(part):
            continue
        size = _container_size(part) if is_container else _decoded_size(part)
        found.append(
            Attachment(
                filename=_filename(part, headers),
                content_type=content_type,
                size=size,
                is_oversize=size > max_bytes,
                is_inline=_is_inline(part),
            )
        )
    return tuple(found)


def _is_alternative_text(part: EmailMessage) -> bool:
    """A text/plain or text/html part that is an alternative rendering, not an attachment."""
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and part.get_param("name") is None
        and part.get_param("filename", header="content-disposition") is None
    )


def _decoded_size(part: EmailMessage) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _container_size(part: EmailMessage) -> int:
    """Approximate size of an attached message: its headers plus its decoded leaf parts."""
    total = 0
    for inner in part.walk():
        total += sum(len(name) + len(str(value)) + 4 for name, value in inner.raw_items())
        if not inner.is_multipart():
            total += _decoded_size(inner)
    return total


def _filename(part: EmailMessage, headers: HeaderReader) -> str | None:
    name = part.get_filename()
    if not isinstance(name, str) or not name.strip():
        return None
    name = repair_text(name).strip()
    if "=?" in name:  # RFC 2047 words inside a parameter: not standard, but common
        try:
            name = str(make_header(decode_header(name)))
        except (UnicodeDecodeError, LookupError, ValueError) as exc:
            headers.add_defect(f"attachment name {name!r} not decodable ({exc})")
    return name


def _is_inline(part: EmailMessage) -> bool:
    disposition = part.get_content_disposition()
    return disposition == "inline" or (disposition is None and part.get("Content-ID") is not None)
