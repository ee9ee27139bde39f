from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import func, select

from supportflow.cases.intake import accept_raw_email, fallback_message_id
from supportflow.store.models import AuditEntry, Case, Message, Tenant


def raw_email(message_id: str | None = "<a1@example.com>") -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Keller <ana@example.com>"
    message["To"] = "support@brightwave.example"
    message["Subject"] = "Where is my order?"
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("Hello, where is order BW-123456?\n")
    return message.as_bytes()


def make_tenant(session) -> Tenant:
    tenant = Tenant(
        slug="acme", name="Acme", support_address="help@acme.example", config_dir="/nowhere"
    )
    session.add(tenant)
    session.flush()
    return tenant


def test_same_message_id_twice_makes_one_case(db) -> None:
    with db.session() as session:
        tenant = make_tenant(session)
        first = accept_raw_email(session, tenant=tenant, raw=raw_email(), origin="a.eml")
        again = accept_raw_email(session, tenant=tenant, raw=raw_email(), origin="b.eml")
        assert (first.outcome, again.outcome) == ("created", "duplicate")
        assert session.scalar(select(func.count(Case.id))) == 1
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.from_status, entry.to_status) == ("status", None, "received")


def test_same_message_id_in_another_tenant_is_a_new_case(db) -> None:
    with db.session() as session:
        tenant = make_tenant(session)
        other = Tenant(slug="other", name="O", support_address="o@o.example", config_dir="/x")
        session.add(other)
        session.flush()
        accept_raw_email(session, tenant=tenant, raw=raw_email(), origin="a.eml")
        result = accept_raw_email(session, tenant=other, raw=raw_email(), origin="a.eml")
        assert result.outcome == "created"


def test_unparseable_bytes_are_kept_as_a_case(db) -> None:
    garbage = bytes(range(256)) * 4
    with db.session() as session:
        tenant = make_tenant(session)
        result = accept_raw_email(session, tenant=tenant, raw=garbage, origin="junk.eml")
        message = session.scalars(select(Message)).one()
        assert message.raw_mime == garbage
        assert message.defects and message.defects[0].startswith("unparseable")
    assert result.outcome == "created"
    assert result.message_id == fallback_message_id(garbage)


def test_missing_message_id_is_stable_across_deliveries(db) -> None:
    raw = raw_email(message_id=None)
    with db.session() as session:
        tenant = make_tenant(session)
        first = accept_raw_email(session, tenant=tenant, raw=raw, origin="a.eml")
        second = accept_raw_email(session, tenant=tenant, raw=raw, origin="a.eml")
    assert first.message_id == second.message_id
    assert second.outcome == "duplicate"
