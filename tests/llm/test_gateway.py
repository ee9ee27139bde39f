"""The gateway against a local server speaking the chat-completions API: retries with
backoff on what may pass, none on what will not, the circuit breaker opening and closing,
the fallback chain, the repair retry, token accounting and budget caps."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from supportflow.config import LlmEndpoint
from supportflow.llm.gateway import AnswerRejected, LlmGateway, LlmUnavailable
from supportflow.llm.openai_backend import OpenAiBackend
from supportflow.llm.usage import ledger_for_step
from supportflow.store.models import LlmCall
from tests.llm.chat_server import Reply, chat_server, gateway_to

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
GOOD = json.dumps({"answer": "yes"})


def parse(raw: str) -> str:
    try:
        value = json.loads(raw)["answer"]
    except (ValueError, KeyError, TypeError) as exc:
        raise AnswerRejected("no answer field") from exc
    if not isinstance(value, str):
        raise AnswerRejected("answer must be a string")
    return value


def ask(gateway: LlmGateway, task="draft"):
    return gateway.ask(
        task, [{"role": "user", "content": "hi"}], schema=SCHEMA, name="t", parse=parse
    )


@pytest.fixture
def server():
    with chat_server() as running:
        yield running


def test_a_rate_limit_is_retried_after_the_servers_retry_after(server) -> None:
    url, script = server
    script.content = GOOD
    script.queue = [Reply(status=429, retry_after="2"), Reply(status=503)]
    config = LlmEndpoint(base_url=url, models={"draft": "m"}, max_retries=2, backoff_seconds=0.01)
    waits: list[float] = []
    gateway = LlmGateway(OpenAiBackend(config), config, sleep=waits.append)

    assert ask(gateway).value == "yes"
    gateway.close()

    assert len(script.requests) == 3
    assert waits[0] == 2.0  # the server's Retry-After beats the backoff
    assert 0 <= waits[1] <= 0.02  # full jitter up to base * 2


def test_failures_that_persist_exhaust_the_retries(server) -> None:
    url, script = server
    script.status = 500

    with pytest.raises(LlmUnavailable, match=r"m: LLM endpoint .*: HTTP 500"):
        ask(gateway_to(url, models={"draft": "m"}, max_retries=2))
    assert len(script.requests) == 3


def test_a_refused_request_is_not_retried_and_the_next_model_answers(server) -> None:
    url, script = server
    script.queue = [Reply(status=404)]  # e.g. no such model
    script.content = GOOD

    answer = ask(gateway_to(url, models={"draft": ["big", "small"]}, max_retries=3))

    assert (answer.value, answer.model) == ("yes", "small")
    assert [r["model"] for r in script.requests] == ["big", "small"]


def test_a_timeout_is_retried(server) -> None:
    url, script = server
    script.queue = [Reply(content=GOOD, delay=1.0)]
    script.content = GOOD

    gateway = gateway_to(url, models={"draft": "m"}, max_retries=1, timeout_seconds=0.3)
    assert ask(gateway).value == "yes"
    assert len(script.requests) == 2


def test_malformed_json_is_repaired_once_then_the_chain_moves_on(server) -> None:
    url, script = server
    script.queue = [Reply(content="{not json"), Reply(content="still not"), Reply(content="")]
    script.content = GOOD

    answer = ask(gateway_to(url, models={"draft": ["a", "b"]}))

    assert (answer.model, answer.repaired) == ("b", True)
    assert [r["model"] for r in script.requests] == ["a", "a", "b", "b"]
    repair = script.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": "{not json"}
    assert "rejected: no answer field" in repair[-1]["content"]


def test_empty_output_everywhere_is_unavailable_with_each_reason(server) -> None:
    url, script = server
    script.content = ""

    with pytest.raises(LlmUnavailable) as caught:
        ask(gateway_to(url, models={"draft": ["a", "b"]}))
    assert str(caught.value) == "a: no answer field; b: no answer field"


def test_the_breaker_opens_after_repeated_failures_and_closes_after_a_good_trial(
    server,
) -> None:
    url, script = server
    script.status = 500
    breaker = {"failure_threshold": 3, "reset_seconds": 0.5}
    gateway = gateway_to(url, models={"draft": "m"}, breaker=breaker)

    for _ in range(3):
        with pytest.raises(LlmUnavailable, match="HTTP 500"):
            ask(gateway)
    assert gateway.breaker_state == "open"
    with pytest.raises(LlmUnavailable, match="circuit open"):
        ask(gateway)
    assert len(script.requests) == 3  # the open circuit called nobody

    time.sleep(0.6)
    script.status, script.content = 200, GOOD
    assert ask(gateway).value == "yes"  # the trial call
    assert gateway.breaker_state == "closed"


def test_the_breaker_is_shared_by_every_gateway_to_the_endpoint(server) -> None:
    url, script = server
    script.status = 503
    breaker = {"failure_threshold": 2, "reset_seconds": 30}
    first = gateway_to(url, models={"draft": "m"}, breaker=breaker)
    other = gateway_to(url, models={"classify": "n"}, breaker=breaker)

    for _ in range(2):
        with pytest.raises(LlmUnavailable):
            ask(first)
    with pytest.raises(LlmUnavailable, match="circuit open"):
        ask(other, task="classify")


def test_refused_requests_do_not_open_the_breaker(server) -> None:
    url, script = server
    script.status = 400
    gateway = gateway_to(url, models={"draft": "m"}, breaker={"failure_threshold": 1})

    for _ in range(3):
        with pytest.raises(LlmUnavailable, match="HTTP 400"):
            ask(gateway)
    assert gateway.breaker_state == "closed"


def test_every_attempt_is_accounted_with_tokens_and_cost(server, demo_db, case_ids) -> None:
    url, script = server
    script.queue = [Reply(status=500), Reply(content=GOOD, prompt_tokens=1000)]
    prices = {"m": {"input_per_million": 2.0, "output_per_million": 8.0}}
    gateway = gateway_to(url, models={"draft": "m"}, max_retries=1, prices=prices)
    tenant_id, case_id = case_ids

    with demo_db.session() as session:
        with ledger_for_step(session, tenant_id=tenant_id, case_id=case_id) as ledger:
            ask(gateway)
        ledger.write_to(session)  # as the step does when it ends
    with demo_db.session() as session:
        calls = list(session.scalars(select(LlmCall).order_by(LlmCall.id)))
    assert [(c.outcome.split(":")[-1].strip(), c.prompt_tokens) for c in calls] == [
        ("HTTP 500", 0),
        ("ok", 1000),
    ]
    assert calls[1].cost == pytest.approx((1000 * 2.0 + 5 * 8.0) / 1e6)
    assert {(c.task, c.model, c.case_id) for c in calls} == {("draft", "m", case_id)}


def test_a_spent_case_budget_stops_calls_before_they_are_made(server, demo_db, case_ids) -> None:
    url, script = server
    script.content = GOOD  # 15 tokens a call
    gateway = gateway_to(url, models={"draft": "m"}, budget={"case_tokens": 20})
    tenant_id, case_id = case_ids

    with demo_db.session() as session:
        with ledger_for_step(session, tenant_id=tenant_id, case_id=case_id):
            ask(gateway)
            ask(gateway)  # 15 < 20: allowed, ends past the cap
            with pytest.raises(LlmUnavailable, match=r"case's LLM budget is spent \(30 of 20"):
                ask(gateway)
    assert len(script.requests) == 2


def test_a_daily_cost_cap_counts_the_tenants_other_cases(server, demo_db, case_ids) -> None:
    url, script = server
    script.content = GOOD
    prices = {"m": {"input_per_million": 1_000_000.0}}  # 10 tokens cost 10
    gateway = gateway_to(
        url, models={"draft": "m"}, prices=prices, budget={"tenant_daily_cost": 15}
    )
    tenant_id, case_id = case_ids

    for _ in range(2):
        with demo_db.session() as session:
            with ledger_for_step(session, tenant_id=tenant_id, case_id=case_id) as ledger:
                ask(gateway)
            ledger.write_to(session)
    with demo_db.session() as session:
        with ledger_for_step(session, tenant_id=tenant_id, case_id=case_id):
            with pytest.raises(LlmUnavailable, match="today's LLM cost budget is spent"):
                ask(gateway)
    assert len(script.requests) == 2
