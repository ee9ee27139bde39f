from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_admins_list_their_tenants_users_only(api, accounts, other_tenant) -> None:
    async with api(token=accounts["admin"].token) as client:
        users = (await client.get("/api/v1/users")).json()
    assert [u["email"] for u in users] == [
        "admin@brightwave.example",
        "reviewer@brightwave.example",
        "viewer@brightwave.example",
    ]
    assert "password_hash" not in users[0]


async def test_an_admin_creates_a_user_who_can_then_sign_in(api, accounts, logged_in) -> None:
    async with api(token=accounts["admin"].token) as client:
        given = await client.post(
            "/api/v1/users",
            json={
                "email": "Rita@Brightwave.example",
                "role": "reviewer",
                "password": "long enough pw",
            },
        )
        generated = await client.post(
            "/api/v1/users", json={"email": "vic@brightwave.example", "role": "viewer"}
        )
        taken = await client.post(
            "/api/v1/users", json={"email": "rita@brightwave.example", "role": "viewer"}
        )
        short = await client.post(
            "/api/v1/users",
            json={"email": "sam@brightwave.example", "role": "viewer", "password": "x"},
        )
        bad_role = await client.post(
            "/api/v1/users", json={"email": "tom@brightwave.example", "role": "owner"}
        )
    assert given.status_code == 201 and given.json()["email"] == "rita@brightwave.example"
    assert given.json()["role"] == "reviewer" and given.json()["password"] is None
    assert generated.status_code == 201 and len(generated.json()["password"]) >= 12
    assert taken.status_code == 409 and taken.json()["error"]["type"] == "Conflict"
    assert short.status_code == 400
    assert bad_role.status_code == 422
    async with api() as client:
        await logged_in(client, _Login("vic@brightwave.example", generated.json()["password"]))
        me = (await client.get("/api/v1/users/me")).json()
    assert me["email"] == "vic@brightwave.example" and me["role"] == "viewer"


class _Login:
    def __init__(self, email: str, password: str) -> None:
        self.email, self.password = email, password


@pytest.mark.parametrize("role", ["reviewer", "viewer"])
async def test_only_admins_manage_users(api, accounts, role: str) -> None:
    async with api(token=accounts[role].token) as client:
        listed = await client.get("/api/v1/users")
        created = await client.post(
            "/api/v1/users", json={"email": "x@brightwave.example", "role": "admin"}
        )
    assert listed.status_code == 403 and created.status_code == 403


async def test_users_need_a_token(api) -> None:
    async with api() as client:
        assert (await client.get("/api/v1/users")).status_code == 401
        assert (await client.post("/api/v1/users/me/tokens", json={})).status_code == 401


async def test_a_token_is_shown_once_works_and_stops_when_deleted(api, accounts) -> None:
    viewer = accounts["viewer"]
    async with api(token=viewer.token) as client:
        created = await client.post("/api/v1/users/me/tokens", json={"name": "laptop"})
        listed = (await client.get("/api/v1/users/me/tokens")).json()
    token = created.json()
    assert created.status_code == 201 and token["token"].startswith(token["prefix"])
    assert all("token" not in t for t in listed)
    assert "laptop" in [t["name"] for t in listed]
    async with api(token=token["token"]) as client:
        assert (await client.get("/api/v1/users/me")).json()["email"] == viewer.email
        deleted = await client.delete(f"/api/v1/users/me/tokens/{token['id']}")
        after = await client.get("/api/v1/users/me")
    assert deleted.status_code == 200 and deleted.json()["revoked_at"] is not None
    assert after.status_code == 401


async def test_someone_elses_token_is_404(api, accounts) -> None:
    async with api(token=accounts["admin"].token) as client:
        theirs = (await client.get("/api/v1/users/me/tokens")).json()[0]["id"]
    async with api(token=accounts["viewer"].token) as client:
        response = await client.delete(f"/api/v1/users/me/tokens/{theirs}")
        missing = await client.delete("/api/v1/users/me/tokens/999999")
    assert response.status_code == 404 and missing.status_code == 404
    assert response.json() == {"error": {"type": "NotFoundError", "message": f"no token {theirs}"}}
    async with api(token=accounts["admin"].token) as client:
        assert (await client.get("/api/v1/users/me")).status_code == 200  # still works


async def test_a_token_name_is_checked(api, accounts) -> None:
    async with api(token=accounts["viewer"].token) as client:
        response = await client.post("/api/v1/users/me/tokens", json={"name": ""})
    assert response.status_code == 422
