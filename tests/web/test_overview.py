"""The overview page and the outcome-metrics API: login, tenant scope, filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from supportflow.cases.intake import accept_raw_email
from supportflow.cases.review import approve_case
from supportflow.store.models import LlmCall, Tenant
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import customer_email

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def approved_case(demo_db, demo_deps) -> int:
    """One drafted technical_issue case approved as drafted, and one left awaiting review."""
    with demo_db.session() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == "brightwave")).one()
        first, _ = (
            accept_raw_email(session, tenant=tenant, raw=customer_email(i), origin="test").case_id
            for i in (1, 2)
        )
    process_pending(demo_deps)
    with demo_db.session() as session:
        approve_case(session, case_id=first, reviewer="reviewer@brightwave.example")
    return first


@pytest.mark.anyio
async def test_the_api_gives_the_tenants_figures_to_any_role(
    api, accounts, other_tenant, approved_case: int
) -> None:
    async with api(token=accounts["viewer"].token) as client:
        response = await client.get("/api/v1/metrics/outcomes")
    assert response.status_code == 200
    figures = response.json()
    assert figures["cases"] == 2  # tenant B's case is not counted
    assert figures["involvement"] == {"rate": 1.0, "count": 2, "of": 2}
    assert figures["approved_unedited"] == {"rate": 1.0, "count": 1, "of": 1}
    assert figures["volume_per_category"] == [{"category": "technical_issue", "cases": 2}]
    assert figures["median_seconds_to_first_draft"] is not None
    async with api(token=other_tenant.account.token) as client:
        theirs = (await client.get("/api/v1/metrics/outcomes")).json()
    assert theirs["cases"] == 1


@pytest.mark.anyio
async def test_the_api_filters_by_category_and_period(api, accounts, approved_case: int) -> None:
    async with api(token=accounts["viewer"].token) as client:
        billing = (await client.get("/api/v1/metrics/outcomes?category=billing")).json()
        today = (
            await client.get("/api/v1/metrics/outcomes", params={"from": TODAY, "to": TODAY})
        ).json()
        past = (await client.get("/api/v1/metrics/outcomes?to=2000-01-01")).json()
    assert billing["cases"] == 0 and billing["involvement"]["rate"] is None
    assert billing["filters"] == {"category": "billing", "from": None, "to": None}
    assert today["cases"] == 2
    assert past["cases"] == 0


@pytest.mark.anyio
async def test_the_api_refuses_anonymous_callers_and_backwards_periods(api, accounts) -> None:
    async with api() as client:
        anonymous = await client.get("/api/v1/metrics/outcomes")
    async with api(token=accounts["viewer"].token) as client:
        backwards = await client.get("/api/v1/metrics/outcomes?from=2026-03-02&to=2026-03-01")
        bad_date = await client.get("/api/v1/metrics/outcomes?from=yesterday")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "Unauthorized"
    assert backwards.status_code == 400
    assert "before it starts" in backwards.json()["error"]["message"]
    assert bad_date.status_code == 422


@pytest.mark.anyio
async def test_the_page_needs_a_login(api) -> None:
    async with api() as client:
        response = await client.get("/overview?category=billing")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/overview")


@pytest.mark.anyio
async def test_the_page_shows_the_figures(api, accounts, logged_in, approved_case: int) -> None:
    async with api() as client:
        await logged_in(client, accounts["viewer"])
        page = await client.get("/overview")
        billing = await client.get("/overview?category=billing&from=&to=")
        backwards = await client.get("/overview?from=2026-03-02&to=2026-03-01")
        not_a_date = await client.get("/overview?from=soon")
    assert page.status_code == 200
    assert 'data-metric="cases">2<' in page.text
    assert 'data-metric="approved_unedited">100.0%<' in page.text
    assert "technical_issue" in page.text
    assert billing.status_code == 200
    assert 'data-metric="cases">0<' in billing.text
    assert '<option value="billing" selected>' in billing.text
    assert backwards.status_code == 400 and "before it starts" in backwards.text
    assert not_a_date.status_code == 400 and "not a date" in not_a_date.text


@pytest.mark.anyio
async def test_the_llm_usage_api_reports_the_tenants_calls_only(
    api, accounts, other_tenant, demo_db
) -> None:
    with demo_db.session() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == "brightwave")).one()
        session.add(
            LlmCall(tenant_id=tenant.id, task="draft", endpoint="http://x/v1", model="m",
                    prompt_tokens=100, completion_tokens=20, cost=0.5, latency_ms=900.0,
                    outcome="ok")
        )  # fmt: skip
    async with api(token=accounts["viewer"].token) as client:
        ours = (await client.get("/api/v1/metrics/llm")).json()
        backwards = await client.get("/api/v1/metrics/llm?from=2026-03-02&to=2026-03-01")
    async with api(token=other_tenant.account.token) as client:
        theirs = (await client.get("/api/v1/metrics/llm")).json()
    assert (ours["calls"], ours["tokens"], ours["cost"]) == (1, 120, 0.5)
    assert ours["days"][0]["day"] == TODAY and ours["to"] == TODAY
    assert theirs["calls"] == 0 and theirs["days"] == []
    assert backwards.status_code == 400
