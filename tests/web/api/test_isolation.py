"""A token of tenant A (the demo tenant) never reads, lists, searches, changes or reviews
anything of tenant B, even with B's ids; and B's admin sees nothing of A."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from supportflow.store.models import AuditEntry, Case, DraftFeedback, ReviewDecision

pytestmark = pytest.mark.anyio

REVIEW_ACTIONS = [
    ("approve", {}),
    ("approve", {"text": "Edited by tenant A", "label": "billing"}),
    ("reject", {"reason": "not yours"}),
    ("escalate", {"reason": "not yours"}),
    ("label", {"label": "billing"}),
    ("feedback", {"rating": "down", "reason": "not yours"}),
]


def snapshot(db, case_id: int) -> tuple:
    """What a change to B's case would alter."""
    with db.session() as session:
        case = session.get_one(Case, case_id)
        return (
            case.status,
            case.category,
            session.scalar(select(func.count(ReviewDecision.id))),
            session.scalar(select(func.count(DraftFeedback.id))),
            session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.case_id == case_id)),
        )


@pytest.mark.parametrize("path", ["/api/v1/cases/{id}", "/api/v1/cases/{id}/drafts"])
async def test_reading_tenant_bs_case_by_id_is_404(api, accounts, other_tenant, path) -> None:
    async with api(token=accounts["admin"].token) as client:
        response = await client.get(path.format(id=other_tenant.case_id))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"no case {other_tenant.case_id}"


@pytest.mark.parametrize(("action", "body"), REVIEW_ACTIONS)
async def test_reviewing_tenant_bs_case_is_404_and_changes_nothing(
    api, accounts, other_tenant, demo_db, action, body
) -> None:
    before = snapshot(demo_db, other_tenant.case_id)
    async with api(token=accounts["admin"].token) as client:
        response = await client.post(f"/api/v1/cases/{other_tenant.case_id}/{action}", json=body)
    assert response.status_code == 404
    assert snapshot(demo_db, other_tenant.case_id) == before


async def test_lists_searches_and_counts_hold_only_tenant_as_cases(
    api, accounts, other_tenant, drafted
) -> None:
    async with api(token=accounts["viewer"].token) as client:
        listed = (await client.get("/api/v1/cases", params={"limit": 200})).json()
        searched = (await client.get("/api/v1/cases", params={"q": "Acme"})).json()
        by_sender = (await client.get("/api/v1/cases", params={"q": "bruno"})).json()
        counts = (await client.get("/api/v1/cases/counts")).json()
    assert sorted(c["id"] for c in listed["items"]) == sorted(drafted)
    assert listed["total"] == len(drafted)
    assert searched["total"] == 0 and by_sender["total"] == 0
    assert sum(counts.values()) == len(drafted)


async def test_tenant_b_sees_nothing_of_tenant_a(api, accounts, other_tenant, drafted) -> None:
    async with api(token=other_tenant.account.token) as client:
        listed = (await client.get("/api/v1/cases")).json()
        detail = await client.get(f"/api/v1/cases/{drafted[0]}")
        approve = await client.post(f"/api/v1/cases/{drafted[0]}/approve", json={})
        users = (await client.get("/api/v1/users")).json()
        settings = (await client.get("/api/v1/tenant/settings")).json()
    assert [c["id"] for c in listed["items"]] == [other_tenant.case_id]
    assert detail.status_code == 404 and approve.status_code == 404
    assert [u["email"] for u in users] == [other_tenant.account.email]
    assert settings["tenant"]["slug"] == "acme"


async def test_settings_and_thresholds_are_the_tenants_own(
    api, accounts, other_tenant, demo_home
) -> None:
    other_yaml = demo_home / "tenants" / "acme" / "tenant.yaml"
    before = other_yaml.read_text(encoding="utf-8")
    async with api(token=accounts["admin"].token) as client:
        settings = (await client.get("/api/v1/tenant/settings")).json()
        changed = await client.patch(
            "/api/v1/tenant/settings/thresholds", json={"classify_min_confidence": 0.3}
        )
    assert settings["tenant"]["slug"] == "brightwave" and changed.status_code == 200
    assert other_yaml.read_text(encoding="utf-8") == before


async def test_users_and_tokens_are_the_tenants_own(api, accounts, other_tenant, demo_db) -> None:
    async with api(token=other_tenant.account.token) as client:
        b_token = (await client.get("/api/v1/users/me/tokens")).json()[0]["id"]
    async with api(token=accounts["admin"].token) as client:
        users = (await client.get("/api/v1/users")).json()
        revoke = await client.delete(f"/api/v1/users/me/tokens/{b_token}")
        assign = await client.post(
            "/api/v1/users", json={"email": "new@brightwave.example", "role": "viewer"}
        )
    assert other_tenant.account.email not in [u["email"] for u in users]
    assert revoke.status_code == 404
    async with api(token=other_tenant.account.token) as client:
        assert (await client.get("/api/v1/users/me")).status_code == 200  # B's token lives
        b_users = (await client.get("/api/v1/users")).json()
    assert assign.status_code == 201
    assert "new@brightwave.example" not in [u["email"] for u in b_users]


async def test_knowledge_base_documents_of_tenant_b_stay_hidden(
    api, accounts, other_tenant
) -> None:
    async with api(token=accounts["admin"].token) as client:
        documents = (await client.get("/api/v1/kb/documents")).json()
        found = (await client.get("/api/v1/kb/search", params={"q": "Acme teak bench"})).json()
        removed = (
            await client.delete(f"/api/v1/kb/documents/{other_tenant.document_id}")
            if other_tenant.document_id is not None
            else None
        )
    assert "Acme teak bench care" not in [d["title"] for d in documents]
    assert "Acme teak bench care" not in [p["title"] for p in found["passages"]]
    assert removed is None or removed.status_code == 404
