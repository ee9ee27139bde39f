"""The system of record: every table supportflow keeps.

One case is one inbound message in a conversation. Each pipeline step writes its results and
its `CaseStep` row in one transaction, so a step either happened completely or not at all;
that is what makes a crashed run resumable without duplicates. The audit log is append-only
(database triggers refuse UPDATE and DELETE on it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportflow.store.base import Base, UTCDateTime, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    support_address: Mapped[str] = mapped_column(String(320))
    config_dir: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Conversation(Base):
    """A thread: the inbound messages and our replies that belong together."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(Base):
    """An email in or out; the raw MIME is always kept, whatever else failed."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("tenant_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    message_id: Mapped[str] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    from_address: Mapped[str | None] = mapped_column(String(320))
    from_name: Mapped[str | None] = mapped_column(String(200))
    to_address: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    new_text: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    auto_reply_reason: Mapped[str | None] = mapped_column(Text)
    # Deferred: the bytes are read only by the receive step, not on every case load.
    raw_mime: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Case(Base):
    """The unit of work: one inbound message, moved through the status machine."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_claim", "status", "lease_expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(63))
    confidence: Mapped[float | None] = mapped_column(Float)
    route: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    kb_version_id: Mapped[int | None] = mapped_column(Integer)  # the base research used
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    message: Mapped[Message] = relationship(lazy="joined")


class CaseStep(Base):
    """A pipeline step that completed for a case, with what it took."""

    __tablename__ = "case_steps"
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    step: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    duration_ms: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Classification(Base):
    __tablename__ = "classifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    label: Mapped[str] = mapped_column(String(63))
    confidence: Mapped[float] = mapped_column(Float)
    route: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExtractedField(Base):
    __tablename__ = "extracted_fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))
    span_start: Mapped[int | None] = mapped_column(Integer)
    span_end: Mapped[int | None] = mapped_column(Integer)


class RetrievedPassage(Base):
    __tablename__ = "retrieved_passages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    chunk_id: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)


class Draft(Base):
    """One version of a reply; version 1 is the pipeline's, later ones are reviewers' edits."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(100))
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    author: Mapped[str] = mapped_column(String(200))
    # How the pipeline wrote it: "template", "llm" (checked against its sources) or
    # "cache" (an earlier LLM draft for a near-identical question); None for edits.
    mode: Mapped[str | None] = mapped_column(String(20))
    # For LLM drafts and fallbacks: model, tokens, the verification (unsupported sentences,
    # notes) or the reason the template was used. Shown to the reviewer.
    generation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewDecision(Base):
    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    decision: Mapped[str] = mapped_column(String(20))  # approve | edit | reject | escalate
    reviewer: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    edit_diff: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEntry(Base):
    """A reply to send. One per case; its Message-ID is fixed before the first attempt."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12))  # pending|sending|sent|failed|uncertain
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Append-only: the application inserts; triggers refuse updates and deletes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KbDocument(Base):
    __tablename__ = "kb_documents"
    __table_args__ = (UniqueConstraint("tenant_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int | None] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KbChunk(Base):
    __tablename__ = "kb_chunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("kb_documents.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int] = mapped_column(Integer, index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))


