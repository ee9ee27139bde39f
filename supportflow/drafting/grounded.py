"""Choosing a case's draft: the semantic cache, the tenant's LLM, or the template.

The template's draft is always composed first: it is the structure the LLM follows and the
draft the case keeps when the LLM cannot give a checked reply (endpoint down, circuit open,
budget spent, every answer rejected). Whichever is chosen, `generation` records how, and
why not the LLM, so the reviewer sees it next to the draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from supportflow.drafting.compose import (
    ComposedDraft,
    PassageLike,
    TemplatePassage,
    numbered_passages,
    with_sources,
)
from supportflow.drafting.draft_cache import (
    CacheKey,
    case_vector,
    find_cached,
    is_cacheable,
    question_facts,
    store_in_cache,
)
from supportflow.drafting.llm_draft import DraftRequest, LlmDrafter, WrittenReply
from supportflow.llm.gateway import LlmUnavailable
from supportflow.store.models import Case


@dataclass(frozen=True)
class ChosenDraft:
    mode: str  # "template" | "llm" | "cache"
    body_text: str
    citations: list[dict[str, Any]]
    generation: dict[str, Any] | None

    @property
    def note(self) -> str:
        """One line for the step's detail and the reviewer."""
        return generation_note(self.mode, self.generation) or "template draft"


def generation_note(mode: str | None, generation: dict[str, Any] | None) -> str | None:
    """How a pipeline draft was written, in one line; None for a reviewer's edit or a plain
    template draft of a tenant without an LLM."""
    generation = generation or {}
    if mode == "template" or mode is None:
        reason = generation.get("fallback")
        return f"template draft: {reason}" if reason else None
    flagged = len(generation.get("unsupported", []))
    checked = f"{flagged} sentence(s) no source supports" if flagged else "every sentence supported"
    note = f"{mode} draft by {generation.get('model')}: {checked}"
    if generation.get("needs_human"):
        note += "; the LLM asks for a person to take over"
    return note


def template_choice(template: ComposedDraft, fallback: str | None = None) -> ChosenDraft:
    generation = {"fallback": fallback} if fallback else None
    return ChosenDraft("template", template.body_text, template.citations, generation)


def choose_draft(
    session: Session,
    case: Case,
    *,
    drafter: LlmDrafter | str | None,
    template: ComposedDraft,
    passages: Sequence[PassageLike],
    facts: Mapping[str, Sequence[str]],
    summary: str,
    language: str | None,
    customer_name: str | None,
) -> ChosenDraft:
    """The draft for `case`; never raises for an LLM failure (the template answers)."""
    if drafter is None:
        return template_choice(template)
    if isinstance(drafter, str):
        return template_choice(template, f"the LLM cannot be used: {drafter}")
    key = _cache_key(case, language, facts)
    vector = case_vector(session, case.id) if key is not None else None
    if key is not None and vector is not None:
        cached = find_cached(session, key, vector, customer_name=customer_name)
        if cached is not None:
            generation = {k: v for k, v in cached.generation.items() if k != "question_facts"} | {
                "cache": {"similarity": round(cached.similarity, 4), "case": cached.source_case_id}
            }
            return ChosenDraft("cache", cached.body_text, cached.citations, generation)
    message = case.message
    numbered = numbered_passages(passages, f"{message.subject}\n{message.new_text}")
    request = DraftRequest(
        subject=message.subject,
        message_text=message.new_text,
        template_draft=template.reply_text,
        passages={number: p.text for number, p in enumerate(passages, start=1)},
        passage_labels={p.number: p.label for p in numbered},
        facts=facts,
        summary=summary,
        language=language,
    )
    try:
        written = drafter.write(request)
    except LlmUnavailable as exc:
        return template_choice(template, f"no usable LLM reply ({exc})")
    chosen = _llm_choice(written, numbered, template.template, language)
    if key is not None and vector is not None and _worth_caching(written, chosen, facts):
        store_in_cache(
            session,
            key,
            vector=vector,
            question=f"{message.subject}\n{message.new_text}",
            body_text=chosen.body_text,
            customer_name=customer_name,
            citations=chosen.citations,
            generation=chosen.generation or {},
            case_id=case.id,
        )
    return chosen


def _llm_choice(
    written: WrittenReply,
    numbered: Sequence[TemplatePassage],
    template_name: str,
    language: str | None,
) -> ChosenDraft:
    composed = with_sources(written.text, numbered, template=template_name, language=language)
    generation = {
        "model": written.model,
        "tokens": written.tokens,
        "confidence": written.confidence,
        "needs_human": written.needs_human,
        "repaired": written.repaired,
        "grounded": written.verification.grounded and bool(composed.citations),
        "checked_sentences": written.verification.checked,
        "unsupported": written.verification.unsupported,
        "supporting_passages": written.verification.supporting,
    }
    return ChosenDraft("llm", composed.body_text, composed.citations, generation)


def _worth_caching(
    written: WrittenReply, chosen: ChosenDraft, facts: Mapping[str, Sequence[str]]
) -> bool:
    generation = chosen.generation or {}
    return (
        bool(generation.get("grounded"))
        and not written.needs_human
        and is_cacheable(chosen.body_text, facts)
    )


def _cache_key(
    case: Case, language: str | None, facts: Mapping[str, Sequence[str]]
) -> CacheKey | None:
    if case.kb_version_id is None or not case.category:
        return None
    return CacheKey(
        case.tenant_id, case.kb_version_id, case.category, language or "en", question_facts(facts)
    )
