"""Research: search the tenant's knowledge base for passages the draft may cite.

Hybrid search (keyword and vector, fused) when the embedding model and the vector index are
available, keyword search otherwise. Passages under the relevance floor are not cited; a
case whose best passage is under it is marked "no grounding found", and its draft says that
a specialist will follow up instead of quoting something beside the point. The case records
the knowledge-base version it searched and the passages it kept.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportflow.knowledge.capabilities import SearchMode
from supportflow.knowledge.index import Passage, search
from supportflow.knowledge.library import current_version
from supportflow.knowledge.relevance import floor_for
from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, RetrievedPassage
from supportflow.tenants import TenantResources

QUERY_CHARS = 2000


def research_case(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    thresholds = resources.config.thresholds
    mode: SearchMode = "keyword" if resources.embedder is None else "hybrid"
    model = resources.embedder.name if resources.embedder else None
    floor = floor_for(mode, thresholds.min_passage_score, model)
    category = resources.config.category(case.category or "")
    found = _search(
        session,
        resources,
        f"{message.subject}\n{message.new_text[:QUERY_CHARS]}",
        thresholds.max_passages,
        category.kb_tags if category else [],
        mode,
    )
    kept = [p for p in found if p.score >= floor]
    session.add_all(_stored(case.id, rank, p) for rank, p in enumerate(kept, start=1))
    case.kb_version_id = current_version(session, resources.tenant_id)
    return StepOutcome(
        detail={
            "mode": mode,
            "kb_version": case.kb_version_id,
            "passages": len(kept),
            "below_floor": len(found) - len(kept),
            "floor": floor,
            "best_score": round(found[0].score, 4) if found else None,
            "grounded": bool(kept),
            **({} if kept else {"note": "no grounding found"}),
        }
    )


def _search(
    session: Session,
    resources: TenantResources,
    query: str,
    limit: int,
    tags: list[str],
    mode: SearchMode,
) -> list[Passage]:
    """Search the category's documents first, the whole base when they have nothing."""
    if limit == 0:
        return []
    for scope in [tags, None] if tags else [None]:
        found = search(
            session,
            tenant_id=resources.tenant_id,
            query=query,
            limit=limit,
            tags=scope,
            mode=mode,
            embedder=resources.embedder,
        )
        if found:
            return found
    return []


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
