"""SendGrid Inbound Parse with "POST the raw, full MIME message" checked.

SendGrid posts multipart/form-data whose `email` field is the message as received, beside
`to`, `from`, `subject`, `envelope`, `dkim`, `SPF`, `charsets` and the spam fields. It signs
nothing here, so the webhook URL carries basic-auth credentials
(`https://user:password@host/webhooks/sendgrid/<tenant>`) that SendGrid sends on each POST.
"""

from __future__ import annotations

from supportflow.errors import MalformedEmailError
from supportflow.mail.webhooks.auth import check_basic_auth
from supportflow.mail.webhooks.form import bytes_field, parse_form

PROVIDER = "sendgrid"


def read_delivery(
    body: bytes, *, content_type: str, authorization: str | None, credentials: str
) -> bytes:
    """The raw message of one Inbound Parse POST. AuthenticationError for wrong or missing
    credentials (checked before the body is read); MalformedEmailError for a broken form or
    one without the `email` field (parsed mode)."""
    check_basic_auth(authorization, expected=credentials)
    raw = bytes_field(parse_form(body, content_type), "email")
    if not raw:
        raise MalformedEmailError(
            "sendgrid payload: no 'email' field; enable 'POST the raw, full MIME message'"
        )
    return raw
