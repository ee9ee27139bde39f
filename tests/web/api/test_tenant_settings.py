from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.store.models import AuditEntry, Tenant
from supportflow.tenant_settings import replace_block
from supportflow.tenants import ResourceCache

pytestmark = pytest.mark.anyio
THRESHOLDS = "/api/v1/tenant/settings/thresholds"


async def test_settings_show_categories_thresholds_and_templates(api, accounts) -> None:
    async with api(token=accounts["viewer"].token) as client:
        settings = (await client.get("/api/v1/tenant/settings")).json()
    assert settings["tenant"]["slug"] == "brightwave"
    assert "order_status" in [c["name"] for c in settings["categories"]]
    assert settings["thresholds"]["classify_min_confidence"] == 0.45
    assert settings["thresholds"]["cache_min_similarity"] == 0.92  # a default, filled in
    assert "order_status.j2" in settings["templates"]


async def test_an_admin_changes_thresholds_in_tenant_yaml_keeping_its_comments(
    api, accounts, demo_home, demo_db
) -> None:
    config = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    async with api(token=accounts["admin"].token) as client:
        changed = await client.patch(THRESHOLDS, json={"classify_min_confidence": 0.6})
        shown = (await client.get("/api/v1/tenant/settings")).json()["thresholds"]
    assert changed.status_code == 200
    assert changed.json()["classify_min_confidence"] == 0.6
    assert changed.json()["rule_min_confidence"] == 0.9  # untouched
    assert shown == changed.json()
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# Demo tenant: Brightwave Home Robotics")
    assert "classify_min_confidence: 0.6\n" in text and "max_passages: 3\n" in text
    assert "cache_min_similarity" not in text  # defaults stay defaults
    with demo_db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "settings")).one()
    assert entry.actor == "admin@brightwave.example"
    assert entry.detail == {"classify_min_confidence": [0.45, 0.6]}


async def test_a_thresholds_change_reaches_a_running_worker(api, accounts, demo_db) -> None:
    cache = ResourceCache()
    with demo_db.session() as session:
        tenant = session.query(Tenant).filter_by(slug="brightwave").one()
        assert cache.get(tenant).config.thresholds.max_passages == 3
        async with api(token=accounts["admin"].token) as client:
            await client.patch(THRESHOLDS, json={"max_passages": 5})
        assert cache.get(tenant).config.thresholds.max_passages == 5


@pytest.mark.parametrize(
    "body",
    [{"classify_min_confidence": 1.5}, {"max_passages": "many"}, {"no_such_threshold": 1}],
)
async def test_invalid_thresholds_are_422_and_change_nothing(
    api, accounts, demo_home, body
) -> None:
    config = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    before = config.read_text(encoding="utf-8")
    async with api(token=accounts["admin"].token) as client:
        response = await client.patch(THRESHOLDS, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][:2] == ["body", next(iter(body))]
    assert config.read_text(encoding="utf-8") == before


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
async def test_only_admins_change_thresholds(api, accounts, role: str) -> None:
    async with api(token=accounts[role].token) as client:
        response = await client.patch(THRESHOLDS, json={"max_passages": 1})
    assert response.status_code == 403


async def test_settings_need_a_token(api) -> None:
    async with api() as client:
        assert (await client.get("/api/v1/tenant/settings")).status_code == 401
        assert (await client.patch(THRESHOLDS, json={})).status_code == 401


NEW_BLOCK = "thresholds:\n  max_passages: 5\n"


def test_replace_block_keeps_the_comment_above_the_next_key() -> None:
    text = "a: 1\nthresholds:\n  # why\n  max_passages: 3\n\n# about b\nb: 2\n"
    assert replace_block(text, NEW_BLOCK) == f"a: 1\n{NEW_BLOCK}\n# about b\nb: 2\n"


def test_replace_block_replaces_a_flow_mapping_and_appends_when_absent() -> None:
    assert replace_block("thresholds: {max_passages: 3}\nb: 2\n", NEW_BLOCK) == NEW_BLOCK + "b: 2\n"
    assert replace_block("a: 1", NEW_BLOCK) == f"a: 1\n\n{NEW_BLOCK}"