class KbEmbedding(Base):
    """Embeddings cached by content hash and model: unchanged text is never embedded twice."""

    __tablename__ = "kb_embeddings"
    __table_args__ = (UniqueConstraint("model", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian


class KbVersion(Base):
    """One change of a tenant's knowledge base (documents added, updated or removed)."""

    __tablename__ = "kb_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseVector(Base):
    """The sentence embedding of a case's message, kept so reviewed cases can be found again
    by similarity (the similar-case cache) without embedding them a second time."""

    __tablename__ = "case_vectors"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, normalised


class ReviewedLabel(Base):
    """A category a reviewer confirmed (approve, edit) or set (a correction) for a case.

    These are training data for the model and the memory of the similar-case cache.
    `predicted_label`, `route` and `cache_label` keep what triage said, so each label's
    reviewed accuracy can be measured.
    """

    __tablename__ = "reviewed_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    label: Mapped[str] = mapped_column(String(63))
    predicted_label: Mapped[str | None] = mapped_column(String(63))
    route: Mapped[str | None] = mapped_column(String(20))
    cache_label: Mapped[str | None] = mapped_column(String(63))
    corrected: Mapped[bool] = mapped_column(default=False)
    reviewer: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)  # subject and new text, as triage saw them
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingExample(Base):
    """A labelled example imported for a tenant's classifier (`supportflow train --examples`)."""

    __tablename__ = "training_examples"
    __table_args__ = (UniqueConstraint("tenant_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of label and text
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(63))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelVersion(Base):
    """One trained classifier of a tenant, with the figures that decided its fate.

    `status`: live (routes cases; one per tenant), shadow (scored beside the live one, never
    routes), refused (worse than the live one on the held-out split), retired (was live).
    """

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)
    features: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class User(Base):
    """A person who signs in to the console or holds API tokens; belongs to one tenant.

    `email` is stored lower-cased so the unique constraint means what people expect.
    `role`: admin | reviewer | viewer (see supportflow.web.auth for what each may do).
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A user's API token; only its sha256 is kept, so the token is shown once at creation.
    `prefix` (its first 8 characters) lets people tell their tokens apart in lists."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DraftFeedback(Base):
    """A reviewer's thumbs up or down on a draft, with an optional reason: training data for
    drafting. One per reviewer and draft; giving it again replaces the earlier one."""

    __tablename__ = "draft_feedback"
    __table_args__ = (UniqueConstraint("draft_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    reviewer: Mapped[str] = mapped_column(String(320))
    rating: Mapped[str] = mapped_column(String(4))  # up | down
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposedAction(Base):
    """An action the pipeline proposed for a case (refund, coupon, ticket...) and what a
    reviewer decided. `status`: proposed | accepted | declined. Accepted actions are carried
    out by people; supportflow only records them."""

    __tablename__ = "proposed_actions"
    __table_args__ = (UniqueConstraint("case_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailboxState(Base):
    """Where IMAP polling of one tenant mailbox folder stopped: the folder's UIDVALIDITY and
    the highest UID whose message is committed as a case. A different UIDVALIDITY means the
    server renumbered the folder, so polling starts over (Message-ID dedupe absorbs repeats)."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("tenant_id", "mailbox", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    mailbox: Mapped[str] = mapped_column(String(100))
    folder: Mapped[str] = mapped_column(String(255))
    # UIDs and UIDVALIDITY are unsigned 32-bit: beyond a signed INTEGER on PostgreSQL.
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConversationMemory(Base):
    """What a conversation has been about so far, kept without an LLM (see
    supportflow.cases.conversation_memory): `facts` holds the first request, the order ids,
    products and error codes seen, our replies and the status; `summary` is rendered from
    them. `repeat_count`: the customer's asks on the same issue since our first reply."""

    __tablename__ = "conversation_memory"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    inbound_count: Mapped[int] = mapped_column(Integer, default=0)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LlmCall(Base):
    """One call to an LLM (every attempt, failed ones too): what it cost and how it went.
    Budgets sum these per case and per tenant per UTC day."""

    __tablename__ = "llm_calls"
    __table_args__ = (Index("ix_llm_calls_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    task: Mapped[str] = mapped_column(String(20))  # classify | extract | draft | summarise
    endpoint: Mapped[str] = mapped_column(String(500))
    model: Mapped[str] = mapped_column(String(200))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    outcome: Mapped[str] = mapped_column(String(300))  # "ok" or what went wrong
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DraftCacheEntry(Base):
    """An LLM draft that passed verification, reusable for a near-identical question in the
    same tenant, category and language while the knowledge base stays at `kb_version`.
    `body_text` holds the customer's name as a placeholder."""

    __tablename__ = "draft_cache"
    __table_args__ = (Index("ix_draft_cache_lookup", "tenant_id", "kb_version", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kb_version: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(10))
    question: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    body_text: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    generation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
