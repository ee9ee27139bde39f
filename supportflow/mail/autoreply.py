"""Recognising mail that no person wrote: auto-replies, bounces and bulk mail.

Answering those starts mail loops, so the pipeline must not draft replies to them. The
signals are checked from the most to the least reliable: RFC 3834's Auto-Submitted, the
vendor headers (X-Autoreply, X-Autorespond, X-Auto-Response-Suppress), Precedence, a
multipart/report delivery or read report, a null or mailer-daemon sender, and last the
subject lines that auto-responders and bounce generators write.
"""

from __future__ import annotations

import re

from supportflow.mail.headers import HeaderReader

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "list"})
_SYSTEM_SENDERS = ("mailer-daemon", "postmaster")
_OUT_OF_OFFICE_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:out of (?:the )?office|automatic reply|auto:|autoreply"
    r"|auto-reply|auto reply|abwesenheitsnotiz|automatische antwort|réponse automatique"
    r"|absence du bureau|respuesta automática|fuera de la oficina|risposta automatica"
    r"|automatisch antwoord|afwezigheidsmelding|frånvaro|fravær)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliverable|undelivered mail|delivery status notification|delivery failure"
    r"|mail delivery failed|failure notice|returned mail|unzustellbar|non remis)",
    re.IGNORECASE,
)


def auto_reply_reason(
    headers: HeaderReader, *, content_type: str, report_type: str | None, subject: str,
    from_address: str | None,
) -> str | None:  # fmt: skip
    """Say why a message looks machine-generated, or None when it looks written by a person.

    `content_type` and `report_type` are the top-level MIME type and its report-type
    parameter; `subject` is decoded; `from_address` is the normalised sender or None.
    """
    return (
        _auto_submitted(headers)
        or _vendor_header(headers)
        or _precedence(headers)
        or _report(content_type, report_type)
        or _system_sender(headers, from_address)
        or _subject(subject)
    )


def _auto_submitted(headers: HeaderReader) -> str | None:
    value = (headers.text("Auto-Submitted") or "").split(";")[0].strip().lower()
    return f"Auto-Submitted: {value}" if value and value != "no" else None


def _vendor_header(headers: HeaderReader) -> str | None:
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = headers.text(name)
        if value is not None and value.lower() not in ("no", "false", "0"):
            return name
    suppress = headers.text("X-Auto-Response-Suppress") or ""
    tokens = {token.strip().lower() for token in suppress.split(",")}
    if tokens & {"all", "oof"}:
        return f"X-Auto-Response-Suppress: {suppress}"
    return None


def _precedence(headers: HeaderReader) -> str | None:
    value = (headers.text("Precedence") or "").strip().lower()
    return f"Precedence: {value}" if value in _BULK_PRECEDENCE else None


def _report(content_type: str, report_type: str | None) -> str | None:
    if content_type not in ("multipart/report", "message/delivery-status"):
        return None
    if report_type == "disposition-notification":
        return "message disposition notification"
    return "delivery status notification"


def _system_sender(headers: HeaderReader, from_address: str | None) -> str | None:
    local_part = (from_address or "").partition("@")[0]
    if local_part in _SYSTEM_SENDERS:
        return f"{local_part} sender"
    if (headers.text("Return-Path") or "").replace(" ", "") == "<>":
        return "null Return-Path (bounce)"
    if headers.text("X-Failed-Recipients") is not None:
        return "delivery status notification"
    return None


def _subject(subject: str) -> str | None:
    if _OUT_OF_OFFICE_SUBJECT.match(subject):
        return "out-of-office subject"
    if _BOUNCE_SUBJECT.match(subject):
        return "delivery failure subject"
    return None
