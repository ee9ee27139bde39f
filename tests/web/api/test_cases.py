from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportflow.store.models import Case, Message
from tests.web.api.conftest import ingest, support_email

pytestmark = pytest.mark.anyio


@pytest.fixture
def queue(demo_db) -> list[int]:
    """Four received cases with set priorities, confidences, categories, senders and arrival
    times (one hour apart, in id order)."""
    ids = ingest(demo_db, *(support_email(i, f"raw {i}") for i in range(11, 15)))
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    shape = [
        (
            "normal",
            0.9,
            "order_status",
            "rules",
            "Where is my parcel?",
            "Carla Diaz",
            "carla@diaz.example",
        ),
        (
            "urgent",
            0.5,
            "returns_refunds",
            "model",
            "Refund 100% please",
            "Dan Wu",
            "dan@wu.example",
        ),
        ("normal", None, None, None, "Wi-Fi setup fails", "Eve Stone", "eve@stone.example"),
        ("low", 0.7, "billing", "model", "Invoice copy", "Finn Ode", "finn@ode.example"),
    ]
    with demo_db.session() as session:
        for n, (case_id, values) in enumerate(zip(ids, shape, strict=True)):
            case = session.get_one(Case, case_id)
            case.priority, case.confidence, case.category, case.route = values[:4]
            message = session.get_one(Message, case.message_id)
            message.subject, message.from_name, message.from_address = values[4:]
            message.received_at = start + timedelta(hours=n)
    return ids


async def get(api, account, path: str, **params):
    async with api(token=account.token) as client:
        return await client.get(path, params=params)


async def test_list_pages_through_every_case_with_a_total(api, accounts, queue) -> None:
    first = (await get(api, accounts["viewer"], "/api/v1/cases", limit=3)).json()
    second = (await get(api, accounts["viewer"], "/api/v1/cases", limit=3, offset=3)).json()
    assert first["total"] == 4 and first["next"] == 3
    assert [c["id"] for c in first["items"]] == queue[:3]
    assert [c["id"] for c in second["items"]] == queue[3:] and second["next"] is None
    assert first["items"][0]["subject"] == "Where is my parcel?"
    assert first["items"][0]["due_at"] == "2026-11-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("priority", [1, 0, 2, 3]),  # urgent; normal sure before normal unknown; low
        ("-priority", [3, 2, 0, 1]),
        ("received", [0, 1, 2, 3]),
        ("-received", [3, 2, 1, 0]),
        ("due", [0, 1, 2, 3]),
        ("confidence", [1, 3, 0, 2]),  # least sure first, unclassified last
        ("-confidence", [0, 3, 1, 2]),
    ],
)
async def test_list_sort_orders(api, accounts, queue, sort: str, order: list[int]) -> None:
    body = (await get(api, accounts["viewer"], "/api/v1/cases", sort=sort)).json()
    assert [c["id"] for c in body["items"]] == [queue[i] for i in order]


async def test_due_order_adds_the_category_sla(api, accounts, queue, demo_home) -> None:
    config = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    text = config.read_text(encoding="utf-8")
    # order_status (received first) gets 48 hours: due after the others
    text = text.replace("template: order_status.j2", "template: order_status.j2\n    sla_hours: 48")
    config.write_text(text, encoding="utf-8")
    body = (await get(api, accounts["viewer"], "/api/v1/cases", sort="due")).json()
    assert [c["id"] for c in body["items"]] == [queue[1], queue[2], queue[3], queue[0]]
    assert body["items"][-1]["due_at"] == "2026-11-03T09:00:00+00:00"


async def test_list_filters(api, accounts, queue) -> None:
    viewer = accounts["viewer"]

    async def ids(**params) -> list[int]:
        return [
            c["id"] for c in (await get(api, viewer, "/api/v1/cases", **params)).json()["items"]
        ]

    assert await ids(category="billing") == [queue[3]]
    assert await ids(route="model") == [queue[1], queue[3]]
    assert await ids(priority="urgent") == [queue[1]]
    assert await ids(q="WI-FI") == [queue[2]]  # subject, case-insensitive
    assert await ids(q="wu.example") == [queue[1]]  # sender address
    assert await ids(q="Finn") == [queue[3]]  # sender name
    assert await ids(q="100%") == [queue[1]]  # % is literal, not a wildcard
    assert await ids(q="1%") == []  # would match "100%" as a wildcard
    assert await ids(status=["received"]) == queue
    assert await ids(status=["sent", "rejected"]) == []


async def test_list_filter_by_mailbox(api, accounts, queue, demo_db) -> None:
    with demo_db.session() as session:  # received only: the receive step sets the address
        addresses = ["support@b.example", "Billing@B.example"] * 2
        for case_id, address in zip(queue, addresses, strict=True):
            message = session.get_one(Message, session.get_one(Case, case_id).message_id)
            message.to_address = address
    found = await get(api, accounts["viewer"], "/api/v1/cases", mailbox="billing@b.example")
    assert [c["id"] for c in found.json()["items"]] == [queue[1], queue[3]]


async def test_counts_per_status_include_zeros(api, accounts, queue) -> None:
    counts = (await get(api, accounts["viewer"], "/api/v1/cases/counts")).json()
    assert counts["received"] == 4 and counts["awaiting_review"] == 0
    assert set(counts) >= {"received", "approved", "sent", "needs_human", "failed"}


async def test_case_detail_and_unknown_case(api, accounts, drafted) -> None:
    detail = (await get(api, accounts["viewer"], f"/api/v1/cases/{drafted[0]}")).json()
    missing = await get(api, accounts["viewer"], "/api/v1/cases/999999")
    assert detail["status"] == "awaiting_review" and detail["draft"]["text"]
    assert detail["message"]["subject"] == "Robot stops with E-104"
    assert missing.status_code == 404
    assert missing.json() == {"error": {"type": "NotFoundError", "message": "no case 999999"}}


@pytest.mark.parametrize(
    "params",
    [{"limit": 201}, {"limit": 0}, {"offset": -1}, {"status": "lost"}, {"sort": "size"}],
)
async def test_bad_list_parameters_are_422_with_field_details(api, accounts, params) -> None:
    response = await get(api, accounts["viewer"], "/api/v1/cases", **params)
    error = response.json()["error"]
    assert response.status_code == 422 and error["type"] == "ValidationError"
    [detail] = error["details"]
    assert detail["loc"][:2] == ["query", next(iter(params))] and detail["message"]


@pytest.mark.parametrize(
    "path", ["/api/v1/cases", "/api/v1/cases/counts", "/api/v1/cases/1", "/api/v1/cases/1/drafts"]
)
async def test_reading_without_a_token_is_401(api, path: str) -> None:
    async with api() as client:
        response = await client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "Unauthorized"


async def test_a_wrong_token_is_401(api) -> None:
    async with api(token="sf_not-a-token") as client:
        response = await client.get("/api/v1/cases")
    assert response.status_code == 401 and "token" in response.json()["error"]["message"]


async def test_the_console_session_reads_the_api_too(api, accounts, logged_in, queue) -> None:
    async with api() as client:
        await logged_in(client, accounts["viewer"])
        response = await client.get("/api/v1/cases")
    assert response.status_code == 200 and response.json()["total"] == 4
