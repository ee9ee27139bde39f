from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.store.models import AuditEntry, DraftFeedback, OutboxEntry, ReviewDecision

pytestmark = pytest.mark.anyio


async def post(api, account, path: str, body: dict | None = None):
    async with api(token=account.token) as client:
        return await client.post(path, json=body if body is not None else {})


async def test_approve_as_drafted_queues_the_reply_and_records_the_reviewer(
    api, accounts, drafted, demo_db
) -> None:
    reviewer = accounts["reviewer"]
    response = await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/approve")
    again = await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/approve")
    case = response.json()
    assert response.status_code == 200 and case["status"] == "approved"
    assert case["decisions"][-1]["decision"] == "approve"
    assert case["decisions"][-1]["reviewer"] == "reviewer@brightwave.example"
    assert case["outbox"]["status"] == "pending"
    assert again.status_code == 409 and again.json()["error"]["type"] == "StateError"
    with demo_db.session() as session:
        assert session.scalar(select(OutboxEntry.case_id)) == drafted[0]


async def test_approve_with_an_edit_and_a_label_keeps_both(api, accounts, drafted) -> None:
    body = {"text": "Hello Ana,\n\nPlease restart the robot.\n", "label": "warranty"}
    case = (await post(api, accounts["admin"], f"/api/v1/cases/{drafted[0]}/approve", body)).json()
    assert case["decisions"][-1]["decision"] == "edit" and case["decisions"][-1]["edit_diff"]
    assert case["draft"]["text"] == body["text"] and case["draft"]["version"] == 2
    assert case["category"] == "warranty"
    assert case["reviewed_label"]["label"] == "warranty"


async def test_drafts_lists_every_version_with_its_ratings(api, accounts, drafted) -> None:
    reviewer = accounts["reviewer"]
    await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/feedback", {"rating": "down"})
    await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/approve", {"text": "Edited reply."})
    async with api(token=accounts["viewer"].token) as client:
        versions = (await client.get(f"/api/v1/cases/{drafted[0]}/drafts")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["author"] != reviewer.email and versions[1]["author"] == reviewer.email
    assert versions[1]["text"] == "Edited reply."
    assert [f["rating"] for f in versions[0]["feedback"]] == ["down"]
    assert versions[1]["feedback"] == []


async def test_reject_needs_a_reason(api, accounts, drafted) -> None:
    reviewer = accounts["reviewer"]
    missing = await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/reject", {})
    blank = await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/reject", {"reason": "  "})
    done = await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/reject", {"reason": "spam"})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["loc"] == ["body", "reason"]
    assert blank.status_code == 400
    assert done.json()["status"] == "rejected"
    assert done.json()["decisions"][-1] == {
        **done.json()["decisions"][-1],
        "decision": "reject",
        "reason": "spam",
        "reviewer": reviewer.email,
    }


async def test_escalate_hands_the_case_to_a_person_audited(api, accounts, drafted, demo_db) -> None:
    body = {"reason": "customer threatens legal action", "assignee": "ADMIN@brightwave.example"}
    case = (
        await post(api, accounts["reviewer"], f"/api/v1/cases/{drafted[0]}/escalate", body)
    ).json()
    assert case["status"] == "needs_human"
    assert case["status_reason"] == "customer threatens legal action"
    assert case["decisions"][-1]["decision"] == "escalate"
    with demo_db.session() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.case_id == drafted[0])
            .order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None and entry.actor == "reviewer@brightwave.example"
    assert (entry.from_status, entry.to_status) == ("awaiting_review", "needs_human")
    assert entry.detail["assignee"] == "admin@brightwave.example"
    assert entry.detail["reason"] == "customer threatens legal action"


