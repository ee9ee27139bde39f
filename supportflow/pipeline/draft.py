"""Draft: fill the category's reply template with the facts and the cited passages, have
the tenant's LLM (if any) rewrite it from the same sources, checked (`drafting/grounded.py`),
and propose the tenant's actions that apply to the case."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.actions import propose_actions, store_proposals
from supportflow.cases.conversation_memory import conversation_context, keep_written_summary
from supportflow.drafting.compose import compose_draft
from supportflow.drafting.grounded import choose_draft
from supportflow.pipeline.outcome import PIPELINE_ACTOR, StepOutcome
from supportflow.store.models import Case, Draft, ExtractedField, RetrievedPassage
from supportflow.tenants import TenantResources
from supportflow.triage.llm_stages import LlmStages


def draft_reply(
    session: Session,
    case: Case,
    resources: TenantResources,
    *,
    llm_stages: LlmStages | None = None,
) -> StepOutcome:
    """Fill the category's template with the facts, the cited passages and the
    conversation's memory (its summary rewritten by the tenant's `summarise` LLM, if any),
    and propose the tenant's actions."""
    message = case.message
    config = resources.config
    category = config.category(case.category or "")
    if category is None:
        return StepOutcome(escalation=f"no template for category {case.category!r}")
    passages = list(
        session.scalars(
            select(RetrievedPassage)
            .where(RetrievedPassage.case_id == case.id)
            .order_by(RetrievedPassage.rank)
        )
    )
    facts: defaultdict[str, list[str]] = defaultdict(list)
    customer_name = message.from_name
    for field in session.scalars(select(ExtractedField).where(ExtractedField.case_id == case.id)):
        facts[field.name].append(field.value)
    if facts.get("customer_name"):
        customer_name = facts["customer_name"][0]
    # The reply follows the customer's language when the tenant has a template in it.
    language = facts["language"][0] if facts.get("language") else None
    conversation = conversation_context(session, case)
    summariser = llm_stages.summary_for(resources) if llm_stages is not None else None
    summary_note = None
    llm_summary: str | None = None
    if summariser is not None and conversation["summary"]:
        written = summariser.write(
            summary=conversation["summary"], latest_message=f"{message.subject}\n{message.new_text}"
        )
        summary_note = written.note
        if written.by_llm:
            conversation["summary"] = llm_summary = written.text
    composed = compose_draft(
        templates=resources.templates,
        template_name=category.template,
        language=language,
        query=f"{message.subject}\n{message.new_text}",
        passages=passages,
        facts=facts,
        context={
            "customer_name": customer_name,
            "category": category.name,
            "subject": message.subject,
            "company": config.tenant.name,
            "agent_name": config.tenant.support_name,
            "conversation": {
                "summary": conversation["summary"],
                "history": conversation["history"],
                "repeat_count": conversation["repeat_count"],
            },
        },
    )
    chosen = choose_draft(
        session,
        case,
        drafter=llm_stages.drafter_for(resources) if llm_stages is not None else None,
        template=composed,
        passages=passages,
        facts=facts,
        summary=conversation["summary"],
        language=language,
        customer_name=customer_name,
    )
    if llm_summary is not None:
        # Kept after the drafting call: on SQLite a write would hold the database's lock
        # through it.
        keep_written_summary(session, case, llm_summary)
    session.add(
        Draft(
            case_id=case.id,
            version=1,
            body_text=chosen.body_text,
            template=composed.template,
            citations=chosen.citations,
            author=PIPELINE_ACTOR,
            mode=chosen.mode,
            generation=chosen.generation,
        )
    )
    # In the step's transaction: the proposals exist exactly when the draft does.
    proposals = propose_actions(
        category.name, facts, message.subject, message.new_text, config.actions
    )
    store_proposals(session, case, proposals)
    detail: dict[str, object] = {
        "template": composed.template,
        "mode": chosen.mode,
        "citations": len(chosen.citations),
        "actions": [p.name for p in proposals],
    }
    if chosen.mode != "template" or chosen.generation:
        detail["llm"] = chosen.note
    if summary_note is not None:
        detail["summary"] = summary_note
    return StepOutcome(detail=detail)
