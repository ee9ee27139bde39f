"""The knowledge-base and settings pages."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from supportflow.store.models import AuditEntry
from tests.web.conftest import log_in

ARTICLE = b"# Teak care\n\nOil the teak patio table twice a year with linseed oil.\n"


@pytest.mark.anyio
async def test_kb_page_uploads_lists_and_searches(api, accounts) -> None:
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        uploaded = await client.post(
            "/kb/upload",
            data={"csrf_token": token, "tags": "products, care"},
            files={"file": ("teak-care.md", ARTICLE, "text/markdown")},
        )
        page = (await client.get(uploaded.headers["location"])).text
        found = (
            await client.get("/kb", params={"q": "how often to oil teak", "mode": "keyword"})
        ).text
        broken = await client.post(
            "/kb/upload",
            data={"csrf_token": token},
            files={"file": ("broken.pdf", b"%PDF-1.7 junk", "application/pdf")},
        )
        broken_page = (await client.get(broken.headers["location"])).text
        unsafe = await client.post(
            "/kb/upload",
            data={"csrf_token": token},
            files={"file": ("../escape.md", ARTICLE, "text/markdown")},
        )
        unsafe_page = (await client.get(unsafe.headers["location"])).text
    assert "teak-care.md: added, 1 passage(s)." in page
    assert "<td>Teak care</td>" in page and "products, care" in page
    assert "mode keyword" in found and "Oil the teak patio table" in found and "score " in found
    assert "broken.pdf" in broken_page and 'class="notice error"' in broken_page
    assert "Teak care" in page and "broken.pdf" not in broken_page.split('id="documents"')[1]
    assert "unsafe document name" in unsafe_page or "unsupported type" in unsafe_page


@pytest.mark.anyio
async def test_settings_page_lists_and_an_admin_changes_thresholds(
    api, accounts, demo_home, demo_db
) -> None:
    config = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    async with api() as client:
        token = await log_in(client, accounts["admin"])
        page = (await client.get("/settings")).text
        bad = await client.post(
            "/settings/thresholds", data={"csrf_token": token, "classify_min_confidence": "2"}
        )
        bad_page = (await client.get(bad.headers["location"])).text
        good = await client.post(
            "/settings/thresholds",
            data={"csrf_token": token, "classify_min_confidence": "0.5", "max_passages": "3"},
        )
        good_page = (await client.get(good.headers["location"])).text
    assert "order_status.de.j2" in page and "technical_issue" in page
    assert 'name="classify_min_confidence" value="0.45"' in page
    assert "invalid thresholds" in bad_page
    assert (
        "classify_min_confidence 0.45 → 0.5" in good_page
        and "max_passages" not in good_page.split("Saved:")[1].split("</p>")[0]
    )
    assert (
        yaml.safe_load(config.read_text(encoding="utf-8"))["thresholds"]["classify_min_confidence"]
        == 0.5
    )
    assert config.read_text(encoding="utf-8").startswith("# Demo tenant")  # comments kept
    with demo_db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "settings")).one()
        assert entry.actor == "admin@brightwave.example"
        assert entry.detail == {"classify_min_confidence": [0.45, 0.5]}


@pytest.mark.anyio
async def test_a_viewer_sees_settings_read_only_and_no_upload(api, accounts) -> None:
    async with api() as client:
        await log_in(client, accounts["viewer"])
        settings = (await client.get("/settings")).text
        kb = (await client.get("/kb")).text
    assert "Save thresholds" not in settings and "readonly" in settings
    assert 'action="/kb/upload"' not in kb
