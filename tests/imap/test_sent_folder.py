"""The outbox's Sent-folder check, against a real Dovecot and a real SMTP server: a reply a
dead worker left `sending` is found (no second delivery) or sent once; accepted replies are
filed in the Sent folder."""

from __future__ import annotations

from sqlalchemy import select, update

from supportflow.store.models import AuditEntry, Case, OutboxEntry
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_send import deps_for, drafted_and_approved, outbox, status


def sent_folder_holds(server, message_id: str) -> bool:
    client = server.client()
    try:
        client.select("Sent", readonly=True)
        _, data = client.uid("SEARCH", "HEADER", "Message-ID", f'"{message_id}"')
        return bool(data[0].split())
    finally:
        client.logout()


def left_sending(demo_db, deps) -> int:
    """A case whose reply a dead worker left `sending` (SMTP outcome unknown)."""
    case_id = drafted_and_approved(demo_db, deps)
    with demo_db.session() as session:
        session.execute(update(OutboxEntry).values(status="sending", attempts=1))
    return case_id


def test_an_accepted_reply_is_filed_in_the_sent_folder(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = drafted_and_approved(demo_db, deps)
    assert dict(process_pending(deps).outcomes) == {"sent": 1}
    assert len(smtp_server.messages) == 1
    assert sent_folder_holds(demo_mailbox, outbox(demo_db, case_id).message_id)


def test_a_reply_left_sending_that_is_in_the_sent_folder_becomes_sent_without_resending(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = left_sending(demo_db, deps)
    message_id = outbox(demo_db, case_id).message_id
    demo_mailbox.append(
        f"Message-ID: {message_id}\r\nSubject: Re: order\r\n\r\nOur reply.\r\n".encode(),
        folder="Sent",
    )
    assert dict(process_pending(deps).outcomes) == {"sent": 1}
    assert smtp_server.messages == []
    assert outbox(demo_db, case_id).status == "sent"
    assert status(demo_db, case_id) == "sent"
    with demo_db.session() as session:
        details = session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.case_id == case_id, AuditEntry.to_status == "sent"
            )
        ).all()
    assert [d.get("found_in_sent_folder") for d in details] == [True]


def test_a_reply_left_sending_that_is_not_in_the_sent_folder_is_sent_once(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = left_sending(demo_db, deps)
    assert dict(process_pending(deps).outcomes) == {"sent": 1}
    assert process_pending(deps).total == 0
    assert len(smtp_server.messages) == 1
    message_id = outbox(demo_db, case_id).message_id
    assert f"Message-ID: {message_id}".encode() in smtp_server.messages[0][2]
    assert sent_folder_holds(demo_mailbox, message_id)
    assert (outbox(demo_db, case_id).status, status(demo_db, case_id)) == ("sent", "sent")


def test_a_sent_folder_that_cannot_be_searched_hands_the_reply_to_a_person(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = left_sending(demo_db, deps)
    demo_mailbox.stop()
    assert dict(process_pending(deps).outcomes) == {"needs_human": 1}
    assert smtp_server.messages == []
    assert outbox(demo_db, case_id).status == "uncertain"
    with demo_db.session() as session:
        reason = session.get_one(Case, case_id).status_reason or ""
    assert "Sent folder could not be searched" in reason


def test_a_reply_that_cannot_be_filed_is_still_sent_and_the_failure_audited(
    demo_db, demo_home, smtp_server, demo_mailbox
) -> None:
    client = demo_mailbox.client()
    assert client.delete("Sent")[0] == "OK"
    client.logout()
    deps = deps_for(demo_db, demo_home, smtp_port=smtp_server.port)
    case_id = drafted_and_approved(demo_db, deps)
    assert dict(process_pending(deps).outcomes) == {"sent": 1}
    assert len(smtp_server.messages) == 1
    with demo_db.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.case_id == case_id)
        ).all()
    assert "send.sent_copy_failed" in actions
