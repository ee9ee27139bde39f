"""Polling IMAP mailboxes into cases: at-least-once fetch, exactly-once case.

Each mailbox folder has a `MailboxState` row: the folder's UIDVALIDITY and the highest UID
whose message is committed. A poll asks the server for the UIDs above it and fetches them
one at a time; each message's case and the advanced UID are committed in one transaction.
So a crash, or a connection dropping mid-fetch, re-fetches at most the message in flight,
and intake's Message-ID dedupe turns that re-fetch into a `duplicate`, never a second case.
A changed UIDVALIDITY means the server renumbered the folder: polling starts again from UID
0 and the dedupe absorbs every message already taken.

One poller per mailbox folder is assumed; two would fetch the same messages, which the
dedupe still absorbs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.cases.intake import accept_raw_email
from supportflow.config import Mailbox, TenantConfig
from supportflow.errors import SupportflowError, UpstreamError
from supportflow.mail.imap import ImapFolder, mailbox_password, open_folder
from supportflow.store.db import Database
from supportflow.store.models import MailboxState, Tenant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: `first_seconds`, doubling up to `max_seconds`, `attempts` times."""

    attempts: int = 5
    first_seconds: float = 1.0
    max_seconds: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.first_seconds
        for _ in range(self.attempts):
            yield delay
            delay = min(delay * 2, self.max_seconds)


@dataclass
class PollResult:
    """What one poll of one mailbox did; `error` is set when it gave up."""

    mailbox: str
    folder: str
    fetched: int = 0
    created: int = 0
    duplicates: int = 0
    reconnects: int = 0
    error: str | None = None


def poll_tenant(
    db: Database,
    *,
    tenant: Tenant,
    config: TenantConfig,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
) -> list[PollResult]:
    """Poll each of the tenant's mailboxes; a mailbox that fails is reported in its result's
    `error` and never stops the others."""
    results: list[PollResult] = []
    for mailbox in config.mailboxes:
        try:
            results.append(
                poll_mailbox(db, tenant=tenant, mailbox=mailbox, backoff=backoff, sleep=sleep)
            )
        except SupportflowError as exc:
            results.append(PollResult(mailbox.name, mailbox.folder, error=str(exc)))
    return results


def poll_mailbox(
    db: Database,
    *,
    tenant: Tenant,
    mailbox: Mailbox,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
) -> PollResult:
    """Accept every message that arrived in the mailbox's folder since the last poll.

    A lost connection is retried after each of `backoff`'s delays (the delays start over
    once a message gets through). Raises UpstreamError when the server stays unreachable,
    ConfigurationError for a refused login, a missing folder or an unset password variable.
    """
    password = mailbox_password(mailbox)
    result = PollResult(mailbox.name, mailbox.folder)
    delays = backoff.delays()
    while True:
        fetched_before = result.fetched
        try:
            with open_folder(mailbox, mailbox.folder, password) as folder:
                _drain(db, tenant, mailbox.name, folder, result)
            return result
        except UpstreamError as exc:
            if result.fetched > fetched_before:
                delays = backoff.delays()
            delay = next(delays, None)
            if delay is None:
                raise
            result.reconnects += 1
            logger.warning("%s; reconnecting in %.1f s", exc, delay)
            sleep(delay)


def _drain(db: Database, tenant: Tenant, name: str, folder: ImapFolder, result: PollResult) -> None:
    last_uid = _start_uid(db, tenant.id, name, folder)
    for uid in folder.uids_after(last_uid):
        raw = folder.fetch_raw(uid)
        with db.session() as session:
            if raw is not None:
                origin = f"imap:{name}/{folder.name};uidvalidity={folder.uidvalidity};uid={uid}"
                outcome = accept_raw_email(session, tenant=tenant, raw=raw, origin=origin).outcome
                result.fetched += 1
                result.created += outcome == "created"
                result.duplicates += outcome == "duplicate"
            _state(session, tenant.id, name, folder.name).last_uid = uid


def _start_uid(db: Database, tenant_id: int, name: str, folder: ImapFolder) -> int:
    """The last UID taken from this folder; 0 when it is new or was renumbered."""
    with db.session() as session:
        state = _state(session, tenant_id, name, folder.name)
        if state.uidvalidity != folder.uidvalidity:
            if state.uidvalidity is not None:
                logger.warning(
                    "mailbox %s: folder %s has a new UIDVALIDITY (%s, was %s): reading it again",
                    name,
                    folder.name,
                    folder.uidvalidity,
                    state.uidvalidity,
                )
            state.uidvalidity = folder.uidvalidity
            state.last_uid = 0
        return state.last_uid


def _state(session: Session, tenant_id: int, name: str, folder: str) -> MailboxState:
    state = session.scalar(
        select(MailboxState).where(
            MailboxState.tenant_id == tenant_id,
            MailboxState.mailbox == name,
            MailboxState.folder == folder,
        )
    )
    if state is None:
        state = MailboxState(tenant_id=tenant_id, mailbox=name, folder=folder, last_uid=0)
        session.add(state)
        session.flush()
    return state
