"""Deciding on proposed actions through the API: accept or decline once, audited, by
reviewers of the case's own tenant."""

from __future__ import annotations

from importlib import resources

import pytest
from sqlalchemy import select

from supportflow.store.models import AuditEntry, ProposedAction
from supportflow.workers.embedded import process_pending
from tests.web.api.conftest import ingest

pytestmark = pytest.mark.anyio


def demo_email(name: str) -> bytes:
    return (resources.files("supportflow.demo") / "inbox" / name).read_bytes()


@pytest.fixture
def proposed(demo_db, demo_deps) -> dict[str, tuple[int, int]]:
    """Action name -> (case id, action id) of two processed demo refund requests."""
    ingest(
        demo_db,
        demo_email("08-returns-refund-not-received.eml"),
        demo_email("13-billing-charged-twice.eml"),
    )
    process_pending(demo_deps)
    with demo_db.session() as session:
        rows = session.scalars(select(ProposedAction).order_by(ProposedAction.id)).all()
        return {f"{a.name}:{a.case_id}": (a.case_id, a.id) for a in rows}


def action_path(case_id: int, action_id: int) -> str:
    return f"/api/v1/cases/{case_id}/actions/{action_id}"


def status_of(db, action_id: int) -> str:
    with db.session() as session:
        return session.get_one(ProposedAction, action_id).status


async def test_a_reviewer_accepts_an_action_once_and_it_is_audited(
    api, accounts, proposed, demo_db
) -> None:
    case_id, action_id = next(v for k, v in proposed.items() if k.startswith("refund:"))
    async with api(token=accounts["reviewer"].token) as client:
        response = await client.post(action_path(case_id, action_id), json={"accept": True})
        again = await client.post(action_path(case_id, action_id), json={"accept": False})
    assert response.status_code == 200
    [action] = [a for a in response.json()["actions"] if a["id"] == action_id]
    assert action["status"] == "accepted"
    assert action["decided_by"] == "reviewer@brightwave.example" and action["decided_at"]
    assert again.status_code == 409 and again.json()["error"]["type"] == "StateError"
    with demo_db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "action_accept")
        ).one()
        assert (entry.case_id, entry.actor) == (case_id, "reviewer@brightwave.example")
        assert entry.detail["action_id"] == action_id and entry.detail["name"] == "refund"
    assert status_of(demo_db, action_id) == "accepted"


async def test_declining_keeps_the_decision_and_the_case_status(api, accounts, proposed) -> None:
    case_id, action_id = next(iter(proposed.values()))
    async with api(token=accounts["admin"].token) as client:
        case = (await client.post(action_path(case_id, action_id), json={"accept": False})).json()
    assert case["status"] == "awaiting_review"
    assert [a["status"] for a in case["actions"] if a["id"] == action_id] == ["declined"]


async def test_a_viewer_may_not_decide(api, accounts, proposed, demo_db) -> None:
    case_id, action_id = next(iter(proposed.values()))
    async with api(token=accounts["viewer"].token) as client:
        response = await client.post(action_path(case_id, action_id), json={"accept": True})
    assert response.status_code == 403
    assert status_of(demo_db, action_id) == "proposed"


async def test_another_tenant_and_another_case_answer_404(
    api, accounts, proposed, other_tenant, demo_db
) -> None:
    (case_id, action_id), (other_case, _) = list(proposed.values())[0], list(proposed.values())[-1]
    assert other_case != case_id
    async with api(token=other_tenant.account.token) as client:
        foreign = await client.post(action_path(case_id, action_id), json={"accept": True})
    async with api(token=accounts["reviewer"].token) as client:
        # The action exists, but not on the case the path names.
        elsewhere = await client.post(action_path(other_case, action_id), json={"accept": True})
        unknown = await client.post(action_path(case_id, 99999), json={"accept": True})
    assert foreign.status_code == 404 and foreign.json()["error"]["message"] == f"no case {case_id}"
    assert elsewhere.status_code == 404 and unknown.status_code == 404
    assert status_of(demo_db, action_id) == "proposed"


async def test_the_decision_must_be_a_boolean(api, accounts, proposed) -> None:
    case_id, action_id = next(iter(proposed.values()))
    async with api(token=accounts["reviewer"].token) as client:
        missing = await client.post(action_path(case_id, action_id), json={})
        extra = await client.post(action_path(case_id, action_id), json={"accept": True, "x": 1})
    assert missing.status_code == 422 and extra.status_code == 422
