"""The Sent folder: where sent replies are filed, and the witness a recovering outbox asks.

A tenant's Sent folder is the `sent_folder` of the first of its mailboxes that has one.
After the SMTP server accepts a reply, a copy is appended there (unless `append_sent` is
false because the provider files submitted mail itself); when a worker died mid-send, the
outbox searches the folder for the reply's Message-ID to learn whether it went out.
"""

from __future__ import annotations

from email.message import EmailMessage

from supportflow.config import Mailbox, TenantConfig
from supportflow.errors import InternalError
from supportflow.mail.imap import append_message, mailbox_password, open_folder


def sent_mailbox(config: TenantConfig) -> Mailbox | None:
    """The mailbox whose `sent_folder` records the tenant's replies; None: no such check."""
    return next((m for m in config.mailboxes if m.sent_folder), None)


def file_sent_copy(mailbox: Mailbox, message: EmailMessage) -> None:
    """Append `message` to the mailbox's Sent folder (when we are the ones filing it).
    Raises UpstreamError or ConfigurationError."""
    if mailbox.sent_folder is None or not mailbox.append_sent:
        return
    append_message(mailbox, mailbox.sent_folder, mailbox_password(mailbox), message.as_bytes())


def is_in_sent_folder(mailbox: Mailbox, message_id: str) -> bool:
    """Whether the mailbox's Sent folder holds a message with `message_id`.
    Raises UpstreamError or ConfigurationError when it cannot be searched."""
    if mailbox.sent_folder is None:
        raise InternalError(f"mailbox {mailbox.name} has no sent_folder")
    with open_folder(mailbox, mailbox.sent_folder, mailbox_password(mailbox)) as folder:
        return folder.has_message_id(message_id)
