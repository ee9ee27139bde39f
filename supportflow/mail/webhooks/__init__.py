"""Inbound-mail webhooks: each provider's delivery turned into raw RFC 5322 bytes.

SendGrid (Inbound Parse in raw mode) and Mailgun (a route forwarding to a URL ending in
"mime") post the message as it arrived; Postmark's JSON and Mailgun's parsed form carry only
its fields, so `compose.compose_message` rebuilds a MIME message from them (threading
headers, text, HTML, attachments). Each provider module checks its own proof of origin (a
signature, or HTTP basic auth) before reading anything, and returns bytes that the web layer
hands to intake, where dedupe by Message-ID makes a provider's retry no second case.
"""

from __future__ import annotations

from supportflow.mail.webhooks.compose import AttachmentPart, MessageFields, compose_message
from supportflow.mail.webhooks.form import FormData, FormPart, parse_form

__all__ = [
    "AttachmentPart",
    "FormData",
    "FormPart",
    "MessageFields",
    "compose_message",
    "parse_form",
]
