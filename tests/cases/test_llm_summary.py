"""The LLM-written conversation summary against a local chat-completions server: used when
it answers properly, the deterministic summary kept otherwise."""

from __future__ import annotations

import json

import pytest
import yaml

from supportflow.cases.llm_summary import MAX_CHARS, LlmSummary
from supportflow.cases.review import get_case
from supportflow.cases.views import case_detail
from supportflow.workers.embedded import process_pending
from tests.llm.chat_server import chat_server, gateway_to
from tests.pipeline.test_workflow import ingest
from tests.web.console.test_conversation_box import from_ana


@pytest.fixture
def server():
    with chat_server() as running:
        yield running


def summariser(url: str) -> LlmSummary:
    client = gateway_to(url, models={"summarise": "small"})
    return LlmSummary(client, company="Brightwave")


def test_the_llm_summary_is_used_when_it_answers_properly(server) -> None:
    url, script = server
    script.content = json.dumps({"summary": "Ana asks  where order BW-1 is.\\nNothing sent yet."})

    written = summariser(url).write(summary="First request: order BW-1", latest_message="Any news?")

    assert (written.by_llm, written.text) == (
        True,
        "Ana asks where order BW-1 is.\\nNothing sent yet.",
    )
    [request] = script.requests
    assert "First request: order BW-1" in request["messages"][1]["content"]
    assert "<email>\nAny news?\n</email>" in request["messages"][1]["content"]


@pytest.mark.parametrize(
    ("content", "status", "why"),
    [
        ("not json", 200, "not JSON"),
        (json.dumps({"summary": "  "}), 200, "no summary"),
        (json.dumps({"summary": "x" * (MAX_CHARS + 1)}), 200, "over"),
        ("{}", 500, "HTTP 500"),
    ],
)
def test_anything_else_keeps_the_deterministic_summary(server, content, status, why) -> None:
    url, script = server
    script.content, script.status = content, status

    written = summariser(url).write(summary="the facts", latest_message="hi")

    assert (written.by_llm, written.text) == (False, "the facts") and why in written.note


def test_the_draft_step_uses_and_keeps_the_llm_summary(server, demo_home, demo_db, demo_deps):
    url, script = server
    path = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    tenant = yaml.safe_load(path.read_text(encoding="utf-8"))
    tenant["llm"] = {"base_url": url, "models": {"summarise": "small"}}
    path.write_text(yaml.safe_dump(tenant), encoding="utf-8")
    script.content = json.dumps({"summary": "Ana wants to know where order BW-100234 is."})
    [case_id] = ingest(demo_db, from_ana(1, "Where is my order?", "Order BW-100234 is late."))

    process_pending(demo_deps)

    with demo_db.session() as session:
        detail = case_detail(session, get_case(session, case_id))
    assert detail["conversation"]["summary"] == "Ana wants to know where order BW-100234 is."
    assert script.requests and "BW-100234" in script.requests[0]["messages"][1]["content"]
