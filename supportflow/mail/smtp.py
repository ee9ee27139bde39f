"""Outbound mail: building a threaded reply and handing it to an SMTP server.

`build_reply` makes the message the customer's client files under the same conversation:
one "Re: " prefix, In-Reply-To set to the parent's Message-ID, References extended with it.
`SmtpTransport.send` translates every smtplib and socket failure into `SendError`, whose
`is_permanent` tells the outbox whether a retry can help: a 5xx answer is permanent, a 4xx
answer or a connection problem is transient.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from supportflow.errors import InputError, SendError

_REPLY_PREFIXES = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|antwort|ref|réf|r|rif|odp|otv|res)"
    r"(?:\s*\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_MAX_REFERENCES = 20


def new_message_id(domain: str) -> str:
    """A fresh, globally unique Message-ID ("<...@domain>") for a message we send."""
    domain = domain.strip()
    if not domain or any(char in domain for char in "<>@ \t\r\n"):
        raise InputError(f"invalid Message-ID domain {domain!r}")
    return make_msgid(domain=domain)


def reply_subject(subject: str) -> str:
    """The parent's subject with exactly one "Re: " (Re:, RE:, Aw:, Sv: ... are folded)."""
    rest = _REPLY_PREFIXES.sub("", " ".join(subject.split())).strip()
    return f"Re: {rest}" if rest else "Re:"


def reply_references(parent_references: Sequence[str], parent_id: str | None) -> list[str]:
    """The parent's References plus its Message-ID, without duplicates.

    Capped at the last ids, keeping the first (the thread's root), as RFC 5322 suggests
    for long threads.
    """
    ids = list(dict.fromkeys([*parent_references, *([parent_id] if parent_id else [])]))
    if len(ids) > _MAX_REFERENCES:
        ids = [ids[0], *ids[-(_MAX_REFERENCES - 1) :]]
    return ids


def build_reply(
    *,
    from_address: str,
    from_name: str,
    to_address: str,
    subject: str,
    body_text: str,
    message_id: str,
    in_reply_to: str | None,
    references: Sequence[str],
    date: datetime | None = None,
) -> EmailMessage:
    """Build a threaded reply with a plain-text part and a simple HTML alternative.

    `subject`, `in_reply_to` and `references` are the parent's subject, Message-ID and
    References. Raises `InputError` when an address or id is not usable in a header.
    """
    message = EmailMessage()
    message["From"] = _address(from_address, display_name=_one_line(from_name))
    message["To"] = _address(to_address)
    message["Subject"] = reply_subject(_one_line(subject))
    message["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = _message_id(message_id)
    if in_reply_to:
        message["In-Reply-To"] = _message_id(in_reply_to)
    ids = reply_references([_message_id(ref) for ref in references], in_reply_to)
    if ids:
        message["References"] = " ".join(ids)
    message.set_content(body_text)
    message.add_alternative(_html_body(body_text), subtype="html")
    return message


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _address(addr_spec: str, *, display_name: str = "") -> Address:
    try:
        return Address(display_name=display_name, addr_spec=addr_spec.strip())
    except (ValueError, IndexError) as exc:  # HeaderParseError is a ValueError
        raise InputError(f"invalid email address {addr_spec!r}") from exc


def _message_id(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"<[^<>\s]+>", value):
        raise InputError(f"invalid Message-ID {value!r}: expected '<id@domain>'")
    return value


def _html_body(text: str) -> str:
    """Escaped paragraphs, line breaks kept; no styles, images or external resources."""
    text = text.replace("\r\n", "\n").strip()
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    rendered = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{rendered}\n</body></html>\n"


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the outbound SMTP server. The password never appears in repr()."""

    host: str
    port: int
    security: Literal["none", "starttls", "ssl"]
    username: str | None
    password: str | None = field(repr=False)
    timeout: float


class SmtpTransport:
    """Sends messages through one SMTP server, one connection per message."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def send(self, message: EmailMessage) -> None:
        """Send `message` to the recipients in its headers.

        Raises `SendError`: `is_permanent=True` for a 5xx answer (refused recipient or
        sender, rejected content, failed login, unsupported STARTTLS, a certificate that
        does not verify); `is_permanent=False` for 4xx answers and connection problems.
        """
        where = f"{self._config.host}:{self._config.port}"
        try:
            client = self._connect()
            try:
                self._secure_and_log_in(client)
                refused = client.send_message(message)
            finally:
                _hang_up(client)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise SendError(
                f"{where} refused every recipient: {_describe_refusals(exc.recipients)}",
                is_permanent=permanent,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"{where} answered {exc.smtp_code}: {_text(exc.smtp_error)}",
                is_permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(f"{where}: {exc}", is_permanent=True) from exc
        except ssl.SSLCertVerificationError as exc:
            raise SendError(f"{where}: certificate not trusted ({exc})", is_permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"{where} unreachable: {exc}", is_permanent=False) from exc
        if refused:
            # Some recipients got it: resending would duplicate it for them.
            raise SendError(
                f"{where} refused some recipients: {_describe_refusals(refused)}",
                is_permanent=True,
            )

    def _connect(self) -> smtplib.SMTP:
        config = self._config
        if config.security == "ssl":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout, context=context
            )
        return smtplib.SMTP(config.host, config.port, timeout=config.timeout)

    def _secure_and_log_in(self, client: smtplib.SMTP) -> None:
        if self._config.security == "starttls":
            client.starttls(context=ssl.create_default_context())
        if self._config.username:
            client.login(self._config.username, self._config.password or "")


def _hang_up(client: smtplib.SMTP) -> None:
    """Say QUIT, and just close the socket when that fails.

    By then the message was accepted or refused: a failed goodbye must not turn a delivered
    message into a send error that would be retried and delivered twice.
    """
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _describe_refusals(refusals: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{rcpt} ({code} {_text(reply)})" for rcpt, (code, reply) in refusals.items())


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
