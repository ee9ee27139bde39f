"""Classify: the triage cascade picks a category (or `unknown`, which goes to a person)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, CaseVector, Classification
from supportflow.tenants import TenantResources
from supportflow.triage.cascade import classify
from supportflow.triage.llm_stages import LlmStages
from supportflow.triage.model import Embedded
from supportflow.triage.similar_cases import SimilarCaseMemory, Vector, vector_bytes

UNKNOWN = "unknown"


def classify_case(
    session: Session,
    case: Case,
    resources: TenantResources,
    *,
    similar: SimilarCaseMemory,
    llm_stages: LlmStages | None = None,
) -> StepOutcome:
    """Classify the case's message through the cascade and keep its embedding for the
    similar-case cache (`similar`: this process's memory of reviewed cases; `llm_stages`:
    its LLM stages, when tenants configure one)."""
    message = case.message
    config = resources.config
    text = message.new_text[: config.limits.max_body_chars]
    embedded = _embed(resources, f"{message.subject}\n{text}")
    verdict = None
    if embedded is not None:
        reviewed = similar.reviewed_cases(session, case.tenant_id, embedded.model)
        verdict = reviewed.verdict(embedded.sentence, config.thresholds)
    # Nothing is written before the cascade: on SQLite a write would hold the database's
    # lock through the LLM stage's call, and every other writer would wait on it.
    result = classify(
        subject=message.subject,
        text=text,
        sender=message.from_address,
        rules=resources.rules,
        model=resources.classifier,
        categories=[c.name for c in config.categories],
        thresholds=config.thresholds,
        cache=verdict,
        embedded=embedded.for_model if embedded is not None else None,
        shadow=resources.shadow_classifier,
        llm=llm_stages.for_tenant(resources) if llm_stages is not None else None,
    )
    if embedded is not None:
        session.add(
            CaseVector(
                case_id=case.id,
                tenant_id=case.tenant_id,
                model=embedded.model,
                vector=vector_bytes(embedded.sentence),
            )
        )
    session.add(
        Classification(
            case_id=case.id,
            label=result.label,
            confidence=result.confidence,
            route=result.route,
            priority=result.priority,
            reason=result.reason,
            stages=[asdict(stage) for stage in result.stages],
        )
    )
    case.category = result.label
    case.confidence = result.confidence
    case.route = result.route
    case.priority = _higher_priority(result.priority, resources, result.label)
    detail = {"label": result.label, "confidence": result.confidence, "route": result.route}
    if result.label == UNKNOWN:
        return StepOutcome(detail=detail, escalation=f"no category fits: {result.reason}")
    return StepOutcome(detail=detail)


@dataclass(frozen=True)
class _MessageEmbedding:
    model: str  # the embedding model's name: reviewed cases are compared within one model
    sentence: Vector
    for_model: Embedded | None  # the classifier's own embedding, so it is not made twice


def _embed(resources: TenantResources, message: str) -> _MessageEmbedding | None:
    """The message's sentence embedding, from the classifier's embedding model when it has
    one, else from the knowledge base's; None when neither can embed."""
    classifier = resources.classifier
    if classifier is not None and classifier.embedding_name is not None:
        embedded = classifier.embed(message)
        if embedded is not None:
            return _MessageEmbedding(classifier.embedding_name, embedded.sentence, embedded)
    if resources.embedder is not None:
        return _MessageEmbedding(
            resources.embedder.name, resources.embedder.embed_query(message), None
        )
    return None


PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _higher_priority(from_triage: str, resources: TenantResources, label: str) -> str:
    """Rule-set priority, raised to the category's default when that is higher."""
    category = resources.config.category(label)
    default = category.priority if category else "normal"
    return max(from_triage, default, key=PRIORITY_RANK.__getitem__)
