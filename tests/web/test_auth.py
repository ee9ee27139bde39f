"""Accounts in the web app: login, logout, sessions, CSRF, tokens, roles and tenant scoping."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import Depends

from supportflow.accounts.tokens import revoke_token
from supportflow.accounts.users import disable_user
from supportflow.config import Settings
from supportflow.web.app import create_app
from supportflow.web.auth import Principal, console_user
from supportflow.workers.embedded import process_pending
from tests.pipeline.test_workflow import customer_email
from tests.web.conftest import csrf_from
from tests.web.test_app import ingest_demo

pytestmark = pytest.mark.anyio


async def post_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(form.text)}
    )


@pytest.fixture
def case_id(demo_db, demo_deps) -> int:
    [case_id] = ingest_demo(demo_db, customer_email())
    process_pending(demo_deps)
    return case_id


async def test_login_starts_a_session_that_opens_the_console(api, accounts) -> None:
    async with api() as client:
        before = await client.get("/?status=sent")
        response = await post_login(
            client, "Reviewer@Brightwave.example", accounts["reviewer"].password
        )
        page = await client.get("/")
    assert (
        before.status_code == 303 and before.headers["location"] == "/login?next=/%3Fstatus%3Dsent"
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert page.status_code == 200 and 'action="/logout"' in page.text


async def test_login_comes_back_to_the_page_asked_for_and_never_leaves_the_site(
    api, accounts
) -> None:
    account = accounts["viewer"]
    async with api() as client:
        form = await client.get("/login?next=/cases/7")
        token = csrf_from(form.text)
        back = await client.post(
            "/login",
            data={
                "email": account.email,
                "password": account.password,
                "csrf_token": token,
                "next": "/cases/7",
            },
        )
    async with api() as client:
        form = await client.get("/login")
        away = await client.post(
            "/login",
            data={
                "email": account.email,
                "password": account.password,
                "csrf_token": csrf_from(form.text),
                "next": "//evil.example/",
            },
        )
    assert back.headers["location"] == "/cases/7"
    assert away.headers["location"] == "/"


async def test_wrong_password_and_unknown_email_get_the_same_answer(api, accounts) -> None:
    async with api() as client:
        wrong = await post_login(client, accounts["admin"].email, "not the password")
        unknown = await post_login(client, "nobody@brightwave.example", "not the password")
        page = await client.get("/")
    assert wrong.status_code == unknown.status_code == 401
    assert "wrong email or password" in wrong.text and "wrong email or password" in unknown.text
    assert page.status_code == 303  # still not signed in


async def test_logout_ends_the_session(api, accounts, logged_in) -> None:
    async with api() as client:
        token = await logged_in(client, accounts["viewer"])
        out = await client.post("/logout", data={"csrf_token": token})
        page = await client.get("/")
        api_call = await client.get("/api/v1/cases")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert page.status_code == 303
    assert api_call.status_code == 401


async def test_a_disabled_user_cannot_sign_in_and_their_session_and_token_stop(
    api, accounts, logged_in, demo_db
) -> None:
    account = accounts["reviewer"]
    async with api() as client:
        await logged_in(client, account)
        with demo_db.session() as session:
            disable_user(session, account.email)
        page = await client.get("/")
        del client.headers["X-CSRF-Token"]
        again = await post_login(client, account.email, account.password)
    async with api(token=account.token) as client:
        by_token = await client.get("/api/v1/cases")
    assert page.status_code == 303
    assert again.status_code == 401
    assert by_token.status_code == 401


async def test_repeated_failures_are_rate_limited_even_with_the_right_password(
    api, accounts
) -> None:
    account = accounts["admin"]
    async with api() as client:
        failures = [await post_login(client, account.email, f"guess {i}") for i in range(5)]
        limited = await post_login(client, account.email, account.password)
    assert [r.status_code for r in failures] == [401] * 5
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "too many failed logins" in limited.text


async def test_the_session_cookie_is_httponly_and_samesite(api, accounts) -> None:
    async with api() as client:
        response = await post_login(client, accounts["viewer"].email, accounts["viewer"].password)
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("supportflow_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


async def test_the_cookie_is_secure_when_configured(
    demo_db, demo_home, accounts, monkeypatch
) -> None:
    monkeypatch.setenv("SUPPORTFLOW_COOKIE_SECURE", "true")
    app = create_app(Settings(home=demo_home), demo_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await post_login(client, accounts["viewer"].email, accounts["viewer"].password)
    assert "; secure" in response.headers["set-cookie"].lower()


async def test_the_secret_key_is_generated_once_and_private(demo_home, api) -> None:
    key = demo_home / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_text()
    api()  # another app on the same data folder
    assert key.read_text() == first


async def test_posts_without_the_sessions_csrf_token_are_refused(api, accounts, logged_in) -> None:
    async with api() as client:
        token = await logged_in(client, accounts["viewer"])
        del client.headers["X-CSRF-Token"]
        forged = await client.post("/logout", data={"csrf_token": "forged"})
        missing = await client.post("/logout")
        still_in = await client.get("/")
        fine = await client.post("/logout", data={"csrf_token": token})
    assert forged.status_code == missing.status_code == 403
    assert "CSRF" in forged.text
    assert still_in.status_code == 200
    assert fine.status_code == 303


async def test_a_login_form_from_another_session_is_refused(api, accounts) -> None:
    async with api() as attacker:
        stolen = csrf_from((await attacker.get("/login")).text)
    account = accounts["viewer"]
    async with api() as victim:
        response = await victim.post(
            "/login",
            data={"email": account.email, "password": account.password, "csrf_token": stolen},
        )
    assert response.status_code == 403


async def test_unsafe_api_calls_with_the_cookie_need_the_csrf_header(
    api, accounts, logged_in
) -> None:
    async with api() as client:
        await logged_in(client, accounts["admin"])
        del client.headers["X-CSRF-Token"]
        response = await client.delete("/api/v1/kb/documents/1")
    assert response.status_code == 403
    assert response.json()["error"]["type"] == "Forbidden"


async def test_api_needs_a_token_or_a_session(api) -> None:
    async with api() as client:
        anonymous = await client.get("/api/v1/cases")
        malformed = await client.get("/api/v1/cases", headers={"Authorization": "Basic abc"})
    async with api(token="sf_not-a-real-token") as client:
        unknown = await client.get("/api/v1/cases")
    assert anonymous.status_code == malformed.status_code == unknown.status_code == 401
    assert anonymous.json()["error"]["type"] == "Unauthorized"
    assert anonymous.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_token_is_refused(api, accounts, demo_db) -> None:
    from sqlalchemy import select

    from supportflow.store.models import ApiToken

    account = accounts["reviewer"]
    async with api(token=account.token) as client:
        before = await client.get("/api/v1/cases")
        with demo_db.session() as session:
            token_id = session.scalars(
                select(ApiToken.id).where(ApiToken.user_id == account.user_id)
            ).one()
            revoke_token(session, user_id=account.user_id, token_id=token_id)
        after = await client.get("/api/v1/cases")
    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"] == {
        "type": "Unauthorized",
        "message": "unknown or revoked API token",
    }


async def test_roles_limit_what_a_user_may_do(api, accounts) -> None:
    article = b"# Viewer note\n\nViewers may not change the knowledge base.\n"
    async with api(token=accounts["viewer"].token) as client:
        denied = await client.put("/api/v1/kb/documents/viewer-note.md", content=article)
        readable = await client.get("/api/v1/kb/documents")
    async with api(token=accounts["reviewer"].token) as client:
        reviewer_denied = await client.put("/api/v1/kb/documents/viewer-note.md", content=article)
    assert denied.status_code == reviewer_denied.status_code == 403
    assert denied.json()["error"] == {
        "type": "Forbidden",
        "message": "the viewer role may not admin",
    }
    assert readable.status_code == 200


async def test_a_role_lacking_a_permission_gets_a_403_page(
    demo_db, demo_home, accounts, logged_in
) -> None:
    """console_user("review") on a page: a viewer gets 403, a reviewer the page."""

    from supportflow.config import Settings

    app = create_app(Settings(home=demo_home), demo_db)

    @app.get("/review-only")
    def review_only(
        principal: Annotated[Principal, Depends(console_user("review"))],
    ) -> dict[str, str]:
        return {"email": principal.email}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await logged_in(client, accounts["viewer"])
        viewer = await client.get("/review-only")
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await logged_in(client, accounts["reviewer"])
        reviewer = await client.get("/review-only")
    assert viewer.status_code == 403 and "the viewer role may not review" in viewer.text
    assert reviewer.json() == {"email": accounts["reviewer"].email}


async def test_cases_of_another_tenant_are_invisible(
    api, accounts, other_tenant, logged_in, case_id
) -> None:
    foreign = other_tenant.case_id
    async with api(token=accounts["admin"].token) as client:
        listed = (await client.get("/api/v1/cases")).json()["items"]
        by_id = await client.get(f"/api/v1/cases/{foreign}")
        own = await client.get(f"/api/v1/cases/{case_id}")
    async with api() as browser:
        await logged_in(browser, accounts["admin"])
        index = await browser.get("/")
        page = await browser.get(f"/cases/{foreign}")
    async with api(token=other_tenant.account.token) as client:
        theirs = (await client.get("/api/v1/cases")).json()["items"]
        mine_from_there = await client.get(f"/api/v1/cases/{case_id}")
    assert foreign not in {c["id"] for c in listed} and case_id in {c["id"] for c in listed}
    assert by_id.status_code == 404 and by_id.json()["error"]["message"] == f"no case {foreign}"
    assert own.status_code == 200
    assert "Acme hedge trimmer" not in index.text and f'href="/cases/{foreign}"' not in index.text
    assert page.status_code == 404
    assert [c["id"] for c in theirs] == [foreign]
    assert mine_from_there.status_code == 404


async def test_documents_of_another_tenant_are_invisible(api, accounts, other_tenant) -> None:
    assert other_tenant.document_id is not None
    async with api(token=accounts["admin"].token) as client:
        documents = (await client.get("/api/v1/kb/documents")).json()
        found = (
            await client.get("/api/v1/kb/search", params={"q": "Acme teak bench linseed oil"})
        ).json()
        removed = await client.delete(f"/api/v1/kb/documents/{other_tenant.document_id}")
    async with api(token=other_tenant.account.token) as client:
        theirs = (await client.get("/api/v1/kb/documents")).json()
    assert other_tenant.document_id not in {d["id"] for d in documents}
    assert all("Acme" not in p["title"] for p in found["passages"])
    assert removed.status_code == 404
    assert [d["id"] for d in theirs] == [other_tenant.document_id]
