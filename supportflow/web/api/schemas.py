"""Request bodies and response models of the REST API (what /openapi.json documents).

Request bodies refuse unknown keys, so a misspelt field is a 422 rather than silently
ignored. Case views stay plain dicts (`supportflow.cases.views` is the contract for them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from supportflow.accounts.users import Role
from supportflow.cases.feedback import Rating
from supportflow.config import Thresholds


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApproveRequest(_Body):
    text: str | None = Field(default=None, description="the reply as edited; absent: as drafted")
    label: str | None = Field(default=None, description="the right category, when triage's is not")


class RejectRequest(_Body):
    reason: str = Field(min_length=1, max_length=2000)
    label: str | None = None


class EscalateRequest(_Body):
    reason: str = Field(min_length=1, max_length=2000)
    assignee: str | None = Field(default=None, description="email of a user of this tenant")


class LabelRequest(_Body):
    label: str = Field(min_length=1, max_length=63)


class FeedbackRequest(_Body):
    rating: Rating
    reason: str | None = Field(default=None, max_length=2000)


class UserCreate(_Body):
    email: str = Field(min_length=3, max_length=320)
    role: Role
    password: str | None = Field(
        default=None, description="absent: a random password is generated and shown once"
    )


class TokenCreate(_Body):
    name: str = Field(default="api", min_length=1, max_length=100)


class CaseList(BaseModel):
    items: list[dict[str, Any]]
    total: int
    next: int | None = Field(description="the offset of the next page; null on the last page")


class FeedbackPublic(BaseModel):
    rating: Literal["up", "down"]
    reason: str | None
    reviewer: str
    at: datetime


class DraftVersion(BaseModel):
    id: int
    version: int
    author: str
    template: str | None
    text: str
    citations: list[dict[str, Any]]
    # "template", "llm" or "cache" for the pipeline's draft; None for a reviewer's edit.
    mode: str | None = None
    # Model, tokens and the check of an LLM draft, or why the template was used.
    generation: dict[str, Any] | None = None
    created_at: datetime
    feedback: list[FeedbackPublic]


class CategoryPublic(BaseModel):
    name: str
    description: str
    template: str
    kb_tags: list[str]
    priority: str
    sla_hours: float | None = None


class TenantPublic(BaseModel):
    slug: str
    name: str
    support_address: str


class TenantSettings(BaseModel):
    tenant: TenantPublic
    categories: list[CategoryPublic]
    thresholds: Thresholds
    templates: list[str]


class UserPublic(BaseModel):
    id: int
    email: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreated(UserPublic):
    password: str | None = Field(description="the generated password, shown this once; else null")


class TokenPublic(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="the token itself, shown this once")
