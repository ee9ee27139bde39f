"""The data folder and database a command works on, opened the same way everywhere."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from supportflow.config import Settings, load_tenant_config
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import register_tenant, tenant_folder, train_tenant_model


def open_workspace(settings: Settings) -> Database:
    """Create the data folder if needed and open the database at the newest schema."""
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if not db.is_current():
        db.migrate()
    return db


def init_tenant(db: Database, settings: Settings, source: Path) -> tuple[Tenant, dict[str, object]]:
    """Register the tenant folder `source` and train its classifier; returns its metrics."""
    with db.session() as session:
        tenant = register_tenant(session, settings=settings, source=source)
    folder = tenant_folder(settings, tenant.slug)
    classifier = train_tenant_model(folder, load_tenant_config(folder))
    metrics = classifier.metrics
    return tenant, asdict(metrics) if metrics is not None else {}