async def test_escalate_refuses_unknown_assignees_and_decided_cases(
    api, accounts, drafted, other_tenant
) -> None:
    reviewer = accounts["reviewer"]
    path = f"/api/v1/cases/{drafted[0]}/escalate"
    stranger = await post(api, reviewer, path, {"reason": "x", "assignee": "nobody@example.com"})
    # a user of tenant B is no assignee for tenant A
    other = await post(api, reviewer, path, {"reason": "x", "assignee": other_tenant.account.email})
    await post(api, reviewer, f"/api/v1/cases/{drafted[0]}/approve")
    decided = await post(api, reviewer, path, {"reason": "too late"})
    assert stranger.status_code == 400 and other.status_code == 400
    assert other.json() == {
        "error": {
            "type": "InputError",
            "message": f"no user {other_tenant.account.email} in this tenant to assign the case to",
        }
    }
    assert decided.status_code == 409


async def test_label_sets_the_category_and_refuses_unknown_ones(api, accounts, drafted) -> None:
    reviewer = accounts["reviewer"]
    case = (
        await post(api, reviewer, f"/api/v1/cases/{drafted[1]}/label", {"label": "billing"})
    ).json()
    unknown = await post(api, reviewer, f"/api/v1/cases/{drafted[1]}/label", {"label": "gossip"})
    assert case["category"] == "billing" and case["reviewed_label"]["reviewer"] == reviewer.email
    assert unknown.status_code == 400 and "not a category" in unknown.json()["error"]["message"]


async def test_feedback_is_stored_once_per_reviewer_and_draft(
    api, accounts, drafted, demo_db
) -> None:
    path = f"/api/v1/cases/{drafted[0]}/feedback"
    first = await post(api, accounts["reviewer"], path, {"rating": "down", "reason": "too long"})
    second = await post(api, accounts["reviewer"], path, {"rating": "up"})
    other = await post(api, accounts["admin"], path, {"rating": "up", "reason": "good"})
    invalid = await post(api, accounts["reviewer"], path, {"rating": "meh"})
    assert first.status_code == 200 and first.json()["reason"] == "too long"
    assert second.json()["rating"] == "up" and second.json()["reason"] is None
    assert other.status_code == 200
    assert invalid.status_code == 422
    with demo_db.session() as session:
        rows = {r.reviewer: r.rating for r in session.scalars(select(DraftFeedback))}
    assert rows == {"reviewer@brightwave.example": "up", "admin@brightwave.example": "up"}


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", {}),
        ("reject", {"reason": "no"}),
        ("escalate", {"reason": "no"}),
        ("label", {"label": "billing"}),
        ("feedback", {"rating": "up"}),
    ],
)
async def test_viewers_may_not_review(api, accounts, drafted, demo_db, action, body) -> None:
    response = await post(api, accounts["viewer"], f"/api/v1/cases/{drafted[0]}/{action}", body)
    anonymous = await post(api, _Anonymous(), f"/api/v1/cases/{drafted[0]}/{action}", body)
    assert response.status_code == 403
    assert response.json() == {
        "error": {"type": "Forbidden", "message": "the viewer role may not review"}
    }
    assert anonymous.status_code == 401
    with demo_db.session() as session:
        assert session.scalar(select(ReviewDecision.id)) is None


class _Anonymous:
    token = None


async def test_reviewing_an_unknown_case_is_404(api, accounts) -> None:
    response = await post(api, accounts["reviewer"], "/api/v1/cases/999999/approve")
    assert response.status_code == 404


async def test_a_session_needs_the_csrf_header_to_review(api, accounts, logged_in, drafted) -> None:
    async with api() as client:
        await logged_in(client, accounts["reviewer"])
        token = client.headers.pop("X-CSRF-Token")
        refused = await client.post(f"/api/v1/cases/{drafted[0]}/feedback", json={"rating": "up"})
        client.headers["X-CSRF-Token"] = token
        accepted = await client.post(f"/api/v1/cases/{drafted[0]}/feedback", json={"rating": "up"})
    assert refused.status_code == 403 and accepted.status_code == 200
