"""Who may see and do what in the console: sign-in, roles, CSRF, tenant isolation."""

from __future__ import annotations

import pytest

from tests.web.conftest import log_in

PAGES = ("/", "/cases/{case}", "/kb", "/kb?q=refund", "/settings")
ACTIONS = {  # path -> a form that would succeed for a reviewer
    "/cases/{case}/approve": {"draft_version": "1", "mode": "draft"},
    "/cases/{case}/reject": {"reason": "wrong answer"},
    "/cases/{case}/escalate": {"reason": "needs a person"},
    "/cases/{case}/label": {"label": "billing"},
    "/cases/{case}/feedback": {"rating": "up"},
    "/bulk-approve": {},
}


def paths(templates, case_id: int) -> list[str]:
    return [p.format(case=case_id) for p in templates]


@pytest.mark.anyio
async def test_every_page_asks_a_stranger_to_sign_in(api, review_cases) -> None:
    async with api() as client:
        for path in paths(PAGES, review_cases[0]):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next="), path


@pytest.mark.anyio
async def test_every_page_renders_for_a_viewer(api, accounts, review_cases) -> None:
    async with api() as client:
        await log_in(client, accounts["viewer"])
        for path in paths(PAGES, review_cases[0]):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert "viewer@brightwave.example" in response.text
        case_page = await client.get(f"/cases/{review_cases[0]}")
    # A viewer sees the draft but gets no decision forms.
    assert 'action="/cases/' not in case_page.text


@pytest.mark.anyio
async def test_a_viewer_posting_any_action_is_refused(api, accounts, review_cases) -> None:
    async with api() as client:
        token = await log_in(client, accounts["viewer"])
        for path, form in ACTIONS.items():
            response = await client.post(
                path.format(case=review_cases[0]), data={**form, "csrf_token": token}
            )
            assert response.status_code == 403, path
        assert (
            await client.post("/settings/thresholds", data={"csrf_token": token})
        ).status_code == 403
        status = (await client.get(f"/api/v1/cases/{review_cases[0]}")).json()["status"]
    assert status == "awaiting_review"


@pytest.mark.anyio
async def test_thresholds_are_for_admins_only(api, accounts) -> None:
    async with api() as client:
        token = await log_in(client, accounts["reviewer"])
        response = await client.post(
            "/settings/thresholds", data={"csrf_token": token, "max_passages": "2"}
        )
    assert response.status_code == 403


@pytest.mark.anyio
async def test_a_form_without_the_sessions_csrf_token_is_refused(
    api, accounts, review_cases
) -> None:
    async with api() as client:
        await log_in(client, accounts["reviewer"])
        del client.headers["X-CSRF-Token"]  # the form's field is the only token sent
        for path, form in ACTIONS.items():
            forged = await client.post(
                path.format(case=review_cases[0]), data={**form, "csrf_token": "forged"}
            )
            missing = await client.post(path.format(case=review_cases[0]), data=form)
            assert (forged.status_code, missing.status_code) == (403, 403), path
        status = (await client.get(f"/api/v1/cases/{review_cases[0]}")).json()["status"]
    assert status == "awaiting_review"


@pytest.mark.anyio
async def test_another_tenants_case_is_not_found(api, accounts, other_tenant) -> None:
    foreign = other_tenant.case_id
    async with api() as client:
        token = await log_in(client, accounts["admin"])
        page = await client.get(f"/cases/{foreign}")
        posted = {
            path: (await client.post(path.format(case=foreign), data={**form, "csrf_token": token}))
            for path, form in ACTIONS.items()
            if path.startswith("/cases/")
        }
        queue = await client.get("/?status=all")
    assert page.status_code == 404 and "Acme" not in page.text
    assert {p: r.status_code for p, r in posted.items()} == dict.fromkeys(posted, 404)
    assert f'href="/cases/{foreign}"' not in queue.text
    assert "hedge trimmer" not in queue.text
