"""The case page's "Proposed actions" box: what it shows, and deciding through its forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.store.models import ProposedAction
from tests.web.conftest import log_in

pytestmark = pytest.mark.anyio


def refund_of(db, case_id: int) -> ProposedAction:
    with db.session() as session:
        return session.scalars(
            select(ProposedAction).where(
                ProposedAction.case_id == case_id, ProposedAction.name == "refund"
            )
        ).one()


async def test_a_reviewer_sees_the_proposal_and_accepts_it(
    api, accounts, review_cases, demo_db
) -> None:
    case_id = review_cases[1]  # the refund request
    action = refund_of(demo_db, case_id)
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        page = (await client.get(f"/cases/{case_id}")).text
        response = await client.post(
            f"/cases/{case_id}/actions/{action.id}", data={"csrf_token": token, "accept": "true"}
        )
        after = await client.get(response.headers["location"])
    assert "Proposed actions" in page and "Refund order BW-498755" in page
    assert "category returns_refunds; order_id BW-498755" in page
    assert "recorded for the team to carry out" in page
    assert f'action="/cases/{case_id}/actions/{action.id}"' in page
    assert response.status_code == 303 and response.headers["location"] == f"/cases/{case_id}"
    assert "Refund order BW-498755: accepted." in after.text
    assert f'action="/cases/{case_id}/actions/{action.id}"' not in after.text
    decided = refund_of(demo_db, case_id)
    assert (decided.status, decided.decided_by) == ("accepted", "reviewer@brightwave.example")


async def test_deciding_twice_is_refused_with_a_notice(
    api, accounts, review_cases, demo_db
) -> None:
    case_id = review_cases[1]
    action = refund_of(demo_db, case_id)
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        path = f"/cases/{case_id}/actions/{action.id}"
        await client.post(path, data={"csrf_token": token, "accept": "false"})
        again = await client.post(path, data={"csrf_token": token, "accept": "true"})
        notice = (await client.get(again.headers["location"])).text
    assert "was already declined by reviewer@brightwave.example" in notice
    assert refund_of(demo_db, case_id).status == "declined"


async def test_a_viewer_sees_no_buttons_and_may_not_decide(
    api, accounts, review_cases, demo_db
) -> None:
    case_id = review_cases[1]
    action = refund_of(demo_db, case_id)
    async with api() as client:
        token = await log_in(client, accounts["viewer"])
        page = (await client.get(f"/cases/{case_id}")).text
        response = await client.post(
            f"/cases/{case_id}/actions/{action.id}", data={"csrf_token": token, "accept": "true"}
        )
    assert "Refund order BW-498755" in page
    assert f'action="/cases/{case_id}/actions/{action.id}"' not in page
    assert response.status_code == 403
    assert refund_of(demo_db, case_id).status == "proposed"


async def test_a_form_without_the_csrf_token_is_refused(
    api, accounts, review_cases, demo_db
) -> None:
    case_id = review_cases[1]
    action = refund_of(demo_db, case_id)
    async with api() as client:
        await log_in(client, accounts["reviewer"])
        del client.headers["X-CSRF-Token"]
        forged = await client.post(
            f"/cases/{case_id}/actions/{action.id}", data={"csrf_token": "x", "accept": "true"}
        )
    assert forged.status_code == 403
    assert refund_of(demo_db, case_id).status == "proposed"


async def test_another_tenants_case_or_another_cases_action_is_not_found(
    api, accounts, review_cases, other_tenant, demo_db
) -> None:
    case_id = review_cases[1]
    action = refund_of(demo_db, case_id)
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        foreign = await client.post(
            f"/cases/{other_tenant.case_id}/actions/{action.id}",
            data={"csrf_token": token, "accept": "true"},
        )
        elsewhere = await client.post(
            f"/cases/{review_cases[0]}/actions/{action.id}",
            data={"csrf_token": token, "accept": "true"},
        )
        notice = (await client.get(elsewhere.headers["location"])).text
    assert foreign.status_code == 404
    assert f"case {review_cases[0]} has no proposed action {action.id}" in notice
    assert refund_of(demo_db, case_id).status == "proposed"
