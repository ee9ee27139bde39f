"""A semantic cache of LLM drafts: a near-identical question in the same tenant, category
and language, asked while the knowledge base is at the same version, reuses the draft
instead of calling the model again.

Only drafts that passed every check are kept, and only when they hold nothing personal to
their case except the customer's name (no order or tracking number, address, phone...): the
name is stored as a placeholder and filled in for the next customer. A hit also needs the
same error codes and products as the cached question: "E-104" and "E-105" read alike.
Questions are compared by the case's sentence embedding (the one triage already made,
`case_vectors`). Entries are keyed by the knowledge-base version, so a change to the
knowledge base retires them: they never match again and are deleted when the next entry is
stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from supportflow.store.models import CaseVector, DraftCacheEntry

NAME_PLACEHOLDER = "{customer_name}"
FIRST_NAME_PLACEHOLDER = "{customer_first_name}"
MIN_SIMILARITY = 0.95
CANDIDATES = 500  # newest entries compared per lookup
# Facts personal to one customer's case: a draft quoting one is not reused.
_PERSONAL_FACTS = frozenset(
    {"order_id", "tracking_number", "ticket_reference", "postal_address", "phone_number",
     "customer_email"}
)  # fmt: skip
# Facts that make the question what it is: a hit needs the same ones.
_QUESTION_FACTS = ("error_code", "product")


@dataclass(frozen=True)
class CacheKey:
    tenant_id: int
    kb_version: int
    category: str
    language: str
    question_facts: tuple[str, ...]  # sorted "error_code=E-104", "product=Glide S2"


def question_facts(facts: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    return tuple(
        sorted(
            f"{name}={value.lower()}" for name in _QUESTION_FACTS for value in facts.get(name, ())
        )
    )


@dataclass(frozen=True)
class CachedDraft:
    body_text: str  # with the new customer's name filled in
    citations: list[dict[str, Any]]
    generation: dict[str, Any]
    similarity: float
    source_case_id: int


def case_vector(session: Session, case_id: int) -> np.ndarray | None:
    """The case's sentence embedding made by triage, if any."""
    row = session.get(CaseVector, case_id)
    return None if row is None else np.frombuffer(row.vector, dtype=np.float32)


def find_cached(
    session: Session, key: CacheKey, vector: np.ndarray, *, customer_name: str | None
) -> CachedDraft | None:
    """The most similar cached draft at MIN_SIMILARITY or more, counted as a hit."""
    rows = list(
        session.scalars(
            select(DraftCacheEntry)
            .where(
                DraftCacheEntry.tenant_id == key.tenant_id,
                DraftCacheEntry.kb_version == key.kb_version,
                DraftCacheEntry.category == key.category,
                DraftCacheEntry.language == key.language,
            )
            .order_by(DraftCacheEntry.id.desc())
            .limit(CANDIDATES)
        )
    )
    best: tuple[float, DraftCacheEntry] | None = None
    for row in rows:
        stored = np.frombuffer(row.vector, dtype=np.float32)
        if stored.shape != vector.shape:
            continue  # made by another embedding model
        if tuple(row.generation.get("question_facts", ())) != key.question_facts:
            continue
        similarity = float(stored @ vector)
        if similarity >= MIN_SIMILARITY and (best is None or similarity > best[0]):
            best = (similarity, row)
    if best is None:
        return None
    similarity, row = best
    row.hits += 1
    name = customer_name or "there"
    body = row.body_text.replace(NAME_PLACEHOLDER, name)
    return CachedDraft(
        body_text=body.replace(FIRST_NAME_PLACEHOLDER, name.split()[0]),
        citations=list(row.citations),
        generation=dict(row.generation),
        similarity=similarity,
        source_case_id=row.source_case_id,
    )


def is_cacheable(body_text: str, facts: Mapping[str, Sequence[str]]) -> bool:
    """Whether the draft quotes nothing personal to its case but the customer's name."""
    lowered = body_text.lower()
    return not any(
        value and value.lower() in lowered
        for name in _PERSONAL_FACTS
        for value in facts.get(name, ())
    )


def store_in_cache(
    session: Session,
    key: CacheKey,
    *,
    vector: np.ndarray,
    question: str,
    body_text: str,
    customer_name: str | None,
    citations: list[dict[str, Any]],
    generation: dict[str, Any],
    case_id: int,
) -> None:
    """Keep a checked draft for reuse, and retire the tenant's entries made on an older
    knowledge base."""
    session.execute(
        delete(DraftCacheEntry).where(
            DraftCacheEntry.tenant_id == key.tenant_id,
            DraftCacheEntry.kb_version != key.kb_version,
        )
    )
    if customer_name:
        body_text = body_text.replace(customer_name, NAME_PLACEHOLDER)
        first = customer_name.split()[0]
        if len(first) > 1:
            body_text = re.sub(rf"\b{re.escape(first)}\b", FIRST_NAME_PLACEHOLDER, body_text)
    session.add(
        DraftCacheEntry(
            tenant_id=key.tenant_id,
            kb_version=key.kb_version,
            category=key.category,
            language=key.language,
            question=question[:2000],
            vector=np.asarray(vector, dtype=np.float32).tobytes(),
            body_text=body_text,
            citations=citations,
            generation=generation | {"question_facts": list(key.question_facts)},
            source_case_id=case_id,
        )
    )
