"""`supportflow eval draft`: how grounded the demo's drafts are, with and without an LLM.

The demo company is set up in a scratch folder (its knowledge base and inbox), the tenant's
`llm` section is set as asked (none: template drafting), and the embedded pipeline drafts
every email. Then the drafts are measured:

- fully_grounded: share of drafts citing at least one passage with every factual sentence
  supported by a cited passage, the case's facts or the template's wording. For an LLM draft
  this is the pipeline's own check (`drafting/verify.py`); a template draft quotes its
  passages word for word, so it counts when it cites one;
- citation_precision: share of cited passages that support at least one sentence (the same
  verifier, for every draft);
- fell_back: share of drafts where the LLM was asked but the template's draft was kept
  (with the reasons counted);
- tokens and cost per case (every LLM call of every step, from `llm_calls`);
- time to a drafted reply per case (the recorded durations of the steps receive to
  draft), p50 and p95, and the draft step alone.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.config import Settings
from supportflow.demo.setup import (
    DemoSummary,
    add_demo_knowledge,
    demo_tenant_dir,
    ingest_demo_inbox,
)
from supportflow.drafting.compose import without_sources
from supportflow.drafting.verify import Sources, check_support, cited_numbers
from supportflow.eval.bench import percentile
from supportflow.knowledge.capabilities import detect_capabilities
from supportflow.knowledge.embeddings import Embedder
from supportflow.store.models import (
    Case,
    CaseStep,
    Draft,
    LlmCall,
    RetrievedPassage,
)
from supportflow.tenant_settings import set_llm
from supportflow.workers.embedded import build_deps, process_pending
from supportflow.workspace import init_tenant, open_workspace

DRAFTING_STEPS = ("receive", "screen", "classify", "extract", "research", "draft")


def evaluate_drafting(
    llm: dict[str, Any] | None, *, limit: int | None = None, home: Path | None = None
) -> dict[str, Any]:
    """Draft the demo inbox (its first `limit` emails, by file name) with `llm` (a tenant
    `llm` section; None: templates only) and measure the drafts. `home`: where to set up
    (default: a scratch folder)."""
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-draft-") as scratch:
        settings = Settings(home=home or Path(scratch), database_url=None)
        db = open_workspace(settings)
        try:
            tenant, _ = init_tenant(db, settings, demo_tenant_dir())
            if llm is not None:
                with db.session() as session:
                    folder = Path(session.merge(tenant).config_dir)
                set_llm(folder, llm)
            summary = DemoSummary(settings.home)
            embedder = detect_capabilities(db, settings.embedding_model).embedder
            add_demo_knowledge(db, tenant, settings.home / "demo" / "kb", summary, embedder)
            ingest_demo_inbox(db, tenant, settings.home / "demo" / "inbox", summary, limit=limit)
            process_pending(build_deps(db, settings))
            with db.session() as session:
                report = measure_drafts(session, embedder)
        finally:
            db.dispose()
    report["llm"] = _described(llm)
    report["limit"] = limit
    return report


def measure_drafts(session: Session, embedder: Embedder | None) -> dict[str, Any]:
    """The figures above for every case with a pipeline draft in the database."""
    drafts = list(session.scalars(select(Draft).where(Draft.version == 1)))
    cases = session.scalar(select(func.count(Case.id))) or 0
    modes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    grounded = cited_total = cited_supporting = 0
    for draft in drafts:
        modes[draft.mode or "template"] += 1
        fallback = (draft.generation or {}).get("fallback")
        if fallback:
            reasons[_reason_kind(str(fallback))] += 1
        verdict = _verify(session, draft, embedder)
        grounded += verdict[0]
        cited_total += verdict[1]
        cited_supporting += verdict[2]
    tokens = session.scalar(
        select(func.coalesce(func.sum(LlmCall.prompt_tokens + LlmCall.completion_tokens), 0))
    )
    cost = session.scalar(select(func.coalesce(func.sum(LlmCall.cost), 0.0)))
    drafted = len(drafts)
    return {
        "cases": cases,
        "drafted": drafted,
        "modes": dict(modes),
        "fully_grounded": _share(grounded, drafted),
        "citation_precision": _share(cited_supporting, cited_total),
        "fell_back": _share(sum(reasons.values()), drafted),
        "fallback_reasons": dict(reasons),
        "llm_calls": session.scalar(select(func.count(LlmCall.id))) or 0,
        "tokens_per_case": round(int(tokens or 0) / cases, 1) if cases else 0.0,
        "cost_per_case": round(float(cost or 0.0) / cases, 6) if cases else 0.0,
        "time_to_draft_ms": _latencies(session, DRAFTING_STEPS),
        "draft_step_ms": _latencies(session, ("draft",)),
    }


def _verify(session: Session, draft: Draft, embedder: Embedder | None) -> tuple[int, int, int]:
    """(fully grounded 0/1, passages cited, cited passages supporting a sentence)."""
    generation = draft.generation or {}
    if draft.mode in ("llm", "cache"):
        cited = {int(c["number"]) for c in draft.citations}
        supporting = cited & set(generation.get("supporting_passages", []))
        return int(bool(generation.get("grounded"))), len(cited), len(supporting)
    passages = {
        p.rank: p.text
        for p in session.scalars(
            select(RetrievedPassage).where(RetrievedPassage.case_id == draft.case_id)
        )
    }
    reply = without_sources(draft.body_text)
    cited_list = [n for n in cited_numbers(reply) if n in passages]
    verification = check_support(reply, cited_list, Sources(passages), embedder)
    supporting_count = len(set(verification.supporting) & set(cited_list))
    return int(bool(cited_list)), len(cited_list), supporting_count


def _latencies(session: Session, steps: tuple[str, ...]) -> dict[str, float]:
    rows = session.execute(
        select(CaseStep.case_id, func.sum(CaseStep.duration_ms))
        .where(CaseStep.step.in_(steps))
        .group_by(CaseStep.case_id)
        .having(func.count(CaseStep.id) == len(steps))
    )
    values = [float(total) for _, total in rows]
    return {
        "p50": round(percentile(values, 50), 1),
        "p95": round(percentile(values, 95), 1),
        "n": len(values),
    }


def _reason_kind(reason: str) -> str:
    """A fallback reason without its case-specific parts, to count alike ones together."""
    for kind in ("budget", "circuit open", "unreachable", "timed out", "HTTP", "cannot be used"):
        if kind in reason:
            return kind
    for kind in ("does not exist", "is in no source", "not JSON", "empty", "not about"):
        if kind in reason:
            return f"rejected: {kind}"
    return "other"


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _described(llm: dict[str, Any] | None) -> dict[str, Any] | None:
    if llm is None:
        return None
    return {
        "provider": llm.get("provider", "openai"),
        "base_url": llm.get("base_url"),
        "models": llm.get("models"),
    }
