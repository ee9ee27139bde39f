"""Research: keyword search of the tenant's knowledge base for passages to cite."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportflow.knowledge.index import Passage, search
from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, RetrievedPassage
from supportflow.tenants import TenantResources

QUERY_CHARS = 2000


def research_case(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    query = f"{message.subject}\n{message.new_text[:QUERY_CHARS]}"
    limit = resources.config.thresholds.max_passages
    category = resources.config.category(case.category or "")
    tags = category.kb_tags if category else []
    passages = _search(session, resources.tenant_id, query, limit, tags)
    session.add_all(_stored(case.id, rank, p) for rank, p in enumerate(passages, start=1))
    return StepOutcome(
        detail={
            "passages": len(passages),
            "filtered_by_tags": bool(tags),
            "grounded": bool(passages),
        }
    )


def _search(
    session: Session, tenant_id: int, query: str, limit: int, tags: list[str]
) -> list[Passage]:
    """Search the category's documents first, the whole base when they have nothing."""
    if limit == 0:
        return []
    if tags:
        found = search(session, tenant_id=tenant_id, query=query, limit=limit, tags=tags)
        if found:
            return found
    return search(session, tenant_id=tenant_id, query=query, limit=limit)


def _stored(case_id: int, rank: int, passage: Passage) -> RetrievedPassage:
    return RetrievedPassage(
        case_id=case_id,
        rank=rank,
        chunk_id=passage.chunk_id,
        document_id=passage.document_id,
        title=passage.title,
        source=passage.source,
        section=passage.section,
        page_start=passage.page_start,
        page_end=passage.page_end,
        text=passage.text,
        score=passage.score,
    )
