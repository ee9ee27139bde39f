"""The LLM tier against a real OpenAI-compatible server: llama-cpp-python's own, on
SmolLM2-135M, started on localhost. The tiny model invents facts, so what is checked is the
plumbing a real endpoint exercises: schema-constrained answers that parse, real token counts
in the ledger, classification inside the categories, and every case drafted (by the model
and checked, or by the template with the reason) and waiting for review."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from supportflow.store.models import Case, Classification, Draft, LlmCall
from supportflow.workers.embedded import process_pending
from tests.drafting.test_grounded_drafting import mail
from tests.llm.llama_server import smollm2_server
from tests.pipeline.test_workflow import ingest


@pytest.mark.timeout(600)  # a tiny model, but two prompts of ~1,500 tokens on 2 cores
def test_a_case_is_classified_and_drafted_through_a_real_server(demo_home, demo_db, demo_deps):
    path = demo_home / "tenants" / "brightwave" / "tenant.yaml"
    tenant = yaml.safe_load(path.read_text(encoding="utf-8"))
    categories = {c["name"] for c in tenant["categories"]}
    tenant.setdefault("thresholds", {})["classify_min_confidence"] = 1.0  # the LLM is asked
    tenant["rules"] = []  # (no rule decides first)
    with smollm2_server() as base_url:
        tenant["llm"] = {
            "base_url": base_url,
            "json_mode": "json_object",  # what llama.cpp's server constrains
            "models": {"classify": "smollm2", "draft": "smollm2"},
            "max_output_tokens": 150,
            "timeout_seconds": 120,
        }
        path.write_text(yaml.safe_dump(tenant), encoding="utf-8")
        case_ids = ingest(demo_db, mail(1))

        process_pending(demo_deps)

    with demo_db.session() as session:
        cases = [session.get_one(Case, i) for i in case_ids]
        calls = list(session.scalars(select(LlmCall)))
        drafts = list(session.scalars(select(Draft)))
        stages = list(session.scalars(select(Classification.stages)))
    assert {c.status for c in cases} <= {"awaiting_review", "needs_human"}
    assert {c.category for c in cases} <= categories | {"unknown"}
    llm_stages = [s for per_case in stages for s in per_case if s["stage"] == "llm"]
    assert len(llm_stages) == 1
    assert all(s["label"] in categories | {None} for s in llm_stages)
    assert all("HTTP" not in s["reason"] and "not JSON" not in s["reason"] for s in llm_stages)
    # Every call went through and counted the server's real tokens.
    assert calls and all(c.outcome == "ok" for c in calls)
    assert all(c.prompt_tokens > 50 and c.completion_tokens > 0 for c in calls)
    drafted = [d for d in drafts if d.version == 1]
    for draft in drafted:  # the model's checked reply, or the template's with the reason
        assert draft.mode in ("llm", "template")
        if draft.mode == "template":
            assert "no usable LLM reply" in draft.generation["fallback"]
            assert "HTTP" not in draft.generation["fallback"]
        else:
            assert "grounded" in draft.generation
