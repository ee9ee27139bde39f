"""One training run of a tenant's classifier, from its rows to a recorded version.

    rows (file + imported + reviewed) -> split -> candidate trained without the held-out rows
      -> candidate and live scored on them -> decide -> refit on every row if it installs
      -> v<N> saved and recorded; live (model.joblib) or shadow (shadow.joblib) replaced

Training happens outside any database transaction (it takes seconds to minutes); the version
row is inserted before its files are written, so two runs never write the same v<N>.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from supportflow.cases.status import audit
from supportflow.config import load_tenant_config
from supportflow.errors import ConfigurationError
from supportflow.store.db import Database
from supportflow.store.models import ModelVersion, Tenant
from supportflow.tenants import MODEL_FILE
from supportflow.training.dataset import (
    TrainingRow,
    file_rows,
    merge_rows,
    source_counts,
    split_rows,
    stored_rows,
)
from supportflow.training.promotion import Decision, Score, decide, live_model_file, score
from supportflow.training.versions import (
    MODELS_DIR,
    VersionStatus,
    current_version,
    holdout_file,
    make_live,
    make_shadow,
    next_version,
    version_file,
)
from supportflow.triage.model import (
    EMBEDDING_MODEL,
    ModelMetrics,
    TextClassifier,
    train_classifier,
)

logger = logging.getLogger(__name__)
HOLDOUT_METHOD = "20% hold-out of trusted rows (by text hash)"


@dataclass(frozen=True)
class TrainOptions:
    shadow: bool = False  # the candidate becomes the shadow model, whatever its figures
    force: bool = False  # promote even when the candidate scores worse than the live model
    actor: str = "cli"  # who asked, for the audit log
    seed: int = 0
    embedding_model: str | None = EMBEDDING_MODEL


@dataclass(frozen=True)
class _LiveModel:
    """What the database says of the live version (None when there is no row)."""

    version: int | None
    metrics: dict[str, Any]


@dataclass(frozen=True)
class TrainingReport:
    """What a training run did (`as_dict` is the `supportflow train --json` contract)."""

    tenant: str
    version: int
    status: str
    reason: str
    candidate: Score | None
    live: Score | None
    n_train: int
    sources: dict[str, int]
    features: str
    train_seconds: float
    metrics: ModelMetrics | None  # the candidate's hold-out figures, as init reports them

    @property
    def promoted(self) -> bool:
        return self.status == VersionStatus.LIVE.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "version": self.version,
            "status": self.status,
            "promoted": self.promoted,
            "reason": self.reason,
            "candidate": self.candidate.as_dict() if self.candidate else None,
            "live": self.live.as_dict() if self.live else None,
            "n_train": self.n_train,
            "sources": self.sources,
            "features": self.features,
            "train_seconds": self.train_seconds,
        }


def train_tenant(
    db: Database, *, tenant: Tenant, options: TrainOptions = TrainOptions()
) -> TrainingReport:
    """Train a candidate for `tenant`, decide its fate, save and record it as the next version.

    Raises InputError when the rows cannot be trained on (see `train_classifier`) or the
    examples file is bad; nothing is recorded then.
    """
    folder = Path(tenant.config_dir)
    config = load_tenant_config(folder)
    with db.session() as session:
        stored = stored_rows(session, tenant.id)
        row = current_version(session, tenant.id, VersionStatus.LIVE)
        live = _LiveModel(row.version, dict(row.metrics)) if row else None
    rows = merge_rows([*file_rows(folder / config.examples_file), *stored])
    training, holdout = split_rows(rows)
    started = time.perf_counter()
    candidate = _train(training, options)
    candidate_score = score(candidate, holdout)
    has_live, live_score = _live_score(folder, live, holdout)
    decision = decide(
        candidate_score, live_score, has_live=has_live, force=options.force, shadow=options.shadow
    )
    final = _train(rows, options) if decision.installs and holdout else candidate
    metrics = _metrics(candidate_score, len(rows))
    candidate.metrics = final.metrics = metrics
    report = TrainingReport(
        tenant=tenant.slug,
        version=0,
        status=_status(decision, options),
        reason=decision.reason,
        candidate=candidate_score,
        live=live_score,
        n_train=len(training),
        sources=source_counts(rows),
        features=final.features,
        train_seconds=round(time.perf_counter() - started, 2),
        metrics=metrics,
    )
    version = _record(db, tenant=tenant, report=report, models=(final, candidate), options=options)
    return replace(report, version=version)


def _train(rows: Sequence[TrainingRow], options: TrainOptions) -> TextClassifier:
    return train_classifier(
        [row.example for row in rows],
        seed=options.seed,
        evaluate=False,
        embedding_model=options.embedding_model,
    )


def _live_score(
    folder: Path, live: _LiveModel | None, holdout: Sequence[TrainingRow]
) -> tuple[bool, Score | None]:
    """(whether there is a usable live model, its score on `holdout`)."""
    path = live_model_file(folder, live.metrics if live else None, folder / MODEL_FILE)
    if not path.exists():
        return False, None
    try:
        model = TextClassifier.load(path)
    except ConfigurationError as exc:
        # A model this installation cannot read serves no one; it must not block its successor.
        logger.warning("the live model cannot be read, so it is not compared: %s", exc)
        return False, None
    return True, score(model, holdout, live.version if live else None)


def _metrics(candidate: Score | None, n_rows: int) -> ModelMetrics | None:
    if candidate is None:
        return None
    return ModelMetrics(
        accuracy=candidate.accuracy,
        macro_f1=candidate.macro_f1,
        n_examples=n_rows,
        n_evaluated=candidate.n_holdout,
        method=HOLDOUT_METHOD,
    )


def _status(decision: Decision, options: TrainOptions) -> str:
    if not decision.installs:
        return VersionStatus.REFUSED.value
    return (VersionStatus.SHADOW if options.shadow else VersionStatus.LIVE).value


def _record(
    db: Database,
    *,
    tenant: Tenant,
    report: TrainingReport,
    models: tuple[TextClassifier, TextClassifier],
    options: TrainOptions,
) -> int:
    """Save the model files as the next version, record it, audit it, install it if it
    installs; returns the version number."""
    final, candidate = models
    folder = Path(tenant.config_dir)
    with db.session() as session:
        version = next_version(session, tenant.id)
        twin = holdout_file(folder, version) if final is not candidate else None
        row = ModelVersion(
            tenant_id=tenant.id,
            version=version,
            status=VersionStatus.REFUSED.value,
            path=f"{MODELS_DIR}/{version_file(folder, version).name}",
            features=report.features,
            metrics=_stored_metrics(report, twin or version_file(folder, version), folder),
            reason=report.reason,
        )
        session.add(row)
        session.flush()  # claims v<N> before its files are written
        final.save(version_file(folder, version))
        if twin is not None:
            candidate.save(twin)
        detail = {"version": version, "status": report.status, "reason": report.reason}
        audit(
            session,
            case=None,
            tenant_id=tenant.id,
            actor=options.actor,
            action="model_train",
            detail=detail,
        )
        if report.status == VersionStatus.LIVE.value:
            make_live(session, folder=folder, row=row, actor=options.actor)
        elif report.status == VersionStatus.SHADOW.value:
            make_shadow(session, folder=folder, row=row, actor=options.actor)
    return version


def _stored_metrics(report: TrainingReport, scored: Path, folder: Path) -> dict[str, Any]:
    stored = {key: report.as_dict()[key] for key in ("candidate", "live", "n_train", "sources")}
    stored["train_seconds"] = report.train_seconds
    # The model the candidate figures were measured on, compared with the next candidate.
    stored["holdout_path"] = str(scored.relative_to(folder))
    return stored
