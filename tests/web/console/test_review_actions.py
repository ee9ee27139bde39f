"""Decisions taken on the case page, through the console's forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.store.models import Case, Draft, DraftFeedback, OutboxEntry, ReviewDecision
from tests.web.conftest import log_in


def status_of(db, case_id: int) -> str:
    with db.session() as session:
        return session.get_one(Case, case_id).status


@pytest.mark.anyio
async def test_approving_an_edit_queues_the_edited_reply_and_moves_on(
    api, accounts, review_cases, demo_db
) -> None:
    first, second, _ = review_cases
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        page = await client.get(f"/cases/{first}")
        assert 'name="draft_version" value="1"' in page.text
        response = await client.post(
            f"/cases/{first}/approve",
            data={
                "csrf_token": token,
                "draft_version": "1",
                "mode": "edited",
                "text": "Hello,\r\n\r\nYour parcel is on its way.\r\n",
            },
        )
        assert response.status_code == 303
        next_page = await client.get(response.headers["location"])
    assert next_page.status_code == 200 and "approved; the reply to" in next_page.text
    with demo_db.session() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.case_id == first)).one()
        decision = session.scalars(
            select(ReviewDecision).where(ReviewDecision.case_id == first)
        ).one()
        versions = session.scalars(select(Draft.version).where(Draft.case_id == first)).all()
        assert entry.body_text == "Hello,\n\nYour parcel is on its way.\n"
        assert (decision.decision, decision.reviewer) == ("edit", "reviewer@brightwave.example")
        assert "+Your parcel is on its way." in (decision.edit_diff or "")
        assert sorted(versions) == [1, 2]
        assert session.get_one(Case, first).status == "approved"


@pytest.mark.anyio
async def test_approve_as_drafted_ignores_the_editor_and_refuses_a_stale_version(
    api, accounts, review_cases, demo_db
) -> None:
    first = review_cases[0]
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        stale = await client.post(
            f"/cases/{first}/approve",
            data={"csrf_token": token, "draft_version": "7", "mode": "draft"},
        )
        assert stale.headers["location"] == f"/cases/{first}"
        assert (
            "the draft changed since you opened it"
            in (await client.get(stale.headers["location"])).text
        )
        assert status_of(demo_db, first) == "awaiting_review"
        await client.post(
            f"/cases/{first}/approve",
            data={"csrf_token": token, "draft_version": "1", "mode": "draft", "text": "ignored"},
        )
    with demo_db.session() as session:
        entry = session.scalars(select(OutboxEntry).where(OutboxEntry.case_id == first)).one()
        draft = session.scalars(select(Draft).where(Draft.case_id == first)).one()
        assert entry.body_text == draft.body_text


@pytest.mark.anyio
async def test_reject_needs_a_reason_and_keeps_it(api, accounts, review_cases, demo_db) -> None:
    case_id = review_cases[1]
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        empty = await client.post(
            f"/cases/{case_id}/reject", data={"csrf_token": token, "reason": " "}
        )
        notice = (await client.get(empty.headers["location"])).text
        assert "a rejection needs a reason" in notice
        assert status_of(demo_db, case_id) == "awaiting_review"
        await client.post(
            f"/cases/{case_id}/reject", data={"csrf_token": token, "reason": "asks about a refund"}
        )
        page = (await client.get(f"/cases/{case_id}")).text
    assert status_of(demo_db, case_id) == "rejected"
    assert "asks about a refund" in page  # in the decisions table
    assert 'id="approve-form"' not in page  # nothing left to approve


@pytest.mark.anyio
async def test_escalate_to_a_person_relabel_and_rate(api, accounts, review_cases, demo_db) -> None:
    case_id = review_cases[2]
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        await client.post(
            f"/cases/{case_id}/label", data={"csrf_token": token, "label": "warranty"}
        )
        await client.post(
            f"/cases/{case_id}/feedback",
            data={"csrf_token": token, "rating": "down", "reason": "missed the warranty"},
        )
        stranger = await client.post(
            f"/cases/{case_id}/escalate",
            data={"csrf_token": token, "reason": "x", "assignee": "nobody@else.example"},
        )
        shown = (await client.get(stranger.headers["location"])).text
        assert "not one of this tenant" in shown
        await client.post(
            f"/cases/{case_id}/escalate",
            data={
                "csrf_token": token,
                "reason": "a repair",
                "assignee": "admin@brightwave.example",
            },
        )
    with demo_db.session() as session:
        case = session.get_one(Case, case_id)
        rating = session.scalars(
            select(DraftFeedback).where(DraftFeedback.case_id == case_id)
        ).one()
        assert (case.status, case.status_reason, case.category) == (
            "needs_human",
            "a repair",
            "warranty",
        )
        assert (rating.rating, rating.reason) == ("down", "missed the warranty")


@pytest.mark.anyio
async def test_bulk_approve_takes_the_drafts_at_the_tenants_threshold(
    api, accounts, review_cases, demo_db, demo_home
) -> None:
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        assert "Bulk approve" not in (await client.get("/")).text  # off until configured
        config = demo_home / "tenants" / "brightwave" / "tenant.yaml"
        config.write_text(
            config.read_text(encoding="utf-8") + "\nreview:\n  bulk_approve_min_confidence: 0.0\n",
            encoding="utf-8",
        )
        queue = (await client.get("/")).text
        assert "Bulk approve 3 draft(s) with confidence ≥ 0.00" in queue
        response = await client.post("/bulk-approve", data={"csrf_token": token})
        after = (await client.get(response.headers["location"])).text
    assert "Approved 3 draft(s)" in after
    assert [status_of(demo_db, c) for c in review_cases] == ["approved"] * 3
