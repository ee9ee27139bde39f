"""Settings from the environment and the per-tenant configuration from YAML.

`Settings` (prefix SUPPORTFLOW_) is built by `get_settings()`, never at import time, so a test
isolates all state by setting SUPPORTFLOW_HOME. A tenant is a folder holding `tenant.yaml`
(validated by `TenantConfig`, unknown keys refused), Jinja2 reply templates and labelled
examples.
"""

from __future__ import annotations

from pathlib import Path
from string import Formatter
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from supportflow.errors import ConfigurationError


class Settings(BaseSettings):
    """Process-wide settings; every field can be set as SUPPORTFLOW_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="SUPPORTFLOW_", extra="ignore")

    home: Path = Field(default=Path(".supportflow"), description="data folder")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<home>/supportflow.db"
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for replies")
    smtp_port: int = Field(default=1025, description="SMTP port")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="transport security for SMTP"
    )
    smtp_username: str | None = Field(default=None, description="SMTP login")
    smtp_password: str | None = Field(default=None, description="SMTP password")
    smtp_timeout_seconds: float = Field(default=15.0, description="SMTP connect/send timeout")
    lease_seconds: float = Field(
        default=60.0, description="how long a worker owns a case before another may take it"
    )
    worker_poll_seconds: float = Field(default=1.0, description="embedded worker idle poll")
    step_max_attempts: int = Field(default=3, description="attempts per pipeline step")
    step_retry_seconds: float = Field(default=0.5, description="base delay between attempts")
    send_max_attempts: int = Field(default=5, description="SMTP attempts before `failed`")
    embedding_model: Literal["minilm", "e5", "none"] = Field(
        default="minilm", description="embedding model for vector and hybrid search"
    )
    secret_key: SecretStr | None = Field(
        default=None, description="signs session cookies; default: generated in <home>/secret_key"
    )
    cookie_secure: bool = Field(
        default=False, description="send the session cookie over HTTPS only (behind TLS)"
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'supportflow.db').resolve()}"


def get_settings() -> Settings:
    """Read settings from the environment now (not at import time)."""
    return Settings()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantInfo(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str
    support_address: str
    support_name: str = "Support"


class Category(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    description: str = ""
    template: str  # file name under the tenant's templates/ folder
    kb_tags: list[str] = Field(default_factory=list)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    # Hours within which a reply is due; the review queue orders by received time + this.
    sla_hours: float | None = Field(default=None, gt=0)


class Rule(_Strict):
    """A deterministic triage rule; any matching condition fires it."""

    name: str
    label: str | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    keywords: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    sender_domains: list[str] = Field(default_factory=list)


class Thresholds(_Strict):
    classify_min_confidence: float = Field(default=0.45, ge=0.0, le=1.0)
    rule_min_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    # The similar-case cache reuses a reviewed case's label when the nearest is this alike...
    cache_min_similarity: float = Field(default=0.92, ge=0.0, le=1.0)
    # ...or the three nearest share a label and are each this alike...
    cache_agree_similarity: float = Field(default=0.85, ge=0.0, le=1.0)
    # ...and reviewers kept that label this often when the cache proposed it.
    cache_min_accuracy: float = Field(default=0.85, ge=0.0, le=1.0)
    # The LLM stage decides when the label it chose comes with this confidence or more.
    llm_min_confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    max_passages: int = Field(default=3, ge=0, le=10)
    # Passages scoring below this are not cited; None: the search mode's default floor.
    min_passage_score: float | None = Field(default=None, ge=0.0, le=1.0)


class ExtractionPatterns(_Strict):
    order_id: list[str] = Field(default_factory=list)
    tracking_number: list[str] = Field(default_factory=list)
    error_code: list[str] = Field(default_factory=list)
    ticket_reference: list[str] = Field(default_factory=list)


class Product(_Strict):
    """A product the tenant supports; `aliases` are other ways customers write its name."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # an environment variable's name
LlmTask = Literal["classify", "extract", "draft", "summarise"]


class CircuitBreakerPolicy(_Strict):
    """After `failure_threshold` failed calls in a row the endpoint is skipped for
    `reset_seconds`; then one trial call decides whether it is used again."""

    failure_threshold: int = Field(default=5, ge=1)
    reset_seconds: float = Field(default=30.0, gt=0)


class ModelPrice(_Strict):
    """What a model costs, in the tenant's currency per million tokens."""

    input_per_million: float = Field(default=0.0, ge=0)
    output_per_million: float = Field(default=0.0, ge=0)


class LlmBudget(_Strict):
    """Caps on LLM use. Past one, LLM stages stand aside (template drafts, no LLM label)
    with the reason noted: a cap never fails a case. None: no cap."""

    case_tokens: int | None = Field(default=None, gt=0)
    tenant_daily_tokens: int | None = Field(default=None, gt=0)
    tenant_daily_cost: float | None = Field(default=None, gt=0)


