"""Tenants: their folders, registration, and the resources a worker loads once per tenant.

A tenant is a folder (`<home>/tenants/<slug>/`) holding tenant.yaml, reply templates,
labelled examples and the trained classifier; the database row points at it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.config import Settings, TenantConfig, load_tenant_config
from supportflow.errors import ConfigurationError, InputError, NotFoundError
from supportflow.knowledge.embeddings import Embedder
from supportflow.store.models import Tenant
from supportflow.triage.model import TextClassifier, load_examples, train_classifier
from supportflow.triage.rules import RuleSet

MODEL_FILE = "model.joblib"


def tenant_folder(settings: Settings, slug: str) -> Path:
    return settings.home / "tenants" / slug


def register_tenant(session: Session, *, settings: Settings, source: Path) -> Tenant:
    """Copy a tenant folder into the data folder and create or update its row."""
    config = load_tenant_config(source)
    folder = tenant_folder(settings, config.tenant.slug)
    if source.resolve() != folder.resolve():
        shutil.copytree(source, folder, dirs_exist_ok=True)
    tenant = session.scalar(select(Tenant).where(Tenant.slug == config.tenant.slug))
    if tenant is None:
        tenant = Tenant(slug=config.tenant.slug)
        session.add(tenant)
    tenant.name = config.tenant.name
    tenant.support_address = config.tenant.support_address
    tenant.config_dir = str(folder.resolve())
    session.flush()
    return tenant


def resolve_tenant(session: Session, slug: str | None) -> Tenant:
    """The tenant named `slug`, or the only tenant when none is named."""
    if slug is not None:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            raise NotFoundError(f"no tenant '{slug}'")
        return tenant
    tenants = list(session.scalars(select(Tenant).limit(2)))
    if not tenants:
        raise ConfigurationError("no tenant yet: run `supportflow init` (or `supportflow demo`)")
    if len(tenants) > 1:
        raise InputError("several tenants exist: name one with --tenant")
    return tenants[0]


def train_tenant_model(folder: Path, config: TenantConfig) -> TextClassifier:
    """Train the tenant's classifier on its labelled examples and save it beside them."""
    examples = load_examples(folder / config.examples_file)
    classifier = train_classifier(examples)
    classifier.save(folder / MODEL_FILE)
    return classifier


@dataclass(frozen=True)
class TenantResources:
    """What the pipeline needs of one tenant, loaded once per process."""

    tenant_id: int
    slug: str
    folder: Path
    config: TenantConfig
    rules: RuleSet
    classifier: TextClassifier | None
    templates: jinja2.Environment
    embedder: Embedder | None  # None: research searches by keyword only


def load_resources(tenant: Tenant, embedder: Embedder | None = None) -> TenantResources:
    folder = Path(tenant.config_dir)
    config = load_tenant_config(folder)
    model_path = folder / MODEL_FILE
    classifier = TextClassifier.load(model_path) if model_path.exists() else None
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder / "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # replies are plain text; HTML is escaped when the email is built
        keep_trailing_newline=False,
    )
    return TenantResources(
        tenant_id=tenant.id,
        slug=tenant.slug,
        folder=folder,
        config=config,
        rules=RuleSet.from_rules(config.rules),
        classifier=classifier,
        templates=templates,
        embedder=embedder,
    )


class ResourceCache:
    """Per-process cache of TenantResources, keyed by tenant id."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._items: dict[int, TenantResources] = {}
        self._lock = Lock()
        self._embedder = embedder

    def get(self, tenant: Tenant) -> TenantResources:
        with self._lock:
            if tenant.id not in self._items:
                self._items[tenant.id] = load_resources(tenant, self._embedder)
            return self._items[tenant.id]

    def for_tenant_id(self, session: Session, tenant_id: int) -> TenantResources:
        """Like `get`, reading the tenant row only the first time."""
        with self._lock:
            cached = self._items.get(tenant_id)
        return cached or self.get(session.get_one(Tenant, tenant_id))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
