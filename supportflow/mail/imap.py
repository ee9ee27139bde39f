"""IMAP access to one configured mailbox (imap-tools over imaplib).

What supportflow asks of a mailbox is small: the UIDs above the last one it took, the raw
bytes of one message, a copy of a sent reply filed in a folder, and whether a folder holds a
given Message-ID. Every imaplib, imap-tools and socket failure is translated here: a lost or
unreachable server is `UpstreamError` (worth reconnecting), a refused login, a missing
folder or an unset password variable is `ConfigurationError` (retrying cannot help). The
password is read from the environment at connect time and appears in no message or log.
"""

from __future__ import annotations

import imaplib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from imap_tools import AND, BaseMailBox, H, MailBox, MailBoxStartTls, MailBoxUnencrypted, U
from imap_tools.errors import (
    ImapToolsError,
    MailboxFolderSelectError,
    MailboxLoginError,
    MailboxStarttlsError,
)

from supportflow.config import Mailbox
from supportflow.errors import ConfigurationError, UpstreamError

TIMEOUT_SECONDS = 30.0


def mailbox_password(mailbox: Mailbox) -> str:
    """The mailbox's password from the environment variable its configuration names."""
    password = os.environ.get(mailbox.password_env)
    if not password:
        raise ConfigurationError(
            f"mailbox {mailbox.name}: environment variable {mailbox.password_env} is not set"
        )
    return password


class ImapFolder:
    """One folder selected read-only on a logged-in connection, with its UIDVALIDITY."""

    def __init__(self, client: BaseMailBox, name: str, uidvalidity: int) -> None:
        self._client = client
        self.name = name
        self.uidvalidity = uidvalidity

    def uids_after(self, last_uid: int) -> list[int]:
        """The folder's UIDs above `last_uid`, smallest first."""
        # "n:*" always includes the highest UID, even when it is below n (RFC 3501 6.4.8).
        found = self._client.uids(AND(uid=U(str(last_uid + 1), "*")))
        return sorted(uid for uid in map(int, found) if uid > last_uid)

    def fetch_raw(self, uid: int) -> bytes | None:
        """The message's bytes exactly as stored; None when it was expunged meanwhile.
        BODY.PEEK leaves the \\Seen flag alone, so people reading the mailbox see no change."""
        status, data = self._client.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if status != "OK":
            raise UpstreamError(f"folder {self.name}: FETCH {uid} answered {status}: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        return None

    def has_message_id(self, message_id: str) -> bool:
        """Whether a message in the folder carries `message_id` ("<id@domain>")."""
        return bool(self._client.uids(AND(header=H("Message-ID", message_id))))


@contextmanager
def open_folder(mailbox: Mailbox, folder: str, password: str) -> Iterator[ImapFolder]:
    """Log in to `mailbox` and select `folder` read-only for the block; logs out after."""
    with _translated(mailbox, folder):
        client = _connect(mailbox)
        try:
            client.login(mailbox.username, password, initial_folder=None)
            client.folder.set(folder, readonly=True)
            yield ImapFolder(client, folder, _uidvalidity(client, folder))
        finally:
            _hang_up(client)


def append_message(mailbox: Mailbox, folder: str, password: str, raw: bytes) -> None:
    """File `raw` in `folder` as read (\\Seen), dated now."""
    with _translated(mailbox, folder):
        client = _connect(mailbox)
        try:
            client.login(mailbox.username, password, initial_folder=None)
            client.append(raw, folder, dt=datetime.now(UTC), flag_set=["\\Seen"])
        finally:
            _hang_up(client)


def _connect(mailbox: Mailbox) -> BaseMailBox:
    if mailbox.security == "ssl":
        return MailBox(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    if mailbox.security == "starttls":
        return MailBoxStartTls(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    return MailBoxUnencrypted(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)


def _uidvalidity(client: BaseMailBox, folder: str) -> int:
    # SELECT's untagged "OK [UIDVALIDITY n]" belongs to this selection; a STATUS after it
    # could describe a folder recreated in between.
    _, values = client.client.response("UIDVALIDITY")
    if not values or values[-1] is None:
        raise UpstreamError(f"folder {folder}: the server sent no UIDVALIDITY")
    return int(values[-1])


def _hang_up(client: BaseMailBox) -> None:
    """LOGOUT, or just close the socket when the connection is already gone."""
    try:
        client.logout()
    except (ImapToolsError, imaplib.IMAP4.error, OSError):
        try:
            client.client.shutdown()
        except OSError:
            pass  # already closed: nothing left to release


@contextmanager
def _translated(mailbox: Mailbox, folder: str) -> Iterator[None]:
    where = f"mailbox {mailbox.name} ({mailbox.host}:{mailbox.port})"
    try:
        yield
    except MailboxLoginError as exc:
        raise ConfigurationError(f"{where}: login refused for {mailbox.username}") from exc
    except MailboxFolderSelectError as exc:
        raise ConfigurationError(f"{where}: cannot open folder {folder!r}") from exc
    except MailboxStarttlsError as exc:
        raise ConfigurationError(f"{where}: the server refused STARTTLS") from exc
    except (ImapToolsError, imaplib.IMAP4.error, OSError, EOFError) as exc:
        # IMAP4.abort (a dropped connection) is an IMAP4.error; ssl errors are OSErrors.
        raise UpstreamError(f"{where}: {exc}") from exc