class LlmEndpoint(_Strict):
    """The tenant's LLM: an OpenAI-compatible chat endpoint (hosted, vLLM, Ollama, llama.cpp
    server) or, with `provider: local`, a GGUF model run in this process by llama-cpp-python.
    Without one no stage calls an LLM and drafts come from the templates."""

    provider: Literal["openai", "local"] = "openai"
    base_url: str | None = Field(default=None, min_length=1)  # required for "openai"
    # The environment variable holding the API key; None: the endpoint needs none.
    api_key_env: str | None = Field(default=None, pattern=_ENV_NAME)
    # The model per task; a task without one does not use the LLM. A list is a fallback
    # chain tried in order (a small fast model first, a stronger one next); after the last
    # the stage falls back to its non-LLM behaviour (the template draft, no LLM label).
    models: dict[LlmTask, str | list[str]] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=20.0, gt=0)
    # Attempts after the first for a call that may pass (429, 5xx, timeout, connection),
    # waiting backoff_seconds * 2^n with full jitter, at most backoff_max_seconds.
    max_retries: int = Field(default=2, ge=0, le=10)
    backoff_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=8.0, ge=0)
    breaker: CircuitBreakerPolicy = CircuitBreakerPolicy()
    # How structured output is asked for: OpenAI's "json_schema"; "json_object" with a
    # schema for servers that only constrain that way (llama.cpp's).
    json_mode: Literal["json_schema", "json_object"] = "json_schema"
    # Longest answer asked for, in tokens.
    max_output_tokens: int = Field(default=600, gt=0)
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    budget: LlmBudget = LlmBudget()

    @model_validator(mode="after")
    def _openai_needs_base_url(self) -> LlmEndpoint:
        if self.provider == "openai" and self.base_url is None:
            raise ValueError("llm.base_url is required unless llm.provider is local")
        return self

    def chain(self, task: LlmTask) -> list[str]:
        """The models to try for `task`, in order; empty when the task uses no LLM."""
        models = self.models.get(task)
        if models is None:
            return []
        return [models] if isinstance(models, str) else list(models)


class Limits(_Strict):
    max_attachment_bytes: int = Field(default=2_000_000, gt=0)
    # Attachments of these types (file extensions or MIME types) are kept as a note and never
    # processed, whatever their size: programs and scripts have no place in a support reply.
    blocked_attachment_types: list[str] = Field(
        default_factory=lambda: [
            ".exe", ".msi", ".bat", ".cmd", ".com", ".scr", ".pif", ".js", ".vbs", ".ps1",
            ".jar", ".apk", ".dll", "application/x-msdownload", "application/x-dosexec",
            "application/java-archive",
        ]
    )  # fmt: skip
    max_body_chars: int = Field(default=50_000, gt=0)
    max_message_bytes: int = Field(default=25_000_000, gt=0)


class Webhooks(_Strict):
    """Inbound-mail webhooks (POST /webhooks/<provider>/<tenant>). Each field names the
    environment variable holding that provider's secret, so no secret sits in tenant.yaml;
    a provider without one is refused (404)."""

    mailgun_signing_key_env: str | None = Field(default=None, pattern=_ENV_NAME)  # signing key
    sendgrid_basic_auth_env: str | None = Field(default=None, pattern=_ENV_NAME)  # user:password
    postmark_basic_auth_env: str | None = Field(default=None, pattern=_ENV_NAME)  # user:password


class ReviewPolicy(_Strict):
    """What the review console offers this tenant's reviewers."""

    # Bulk approve takes every awaiting draft at this confidence or more; None: no bulk approve.
    bulk_approve_min_confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class AutoApproval(_Strict):
    """When a draft may be sent without a person reading it first. Off unless enabled, and
    then only for the listed categories: an empty list approves nothing."""

    enabled: bool = False
    min_confidence: float = Field(default=0.9, ge=0.0, le=1.0)
    # True: the draft must cite at least one knowledge-base passage.
    require_grounding: bool = True
    categories: list[str] = Field(default_factory=list)
    # Auto-approvals per tenant per UTC day; past it cases wait for a person as usual.
    daily_cap: int = Field(default=100, ge=0)


