"""Extract: the facts a reply needs (order ids, error codes, ...) with their spans, and the
message's language and sentiment."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from supportflow.cases.conversation_memory import note_facts
from supportflow.pipeline.outcome import StepOutcome
from supportflow.store.models import Case, ExtractedField
from supportflow.tenants import TenantResources
from supportflow.triage.extraction import extract_fields
from supportflow.triage.fields import ExtractedField as Field
from supportflow.triage.language import detect_language
from supportflow.triage.llm_stages import LlmStages
from supportflow.triage.sentiment import assess_sentiment
from supportflow.triage.urgency import LEVELS


def extract_case_fields(
    session: Session,
    case: Case,
    resources: TenantResources,
    *,
    llm_stages: LlmStages | None = None,
) -> StepOutcome:
    """Parse the message's facts, then (when the tenant configures an `extract` model) let
    the LLM fill the fields the parsers left empty; add language and sentiment."""
    message = case.message
    text = message.new_text[: resources.config.limits.max_body_chars]
    fields = extract_fields(
        subject=message.subject,
        text=text,
        signature=message.signature,
        from_name=message.from_name,
        from_address=message.from_address,
        patterns=resources.config.extraction,
        products=resources.config.products,
        attachments=[attachment.get("filename") for attachment in message.attachments],
    )
    detail: dict[str, object] = {}
    llm = llm_stages.extraction_for(resources) if llm_stages is not None else None
    if llm is not None:
        added = llm.extract(subject=message.subject, text=text, found=fields)
        fields.extend(added.fields)
        detail["llm"] = added.note
    fields.extend(_language_and_sentiment(text, resources.config.languages))
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
    case.priority = _raised_priority(case.priority, fields)
    note_facts(session, case, [(f.name, f.value) for f in fields])
    detail["fields"] = dict(Counter(f.name for f in fields))
    return StepOutcome(detail=detail)


def _raised_priority(priority: str | None, fields: list[Field]) -> str:
    """The case's priority, raised (never lowered) to the urgency the message expresses:
    rules and the category set it at triage; "by tomorrow" or a chargeback threat outrank."""
    current = priority if priority in LEVELS else "normal"
    levels = [f.value for f in fields if f.name == "urgency" and f.value in LEVELS]
    return max([current, *levels], key=LEVELS.index)


def _language_and_sentiment(text: str, languages: list[str]) -> list[Field]:
    """The body's language (templates follow it) and sentiment ("unknown": not assessed,
    which is every language but English); spans on the analysed text and strongest cue."""
    language = detect_language(text, languages)
    sentiment = assess_sentiment(text, language.code)
    cue = sentiment.cues[0] if sentiment.cues else None
    return [
        Field("language", language.code, language.confidence, language.start, language.end, "body"),
        Field(
            "sentiment",
            sentiment.label,
            sentiment.confidence,
            cue.start if cue else None,
            cue.end if cue else None,
            "body",
        ),
    ]
