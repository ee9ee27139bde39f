from __future__ import annotations

import pytest

pytestmark = pytest.mark.anyio


async def test_unknown_paths_and_methods_answer_the_json_error_shape(api, accounts) -> None:
    async with api(token=accounts["viewer"].token) as client:
        unknown = await client.get("/api/v1/nothing-here")
        method = await client.put("/api/v1/cases/counts")
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {"type": "NotFound", "message": "Not Found"}}
    assert method.status_code == 405 and method.json()["error"]["type"] == "MethodNotAllowed"


async def test_a_body_that_is_not_json_is_a_422_with_details(api, accounts, drafted) -> None:
    async with api(token=accounts["reviewer"].token) as client:
        response = await client.post(
            f"/api/v1/cases/{drafted[0]}/reject",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        extra = await client.post(
            f"/api/v1/cases/{drafted[0]}/reject", json={"reason": "x", "reasn": "typo"}
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "ValidationError" and error["details"][0]["type"] == "json_invalid"
    assert extra.status_code == 422
    assert extra.json()["error"]["details"][0]["loc"] == ["body", "reasn"]


async def test_validation_errors_never_echo_the_input(api, accounts) -> None:
    async with api(token=accounts["admin"].token) as client:
        response = await client.post(
            "/api/v1/users",
            json={"email": "a@brightwave.example", "role": "owner", "password": "s3cret-value"},
        )
    assert response.status_code == 422 and "s3cret-value" not in response.text


async def test_openapi_documents_every_endpoint_with_tags_and_models(api) -> None:
    async with api() as client:
        spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/cases", "get"): "cases",
        ("/api/v1/cases/counts", "get"): "cases",
        ("/api/v1/cases/{case_id}", "get"): "cases",
        ("/api/v1/cases/{case_id}/drafts", "get"): "review",
        ("/api/v1/cases/{case_id}/approve", "post"): "review",
        ("/api/v1/cases/{case_id}/reject", "post"): "review",
        ("/api/v1/cases/{case_id}/escalate", "post"): "review",
        ("/api/v1/cases/{case_id}/label", "post"): "review",
        ("/api/v1/cases/{case_id}/feedback", "post"): "review",
        ("/api/v1/tenant/settings", "get"): "tenant settings",
        ("/api/v1/tenant/settings/thresholds", "patch"): "tenant settings",
        ("/api/v1/users", "get"): "users",
        ("/api/v1/users", "post"): "users",
        ("/api/v1/users/me/tokens", "post"): "users",
        ("/api/v1/users/me/tokens/{token_id}", "delete"): "users",
    }
    for (path, method), tag in expected.items():
        operation = paths[path][method]
        assert operation["tags"] == [tag], path
        assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    approve = paths["/api/v1/cases/{case_id}/approve"]["post"]
    assert approve["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApproveRequest"
    }
    listing = paths["/api/v1/cases"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listing["schema"] == {"$ref": "#/components/schemas/CaseList"}
    schemas = spec["components"]["schemas"]
    assert {"Thresholds", "TokenCreated", "UserCreated", "DraftVersion"} <= set(schemas)
