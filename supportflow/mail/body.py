"""Choosing and decoding the text body of a message.

text/plain is preferred; a message whose plain text is missing or blank is read from its
HTML alternative (converted to text), and one with no text of its own at all from a
forwarded message/rfc822 part. Text is decoded through its transfer encoding and charset,
and format=flowed lines (RFC 3676) are joined back into paragraphs, so that the quoting
rules see whole lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import collapse_rfc2231_value

from supportflow.mail.charsets import decode_text
from supportflow.mail.headers import HeaderReader, repair_text
from supportflow.mail.html import html_to_text

_MAX_NESTED_MESSAGES = 5


@dataclass(frozen=True)
class Body:
    """The chosen text, whether it came from HTML, and the parts it was read from."""

    text: str
    is_html_only: bool
    parts: tuple[EmailMessage, ...]


def find_body(message: EmailMessage, headers: HeaderReader, depth: int = 0) -> Body:
    """Pick and decode the text body of `message`; decoding problems go to `headers`.

    Never fails: a message without any text gets an empty body.
    """
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    continued = _continuation_parts(message, plain)
    parts = tuple(part for part in (plain, html, *continued) if isinstance(part, EmailMessage))
    text = _part_text(plain, headers) if isinstance(plain, EmailMessage) else ""
    for part in continued:
        text = _join_text(text, _part_text(part, headers))
    if not text.strip() and isinstance(html, EmailMessage):
        html_text = html_to_text(_part_text(html, headers))
        if html_text.strip():
            return Body(text=html_text, is_html_only=True, parts=parts)
    if text.strip() or depth >= _MAX_NESTED_MESSAGES:
        return Body(text=text, is_html_only=False, parts=parts)
    fallback = _fallback_body(message, headers, depth)
    return fallback if fallback.text.strip() else Body(text=text, is_html_only=False, parts=parts)


def _continuation_parts(message: EmailMessage, plain: object) -> list[EmailMessage]:
    """Unnamed inline text/plain parts after the body in a top-level multipart/mixed.

    Mail clients show every inline text part of a mixed message in order: Apple Mail
    splits text around an inline image, list servers append their footer as its own part.
    Without this the text after the first part would be neither body nor attachment.
    """
    if message.get_content_type() != "multipart/mixed" or not isinstance(plain, EmailMessage):
        return []
    children = [part for part in message.iter_parts() if isinstance(part, EmailMessage)]
    if not any(part is plain for part in children):
        return []
    after = children[next(i for i, part in enumerate(children) if part is plain) + 1 :]
    return [part for part in after if _is_inline_plain_text(part)]


def _is_inline_plain_text(part: EmailMessage) -> bool:
    return (
        part.get_content_type() == "text/plain"
        and part.get_content_disposition() != "attachment"
        and part.get_filename() is None
    )


def _join_text(text: str, more: str) -> str:
    """`text` then `more` on a new line; a blank side adds nothing."""
    if not more.strip():
        return text
    if not text.strip():
        return more
    return (text if text.endswith("\n") else text + "\n") + more


def _fallback_body(message: EmailMessage, headers: HeaderReader, depth: int) -> Body:
    """A body for a message without a text of its own.

    A multipart whose boundary is missing keeps its content as one string: that is read as
    text. Otherwise the body of the first forwarded message/rfc822 part is used.
    """
    if message.get_content_maintype() == "multipart" and not message.is_multipart():
        return Body(text=_part_text(message, headers), is_html_only=False, parts=(message,))
    for part in message.walk():
        inner = part.get_payload(0) if part.get_content_type() == "message/rfc822" else None
        if isinstance(inner, EmailMessage):
            return find_body(inner, headers, depth + 1)
    return Body(text="", is_html_only=False, parts=())


def _part_text(part: EmailMessage, headers: HeaderReader) -> str:
    """Decode a text part: transfer encoding, then charset, then format=flowed."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    decoded = decode_text(data, part.get_content_charset())
    if decoded.defect:
        headers.add_defect(decoded.defect)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if (content_param(part, "format") or "").lower() == "flowed":
        text = _unflow(text, delete_space=(content_param(part, "delsp") or "").lower() == "yes")
    return text


def content_param(part: EmailMessage, name: str) -> str | None:
    """A Content-Type parameter of `part` as text, or None when absent."""
    value = part.get_param(name)
    if value is None:
        return None
    return repair_text(collapse_rfc2231_value(value))


def _unflow(text: str, *, delete_space: bool) -> str:
    """Join RFC 3676 format=flowed lines: a line ending in a space continues on the next."""
    lines: list[tuple[int, str]] = []  # (quote depth, content)
    joining = False
    for line in text.split("\n"):
        unquoted = line.lstrip(">")
        depth = len(line) - len(unquoted)
        content = unquoted.removeprefix(" ")  # quote separator or space-stuffing
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delete_space:
            content = content[:-1]
        if joining and lines[-1][0] == depth:
            lines[-1] = (depth, lines[-1][1] + content)
        else:
            lines.append((depth, content))
        joining = flowed
    return "\n".join(("> " * depth if depth else "") + content for depth, content in lines)
