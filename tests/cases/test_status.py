from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.cases.status import ALLOWED, CaseStatus, transition
from supportflow.errors import StateError
from supportflow.store.models import AuditEntry, Case, Message, Tenant


def make_case(session, status: str = "received") -> Case:
    tenant = Tenant(slug="t", name="T", support_address="s@t.example", config_dir="/x")
    session.add(tenant)
    session.flush()
    message = Message(
        tenant_id=tenant.id, direction="inbound", message_id="<m@x>", raw_mime=b"x", size_bytes=1
    )
    session.add(message)
    session.flush()
    case = Case(tenant_id=tenant.id, message_id=message.id, status=status)
    session.add(case)
    session.flush()
    return case


def test_every_status_has_rules_and_finished_ones_go_nowhere() -> None:
    assert set(ALLOWED) == set(CaseStatus)
    assert ALLOWED[CaseStatus.SENT] == frozenset()
    assert ALLOWED[CaseStatus.REJECTED] == frozenset()


def test_transition_is_audited_with_reason(db) -> None:
    with db.session() as session:
        case = make_case(session)
        transition(session, case, CaseStatus.NEEDS_HUMAN, actor="pipeline", reason="empty body")
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.from_status, entry.to_status, entry.actor) == (
        "received",
        "needs_human",
        "pipeline",
    )
    assert entry.detail["reason"] == "empty body"
    assert case.status_reason == "empty body"


def test_forbidden_transition_raises_and_writes_nothing(db) -> None:
    with db.session() as session:
        case = make_case(session, status="sent")
        with pytest.raises(StateError, match="cannot become approved"):
            transition(session, case, CaseStatus.APPROVED, actor="x")
        assert session.scalars(select(AuditEntry)).all() == []
