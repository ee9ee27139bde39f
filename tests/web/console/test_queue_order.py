"""The queue's order and filters, on cases made directly in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportflow.config import Category, TenantConfig, TenantInfo
from supportflow.store.models import Case, Message, Tenant
from supportflow.web.console.queue import QueueFilter, due_at, queue_order, queue_page

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONFIG = TenantConfig(
    tenant=TenantInfo(slug="t", name="T", support_address="s@t.example"),
    categories=[
        Category(name="billing", template="b.j2", sla_hours=2),
        Category(name="order_status", template="o.j2"),
    ],
)


def add_case(
    session,
    tenant_id,
    n,
    *,
    category,
    priority="normal",
    confidence=0.8,
    hours=0.0,
    status="awaiting_review",
    route="ml",
    to_address="support@t.example",
) -> int:
    message = Message(
        tenant_id=tenant_id,
        to_address=to_address,
        direction="inbound",
        message_id=f"<m{n}@x>",
        size_bytes=1,
        raw_mime=b"",
        received_at=T0 + timedelta(hours=hours),
        subject=f"case {n}",
    )
    session.add(message)
    session.flush()
    case = Case(
        tenant_id=tenant_id,
        message_id=message.id,
        status=status,
        category=category,
        priority=priority,
        confidence=confidence,
        route=route,
    )
    session.add(case)
    session.flush()
    return case.id


def test_queue_orders_by_priority_then_due_time_then_confidence(db) -> None:
    with db.session() as session:
        tenant = Tenant(slug="t", name="T", support_address="s@t.example", config_dir="/none")
        session.add(tenant)
        session.flush()
        add = lambda n, **kw: add_case(session, tenant.id, n, **kw)  # noqa: E731
        late_billing = add(1, category="billing", hours=0)  # due at 2h
        early_order = add(2, category="order_status", hours=1)  # due at 1h
        sure = add(3, category="order_status", hours=1, confidence=0.95)  # due at 1h, surer
        urgent = add(4, category="billing", priority="urgent", hours=5)
        low = add(5, category="order_status", priority="low", hours=-10)
        add(6, category="billing", status="sent")
        order = [
            e.case_id
            for e in queue_order(session, tenant_id=tenant.id, config=CONFIG, filters=QueueFilter())
        ]
        assert order == [urgent, sure, early_order, late_billing, low]
        billing = queue_order(
            session,
            tenant_id=tenant.id,
            config=CONFIG,
            filters=QueueFilter(status=None, category="billing"),
        )
        assert len(billing) == 3
        page = queue_page(
            session, tenant_id=tenant.id, config=CONFIG, filters=QueueFilter(), page=9, per_page=2
        )
        assert (page.total, page.page, page.pages) == (5, 3, 3)
        assert [c["id"] for c in page.cases] == [low]


def test_due_time_is_received_time_plus_the_sla() -> None:
    assert due_at(T0, 2.5) == T0 + timedelta(hours=2.5)
    assert due_at(T0, None) == T0


def test_filter_query_string_keeps_the_other_filters() -> None:
    filters = QueueFilter(status=None, category="billing & co")
    assert filters.query_string(page=2) == "status=all&category=billing+%26+co&page=2"


def test_the_mailbox_filter_keeps_the_cases_sent_to_one_address(db) -> None:
    from supportflow.web.console.queue import mailboxes

    with db.session() as session:
        tenant = Tenant(slug="t", name="T", support_address="s@t.example", config_dir="/none")
        session.add(tenant)
        session.flush()
        support = add_case(session, tenant.id, 1, category="billing")
        billing = add_case(
            session, tenant.id, 2, category="billing", to_address="Billing@T.example"
        )
        assert mailboxes(session, tenant_id=tenant.id) == ["billing@t.example", "support@t.example"]
        chosen = queue_order(
            session,
            tenant_id=tenant.id,
            config=CONFIG,
            filters=QueueFilter(mailbox="billing@t.example"),
        )
        assert [e.case_id for e in chosen] == [billing] != [support]
        assert QueueFilter(mailbox="billing@t.example").query_string() == (
            "status=awaiting_review&mailbox=billing%40t.example"
        )
