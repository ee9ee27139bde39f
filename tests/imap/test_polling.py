"""Polling a real Dovecot: every appended message becomes one case, whatever happens to the
connection or the folder's numbering."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from supportflow.config import Mailbox, TenantConfig
from supportflow.errors import ConfigurationError, UpstreamError
from supportflow.mail.polling import Backoff, poll_mailbox, poll_tenant
from supportflow.store.models import Case, MailboxState, Message, Tenant
from tests.imap.conftest import PASSWORD_ENV
from tests.imap.proxy import DroppingProxy

NO_WAIT = Backoff(attempts=2, first_seconds=0.0)


def customer_email(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"customer{n}@example.com"
    message["To"] = "help@acme.example"
    message["Subject"] = f"Order {1000 + n} has not arrived"
    message["Message-ID"] = f"<msg-{n}@example.com>"
    message.set_content(f"Hello, where is my order {1000 + n}?\n")
    return message.as_bytes()


def mailbox_for(server, *, port: int | None = None, folder: str = "INBOX") -> Mailbox:
    return Mailbox(
        name="support",
        host=server.host,
        port=port or server.port,
        security="none",
        username=server.username,
        password_env=PASSWORD_ENV,
        folder=folder,
    )


@pytest.fixture
def tenant(db, tmp_path) -> Tenant:
    with db.session() as session:
        tenant = Tenant(
            slug="acme", name="Acme", support_address="help@acme.example", config_dir=str(tmp_path)
        )
        session.add(tenant)
    return tenant


@pytest.fixture
def server(imap_server, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, imap_server.password)
    return imap_server


def case_message_ids(db) -> list[str]:
    with db.session() as session:
        rows = session.scalars(select(Message.message_id).join(Case, Case.message_id == Message.id))
        return sorted(rows)


def counts(result) -> tuple[int, int, int]:
    return result.fetched, result.created, result.duplicates


def test_each_appended_message_becomes_one_case_and_a_second_poll_finds_nothing(
    db, tenant, server
) -> None:
    for n in range(3):
        server.append(customer_email(n))
    assert counts(poll_mailbox(db, tenant=tenant, mailbox=mailbox_for(server))) == (3, 3, 0)
    assert case_message_ids(db) == [f"<msg-{n}@example.com>" for n in range(3)]
    assert counts(poll_mailbox(db, tenant=tenant, mailbox=mailbox_for(server))) == (0, 0, 0)
    assert len(case_message_ids(db)) == 3


def test_only_the_newly_appended_message_is_fetched(db, tenant, server) -> None:
    server.append(customer_email(0))
    poll_mailbox(db, tenant=tenant, mailbox=mailbox_for(server))
    server.append(customer_email(1))
    assert counts(poll_mailbox(db, tenant=tenant, mailbox=mailbox_for(server))) == (1, 1, 0)
    with db.session() as session:
        state = session.scalars(select(MailboxState)).one()
    assert (state.mailbox, state.folder, state.last_uid) == ("support", "INBOX", 2)


def test_a_new_uidvalidity_reads_the_folder_again_without_doubling_cases(
    db, tenant, server
) -> None:
    mailbox = mailbox_for(server, folder="Support")
    for n in range(2):
        server.append(customer_email(n), folder="Support")
    poll_mailbox(db, tenant=tenant, mailbox=mailbox)
    with db.session() as session:
        before = session.scalars(select(MailboxState)).one().uidvalidity

    client = server.client()  # the folder is recreated: same messages, new numbering
    assert client.delete("Support")[0] == "OK"
    client.logout()
    for n in range(3):
        server.append(customer_email(n), folder="Support")

    assert counts(poll_mailbox(db, tenant=tenant, mailbox=mailbox)) == (3, 1, 2)
    with db.session() as session:
        state = session.scalars(select(MailboxState)).one()
    assert state.uidvalidity != before
    assert state.last_uid == 3
    assert len(case_message_ids(db)) == 3


def test_a_connection_dropped_mid_fetch_reconnects_and_loses_or_doubles_nothing(
    db, tenant, server
) -> None:
    for n in range(3):
        server.append(customer_email(n))
    proxy = DroppingProxy(server.port, drop_at_fetch=2)
    waits: list[float] = []
    try:
        result = poll_mailbox(
            db,
            tenant=tenant,
            mailbox=mailbox_for(server, port=proxy.port),
            backoff=NO_WAIT,
            sleep=waits.append,
        )
    finally:
        proxy.close()
    assert proxy.drops == 1
    assert (counts(result), result.reconnects, waits) == ((3, 3, 0), 1, [0.0])
    assert case_message_ids(db) == [f"<msg-{n}@example.com>" for n in range(3)]


def test_a_server_gone_mid_fetch_keeps_what_was_committed_and_the_next_poll_takes_the_rest(
    db, tenant, server
) -> None:
    for n in range(3):
        server.append(customer_email(n))
    proxy = DroppingProxy(server.port, drop_at_fetch=2, down_after_drop=True)
    mailbox = mailbox_for(server, port=proxy.port)
    try:
        with pytest.raises(UpstreamError, match="mailbox support"):
            poll_mailbox(db, tenant=tenant, mailbox=mailbox, backoff=NO_WAIT, sleep=lambda _: None)
        assert case_message_ids(db) == ["<msg-0@example.com>"]

        proxy.refusing = False
        result = poll_mailbox(db, tenant=tenant, mailbox=mailbox, backoff=NO_WAIT)
    finally:
        proxy.close()
    assert counts(result) == (2, 2, 0)
    assert case_message_ids(db) == [f"<msg-{n}@example.com>" for n in range(3)]


def test_reconnect_delays_double_up_to_the_cap() -> None:
    assert list(Backoff(attempts=4, first_seconds=1.0, max_seconds=3.0).delays()) == [1, 2, 3, 3]


def test_a_refused_login_is_a_configuration_error_and_not_retried(
    db, tenant, server, monkeypatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    waits: list[float] = []
    with pytest.raises(ConfigurationError, match="login refused for support"):
        poll_mailbox(db, tenant=tenant, mailbox=mailbox_for(server), sleep=waits.append)
    assert waits == []


def test_an_unset_password_variable_names_the_variable(db, tenant, monkeypatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    mailbox = Mailbox(name="x", host="127.0.0.1", username="u", password_env=PASSWORD_ENV)
    with pytest.raises(ConfigurationError, match=PASSWORD_ENV):
        poll_mailbox(db, tenant=tenant, mailbox=mailbox)


def test_a_failing_mailbox_is_reported_and_the_others_are_polled(db, tenant, server) -> None:
    server.append(customer_email(0))
    broken = mailbox_for(server, folder="Missing").model_copy(update={"name": "broken"})
    config = TenantConfig.model_validate(
        {
            "tenant": {"slug": "acme", "name": "Acme", "support_address": "help@acme.example"},
            "categories": [{"name": "other", "template": "other.j2"}],
            "mailboxes": [broken.model_dump(), mailbox_for(server).model_dump()],
        }
    )
    results = poll_tenant(db, tenant=tenant, config=config, backoff=NO_WAIT)
    assert [(r.mailbox, r.created) for r in results] == [("broken", 0), ("support", 1)]
    assert "cannot open folder 'Missing'" in (results[0].error or "")
    assert results[1].error is None
