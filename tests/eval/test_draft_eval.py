"""`supportflow eval draft`'s measurements, on drafts the pipeline really wrote."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.cli.eval import _drafting_llm
from supportflow.errors import InputError
from supportflow.eval.drafting import measure_drafts
from supportflow.knowledge.embeddings import try_load_embedder
from supportflow.workers.embedded import process_pending
from tests.drafting.test_grounded_drafting import mail, quoting_model, with_drafting
from tests.llm.chat_server import Reply, chat_server
from tests.pipeline.test_workflow import ingest


def test_template_and_llm_drafts_are_measured_alike(demo_home, demo_db, demo_deps) -> None:
    with chat_server() as (url, script):
        with_drafting(demo_home, url, prices={"writer": {"input_per_million": 1000.0}})
        script.responder = quoting_model()
        script.queue = [Reply(status=400)]  # the first case falls back to its template
        ingest(demo_db, mail(1), mail(2, "My Glide S2 beeps and shows error E-104 again."))
        process_pending(demo_deps)

    with demo_db.session() as session:
        report = measure_drafts(session, try_load_embedder("minilm")[0])

    assert report["drafted"] == 2 and report["modes"] == {"template": 1, "llm": 1}
    assert report["fell_back"] == 0.5 and report["fallback_reasons"] == {"HTTP": 1}
    assert report["fully_grounded"] == 1.0  # both cite a passage and invent nothing
    assert report["citation_precision"] == 1.0
    assert report["llm_calls"] == 2
    assert report["tokens_per_case"] == 7.5  # one 15-token answer over two cases
    assert report["cost_per_case"] == pytest.approx(10 * 1000.0 / 1e6 / 2)
    assert report["time_to_draft_ms"]["n"] == 2
    assert report["time_to_draft_ms"]["p95"] >= report["draft_step_ms"]["p95"] > 0


def test_the_llm_options_make_a_tenant_llm_section() -> None:
    assert _drafting_llm(None, [], None, None, "json_schema") is None
    assert _drafting_llm(None, [], "qwen2.5-coder-1.5b", None, "json_schema") == {
        "provider": "local",
        "models": {"draft": "qwen2.5-coder-1.5b"},
    }
    assert _drafting_llm("http://h/v1", ["a", "b"], None, "KEY", "json_object") == {
        "base_url": "http://h/v1",
        "models": {"draft": ["a", "b"]},
        "json_mode": "json_object",
        "api_key_env": "KEY",
    }
    with pytest.raises(InputError, match="needs at least one --model"):
        _drafting_llm("http://h/v1", [], None, None, "json_schema")


def test_the_command_refuses_a_model_without_an_endpoint() -> None:
    result = CliRunner().invoke(app, ["eval", "draft", "--model", "x", "--json"])
    assert result.exit_code != 0
    assert "--model needs --llm-base-url" in str(result.exception)


def test_llm_usage_is_reported_per_day_task_and_model(demo_home, demo_db, demo_deps) -> None:
    from datetime import UTC, datetime

    from supportflow.metrics.llm_usage import llm_usage
    from supportflow.store.models import Tenant

    with chat_server() as (url, script):
        with_drafting(demo_home, url, prices={"writer": {"output_per_million": 2000.0}})
        script.responder = quoting_model()
        script.queue = [Reply(status=500)]  # one failed attempt, retried
        ingest(demo_db, mail(1))
        process_pending(demo_deps)
    today = datetime.now(UTC).date()

    with demo_db.session() as session:
        tenant_id = session.query(Tenant.id).scalar()
        report = llm_usage(session, tenant_id=tenant_id, start=today, end=today)
    assert report["days"] == [
        {"day": today.isoformat(), "task": "draft", "model": "writer", "calls": 2,
         "failed": 1, "prompt_tokens": 10, "completion_tokens": 5, "cost": 0.01}
    ]  # fmt: skip
    assert (report["calls"], report["cases"], report["tokens_per_case"]) == (2, 1, 15.0)

    result = CliRunner().invoke(app, ["llm", "usage", "--json"])
    assert result.exit_code == 0, result.output
    assert '"tokens": 15' in result.output
