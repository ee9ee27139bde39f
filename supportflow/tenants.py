"""Tenants: their folders, registration, and the resources a worker loads once per tenant.

A tenant is a folder (`<home>/tenants/<slug>/`) holding tenant.yaml, reply templates,
labelled examples and the trained classifier; the database row points at it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from threading import Lock

import jinja2
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from supportflow.config import Settings, TenantConfig, load_tenant_config
from supportflow.errors import ConfigurationError, InputError, NotFoundError
from supportflow.knowledge.embeddings import Embedder
from supportflow.store.models import ModelVersion, Tenant
from supportflow.triage.model import TextClassifier
from supportflow.triage.rules import RuleSet

MODEL_FILE = "model.joblib"  # the live classifier (see supportflow.training.versions)
SHADOW_FILE = "shadow.joblib"  # the shadow classifier, scored beside the live one


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


@dataclass(frozen=True)
class TenantResources:
    """What the pipeline needs of one tenant, loaded once per process."""

    tenant_id: int
    slug: str
    folder: Path
    config: TenantConfig
    rules: RuleSet
    classifier: TextClassifier | None
    shadow_classifier: TextClassifier | None  # scored beside `classifier`, never routes
    model_version: int | None  # the live version, when the database knows it
    templates: jinja2.Environment
    embedder: Embedder | None  # None: research searches by keyword only


def load_resources(tenant: Tenant, embedder: Embedder | None = None) -> TenantResources:
    folder = Path(tenant.config_dir)
    config = load_tenant_config(folder)
    classifier, shadow = load_classifiers(folder)
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
        shadow_classifier=shadow,
        model_version=_live_version(object_session(tenant), tenant.id),
        templates=templates,
        embedder=embedder,
    )


def load_classifiers(folder: Path) -> tuple[TextClassifier | None, TextClassifier | None]:
    """The tenant's live and shadow classifiers, each None when its file is absent."""
    return _load_if_present(folder / MODEL_FILE), _load_if_present(folder / SHADOW_FILE)


def _load_if_present(path: Path) -> TextClassifier | None:
    return TextClassifier.load(path) if path.exists() else None


def _live_version(session: Session | None, tenant_id: int) -> int | None:
    if session is None:
        return None
    return session.scalar(
        select(ModelVersion.version).where(
            ModelVersion.tenant_id == tenant_id, ModelVersion.status == "live"
        )
    )


FileStamp = tuple[int, int, int] | None  # inode, mtime (ns), size; None: no file


def model_files_stamp(folder: Path) -> tuple[FileStamp, FileStamp]:
    """What identifies the live and shadow model files now; a promotion replaces a file
    (a new inode), so any change means reload."""
    return _stamp(folder / MODEL_FILE), _stamp(folder / SHADOW_FILE)


def _stamp(path: Path) -> FileStamp:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def config_file_stamp(folder: Path) -> FileStamp:
    """What identifies tenant.yaml now; it is replaced whole when edited through the API."""
    return _stamp(folder / "tenant.yaml")


@dataclass(frozen=True)
class _Cached:
    resources: TenantResources
    stamp: tuple[FileStamp, FileStamp]  # taken before the models were read
    config_stamp: FileStamp  # taken before tenant.yaml was read


class ResourceCache:
    """Per-process cache of TenantResources, keyed by tenant id.

    Each lookup stats the tenant's model files and tenant.yaml (microseconds); when a
    promotion has replaced a model, the classifiers are read again, and when tenant.yaml has
    changed (thresholds set through the API), the configuration and rules are, so running
    workers use them without a restart.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self._items: dict[int, _Cached] = {}
        self._lock = Lock()
        self._embedder = embedder

    def get(self, tenant: Tenant) -> TenantResources:
        with self._lock:
            cached = self._items.get(tenant.id)
            if cached is None:
                folder = Path(tenant.config_dir)
                stamp, config_stamp = model_files_stamp(folder), config_file_stamp(folder)
                cached = _Cached(load_resources(tenant, self._embedder), stamp, config_stamp)
                self._items[tenant.id] = cached
            return self._fresh(cached, object_session(tenant))

    def for_tenant_id(self, session: Session, tenant_id: int) -> TenantResources:
        """Like `get`, reading the tenant row only the first time."""
        with self._lock:
            cached = self._items.get(tenant_id)
            if cached is not None:
                return self._fresh(cached, session)
        return self.get(session.get_one(Tenant, tenant_id))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _fresh(self, cached: _Cached, session: Session | None) -> TenantResources:
        """`cached`'s resources, with whatever changed on disk (a model file, tenant.yaml) read
        again. Called with the lock held."""
        resources = cached.resources
        stamp = model_files_stamp(resources.folder)
        config_stamp = config_file_stamp(resources.folder)
        if stamp == cached.stamp and config_stamp == cached.config_stamp:
            return resources
        if config_stamp != cached.config_stamp:
            config = load_tenant_config(resources.folder)
            resources = replace(resources, config=config, rules=RuleSet.from_rules(config.rules))
        if stamp[0] != cached.stamp[0]:
            resources = replace(
                resources,
                classifier=_load_if_present(resources.folder / MODEL_FILE),
                model_version=_live_version(session, resources.tenant_id),
            )
        if stamp[1] != cached.stamp[1]:
            shadow = _load_if_present(resources.folder / SHADOW_FILE)
            resources = replace(resources, shadow_classifier=shadow)
        self._items[resources.tenant_id] = _Cached(resources, stamp, config_stamp)
        return resources
