"""Extract: the facts a reply needs (order ids, error codes, ...) with their spans."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, ExtractedField
from supportflow.tenants import TenantResources
from supportflow.triage.extraction import extract_fields


def extract_case_fields(session: Session, case: Case, resources: TenantResources) -> StepOutcome:
    message = case.message
    fields = extract_fields(
        subject=message.subject,
        text=message.new_text[: resources.config.limits.max_body_chars],
        signature=message.signature,
        from_name=message.from_name,
        from_address=message.from_address,
        patterns=resources.config.extraction,
    )
    session.add_all(
        ExtractedField(
            case_id=case.id,
            name=f.name,
            value=f.value,
            confidence=f.confidence,
            source=f.source,
            span_start=f.start,
            span_end=f.end,
        )
        for f in fields
    )
    return StepOutcome(detail={"fields": dict(Counter(f.name for f in fields))})
