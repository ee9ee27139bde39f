"""The data folder and database a command works on, opened the same way everywhere."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from supportflow.config import Settings
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import register_tenant
from supportflow.training.job import TrainOptions, train_tenant


def open_workspace(settings: Settings) -> Database:
    """Create the data folder if needed and open the database at the newest schema."""
    settings.home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if not db.is_current():
        db.migrate()
    return db


def init_tenant(db: Database, settings: Settings, source: Path) -> tuple[Tenant, dict[str, object]]:
    """Register the tenant folder `source` and train its classifier as the next model version
    (version 1, live, for a new tenant); returns the candidate's hold-out metrics, or {} when
    there were too few examples to hold any out."""
    with db.session() as session:
        tenant = register_tenant(session, settings=settings, source=source)
    report = train_tenant(db, tenant=tenant, options=TrainOptions(actor="init"))
    return tenant, asdict(report.metrics) if report.metrics is not None else {}
