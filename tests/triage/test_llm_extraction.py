"""LLM structured extraction against a local chat-completions server: it only fills fields
the parsers left empty, and only with values written in the message."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select

from supportflow.store.models import ExtractedField as StoredField
from supportflow.triage.fields import ExtractedField
from supportflow.triage.llm_extraction import LLM_CONFIDENCE, LLM_FIELDS, LlmExtraction
from supportflow.workers.embedded import process_pending
from tests.llm.chat_server import chat_server, gateway_to
from tests.pipeline.test_similar_case_route import email
from tests.pipeline.test_workflow import ingest

BODY = "Hi, my order BW-123456 never came.\nShip the spare to 14 Harcourt Road\nDublin 2 please."


@pytest.fixture
def server():
    with chat_server() as running:
        yield running


def extraction(url: str) -> LlmExtraction:
    client = gateway_to(url, models={"extract": "small"})
    return LlmExtraction(client, company="Brightwave")


def answer(**values: list[str]) -> str:
    return json.dumps({name: values.get(name, []) for name in LLM_FIELDS})


def test_values_written_in_the_message_are_kept_with_their_span(server) -> None:
    url, script = server
    script.content = answer(
        postal_address=["14 Harcourt Road Dublin 2"],  # over two lines in the body
        order_id=["BW-999999"],  # invented
        product=["glide s2"],  # in the subject, any case
    )

    result = extraction(url).extract(subject="Glide S2 order", text=BODY, found=[])

    by_name = {field.name: field for field in result.fields}
    assert set(by_name) == {"postal_address", "product"}
    address = by_name["postal_address"]
    assert BODY[address.start : address.end] == "14 Harcourt Road\nDublin 2"
    assert (address.source, address.confidence) == ("body", LLM_CONFIDENCE)
    assert (by_name["product"].value, by_name["product"].source) == ("Glide S2", "subject")
    assert result.note == "the LLM added 2 value(s); 1 not written in the message were dropped"
    [request] = script.requests
    schema = request["response_format"]["json_schema"]["schema"]
    assert schema["required"] == list(LLM_FIELDS)
    assert request["messages"][1]["content"].startswith("<email>\nSubject: Glide S2 order")


def test_fields_the_parsers_found_are_not_asked_again(server) -> None:
    url, script = server
    script.content = answer(order_id=["BW-123456"])
    found = [ExtractedField("order_id", "BW-123456", 0.9, 13, 22, "body")]

    result = extraction(url).extract(subject="", text=BODY, found=found)

    assert result.fields == []


def test_a_failing_endpoint_or_a_broken_answer_adds_nothing(server) -> None:
    url, script = server
    script.content = "not json"
    assert extraction(url).extract(subject="", text=BODY, found=[]).fields == []
    script.status = 503
    result = extraction(url).extract(subject="", text=BODY, found=[])
    assert result.fields == [] and "HTTP 503" in result.note


def test_the_extract_step_asks_the_llm_when_the_tenant_configures_it(
    server, demo_home, demo_db, demo_deps
) -> None:
    url, script = server
    path = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    tenant = yaml.safe_load(path.read_text(encoding="utf-8"))
    tenant["llm"] = {"base_url": url, "models": {"extract": "small"}}
    path.write_text(yaml.safe_dump(tenant), encoding="utf-8")
    script.content = answer(error_code=["F7"], order_id=["BW-000001"])
    body = "Where is order BW-123456? The display shows fault F7 blinking."
    [case_id] = ingest(demo_db, email(1, "Ana", body))

    process_pending(demo_deps)

    with demo_db.session() as session:
        fields = session.scalars(select(StoredField).where(StoredField.case_id == case_id)).all()
        found = sorted((f.name, f.value, f.confidence) for f in fields if f.name in LLM_FIELDS)
    # the parsed order id stays; the LLM's code is kept, its invented order id is not asked
    assert found == [
        ("customer_name", "Ana", found[0][2]),
        ("error_code", "F7", LLM_CONFIDENCE),
        ("order_id", "BW-123456", found[2][2]),
    ]
    assert script.requests and found[2][2] > LLM_CONFIDENCE
