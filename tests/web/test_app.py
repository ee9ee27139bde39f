from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from supportflow.cases.intake import accept_raw_email
from supportflow.store.models import Tenant
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import customer_email


def ingest_demo(db, *raws: bytes) -> list[int]:
    """Ingest into the demo tenant (tests may add a second tenant)."""
    with db.session() as session:
        tenant = session.scalars(select(Tenant).where(Tenant.slug == "brightwave")).one()
        return [
            accept_raw_email(session, tenant=tenant, raw=raw, origin="test").case_id for raw in raws
        ]


@pytest.fixture
def case_id(demo_db, demo_deps) -> int:
    [case_id] = ingest_demo(demo_db, customer_email())
    process_pending(demo_deps)
    return case_id


@pytest.fixture
def client(api, accounts) -> httpx.AsyncClient:
    """An admin's API token client (the pages are tested through a login below)."""
    return api(token=accounts["admin"].token)


@pytest.mark.anyio
async def test_the_console_pages_open_for_a_signed_in_user(
    api, accounts, logged_in, case_id: int
) -> None:
    async with api() as browser:
        await logged_in(browser, accounts["viewer"])
        queue = await browser.get("/")
        page = await browser.get(f"/cases/{case_id}")
    assert queue.status_code == 200 and "Robot stops with E-104" in queue.text
    assert f'href="/cases/{case_id}"' in queue.text
    assert page.status_code == 200 and "Robot stops with E-104" in page.text


@pytest.mark.anyio
async def test_api_case_and_missing_case_error(client, case_id: int) -> None:
    async with client:
        listed = (await client.get("/api/v1/cases")).json()
        detail = (await client.get(f"/api/v1/cases/{case_id}")).json()
        missing = await client.get("/api/v1/cases/999")
    assert [c["id"] for c in listed["items"]] == [case_id]
    assert detail["status"] == "awaiting_review" and detail["draft"]["text"]
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "NotFoundError", "message": "no case 999"}}


@pytest.mark.anyio
async def test_health_endpoints(client) -> None:
    async with client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ready"}


@pytest.mark.anyio
async def test_kb_documents_upload_search_and_remove(client) -> None:
    article = b"# Teak care\n\nOil the teak patio table twice a year with linseed oil.\n"
    async with client:
        uploaded = await client.put(
            "/api/v1/kb/documents/teak-care.md?category=product_info", content=article
        )
        listed = (await client.get("/api/v1/kb/documents")).json()
        found = (
            await client.get(
                "/api/v1/kb/search", params={"q": "how often should I oil teak", "k": 3}
            )
        ).json()
        document_id = uploaded.json()["changes"][0]["document_id"]
        removed = await client.delete(f"/api/v1/kb/documents/{document_id}")
        after = (await client.get("/api/v1/kb/documents")).json()
        unsafe = await client.put("/api/v1/kb/documents/..%2Fescape.md", content=article)
    assert uploaded.status_code == 200 and uploaded.json()["changes"][0]["status"] == "added"
    assert any(d["title"] == "Teak care" for d in listed)
    assert found["mode"] == "hybrid" and found["passages"][0]["title"] == "Teak care"
    assert removed.json()["changes"][0]["status"] == "removed"
    assert not any(d["title"] == "Teak care" for d in after)
    assert unsafe.status_code in (400, 404)


@pytest.mark.anyio
async def test_kb_upload_of_a_broken_pdf_is_a_clear_error(client) -> None:
    async with client:
        response = await client.put("/api/v1/kb/documents/broken.pdf", content=b"%PDF-1.7 junk")
    assert response.status_code == 400
    assert "broken.pdf" in response.json()["error"]["message"]