class ActionRule(_Strict):
    """An action supportflow may propose to the reviewer (refund, coupon, ticket...). It is
    proposed when the case's category is listed, every `requires` field was extracted and,
    when `when_keywords` is set, the message says one of them. Proposals are only recorded:
    people carry them out."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    # A format string over the required fields: "Refund order {order_id}".
    label: str = Field(min_length=1)
    categories: list[str] = Field(min_length=1)
    requires: list[str] = Field(default_factory=list)
    when_keywords: list[str] = Field(default_factory=list)
    # Proposals are listed by priority, smallest first.
    priority: int = 100

    @model_validator(mode="after")
    def _label_uses_required_fields(self) -> ActionRule:
        try:
            placeholders = {name for _, name, _, _ in Formatter().parse(self.label) if name}
        except ValueError as exc:
            raise ValueError(f"action {self.name}: label is not a format string: {exc}") from exc
        missing = sorted(placeholders - set(self.requires))
        if missing:
            raise ValueError(f"action {self.name}: label uses fields not in requires: {missing}")
        return self


class Mailbox(_Strict):
    """An IMAP mailbox `supportflow poll` reads new mail from. The password is read from the
    environment variable `password_env` when connecting and never logged or stored."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    host: str = Field(min_length=1)
    port: int = Field(default=993, gt=0, lt=65536)
    # ssl: TLS from the first byte (port 993); starttls: upgrade a plain connection (port
    # 143); none: plaintext, for a server on the same machine only.
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = Field(min_length=1)
    password_env: str = Field(pattern=_ENV_NAME)
    folder: str = "INBOX"
    # Where sent replies are filed; with it, a send interrupted by a crash is checked against
    # this folder instead of going to a person (see supportflow.pipeline.send).
    sent_folder: str | None = None
    # False when the provider files mail sent through its SMTP server by itself (Gmail):
    # appending too would file every reply twice.
    append_sent: bool = True


class TenantConfig(_Strict):
    """Everything in a tenant's tenant.yaml."""

    tenant: TenantInfo
    categories: list[Category]
    rules: list[Rule] = Field(default_factory=list)
    thresholds: Thresholds = Thresholds()
    extraction: ExtractionPatterns = ExtractionPatterns()
    products: list[Product] = Field(default_factory=list)
    llm: LlmEndpoint | None = None
    limits: Limits = Limits()
    review: ReviewPolicy = ReviewPolicy()
    # Languages the tenant's customers write in (ISO 639 codes): language detection prefers
    # them, so short messages are not read as a rare language. Empty: any language.
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(default_factory=list)
    examples_file: str = "examples.csv"
    auto_approve: AutoApproval = AutoApproval()
    actions: list[ActionRule] = Field(default_factory=list)
    mailboxes: list[Mailbox] = Field(default_factory=list)
    webhooks: Webhooks = Webhooks()

    @field_validator("categories")
    @classmethod
    def _unique_names(cls, value: list[Category]) -> list[Category]:
        names = [c.name for c in value]
        if len(names) != len(set(names)):
            raise ValueError("category names must be unique")
        if "unknown" in names:
            raise ValueError("'unknown' is reserved for requests no category fits")
        return value

    @model_validator(mode="after")
    def _auto_approve_known_categories(self) -> TenantConfig:
        names = {c.name for c in self.categories}
        unknown = [name for name in self.auto_approve.categories if name not in names]
        if unknown:
            raise ValueError(f"auto_approve.categories: not categories: {', '.join(unknown)}")
        return self

    @model_validator(mode="after")
    def _actions_name_known_categories(self) -> TenantConfig:
        names = {c.name for c in self.categories}
        for action in self.actions:
            unknown = [name for name in action.categories if name not in names]
            if unknown:
                raise ValueError(f"action {action.name}: not categories: {', '.join(unknown)}")
        if len({a.name for a in self.actions}) != len(self.actions):
            raise ValueError("action names must be unique")
        return self

    @field_validator("mailboxes")
    @classmethod
    def _unique_mailbox_names(cls, value: list[Mailbox]) -> list[Mailbox]:
        if len({m.name for m in value}) != len(value):
            raise ValueError("mailbox names must be unique")
        return value

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)


def load_tenant_config(folder: Path) -> TenantConfig:
    """Read and validate `<folder>/tenant.yaml`; raises ConfigurationError naming the file."""
    path = folder / "tenant.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return TenantConfig.model_validate(data)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{path}: tenant configuration not found") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"{path}: invalid tenant configuration: {exc}") from exc


# Parsing YAML on every request would cost more than a page; tenant.yaml rarely changes.
_CURRENT: dict[Path, tuple[int, TenantConfig]] = {}


def current_tenant_config(folder: Path) -> TenantConfig:
    """The tenant's configuration as its tenant.yaml says now, parsed again only when the
    file changed (its modification time)."""
    stamp = (folder / "tenant.yaml").stat().st_mtime_ns
    cached = _CURRENT.get(folder)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_tenant_config(folder))
        _CURRENT[folder] = cached
    return cached[1]
