"""Draft: fill the category's reply template with the facts and the cited passages, and
propose the tenant's actions that apply to the case."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.actions import propose_actions, store_proposals
from supportflow.cases.conversation_memory import conversation_context
from supportflow.drafting.compose import compose_draft
from supportflow.pipeline.outcome import PIPELINE_ACTOR, StepOutcome
from supportflow.store.models import Case, Draft, ExtractedField, RetrievedPassage
from supportflow.tenants import TenantResources


def draft_reply(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
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
    session.add(
        Draft(
            case_id=case.id,
            version=1,
            body_text=composed.body_text,
            template=composed.template,
            citations=composed.citations,
            author=PIPELINE_ACTOR,
        )
    )
    # In the step's transaction: the proposals exist exactly when the draft does.
    proposals = propose_actions(
        category.name, facts, message.subject, message.new_text, config.actions
    )
    store_proposals(session, case, proposals)
    return StepOutcome(
        detail={
            "template": composed.template,
            "citations": len(composed.citations),
            "actions": [p.name for p in proposals],
        }
    )
