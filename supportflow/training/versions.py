"""A tenant's model versions: where their files live and how one becomes live or shadow.

Every trained classifier is kept as `<tenant folder>/models/v<N>.joblib`, with a row in
`model_versions` saying what became of it. The live one is also copied to `model.joblib` and
the shadow one to `shadow.joblib`, which is what workers load. Those two are replaced
atomically (a temporary file in the same folder, then `os.replace`), so a worker reading one
sees the old model or the new one, never half a file; workers notice the change by the file's
identity (see `tenants.ResourceCache`).

Beside a promoted version lies `v<N>.holdout.joblib`: the same training without the held-out
rows, the model its figures were measured on. The next candidate is compared with that twin,
not with the live model, because the live model was refitted on the held-out rows and would
score its own training accuracy on them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportflow.cases.status import audit
from supportflow.errors import InputError, NotFoundError
from supportflow.store.base import utcnow
from supportflow.store.models import ModelVersion
from supportflow.tenants import MODEL_FILE, SHADOW_FILE

MODELS_DIR = "models"


class VersionStatus(StrEnum):
    LIVE = "live"
    SHADOW = "shadow"
    REFUSED = "refused"
    RETIRED = "retired"


def version_file(folder: Path, version: int) -> Path:
    return folder / MODELS_DIR / f"v{version}.joblib"


def holdout_file(folder: Path, version: int) -> Path:
    return folder / MODELS_DIR / f"v{version}.holdout.joblib"


def install_file(source: Path, target: Path) -> None:
    """Copy `source` over `target` atomically (readers see the old file or the new one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def next_version(session: Session, tenant_id: int) -> int:
    highest = session.scalar(
        select(func.max(ModelVersion.version)).where(ModelVersion.tenant_id == tenant_id)
    )
    return (highest or 0) + 1


def current_version(session: Session, tenant_id: int, status: VersionStatus) -> ModelVersion | None:
    """The tenant's live (or shadow) version, if it has one."""
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.tenant_id == tenant_id, ModelVersion.status == status.value
        )
    )


def get_version(session: Session, tenant_id: int, version: int) -> ModelVersion:
    """Raises NotFoundError when the tenant has no such version."""
    row = session.scalar(
        select(ModelVersion).where(
            ModelVersion.tenant_id == tenant_id, ModelVersion.version == version
        )
    )
    if row is None:
        raise NotFoundError(f"no model version {version}")
    return row


def list_versions(session: Session, tenant_id: int) -> list[ModelVersion]:
    return list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.tenant_id == tenant_id)
            .order_by(ModelVersion.version)
        )
    )


def make_live(session: Session, *, folder: Path, row: ModelVersion, actor: str) -> None:
    """Make `row` the live version: the previous live one retires, `model.joblib` is replaced,
    and a shadow that goes live stops shadowing. Audited as `model_promote`."""
    previous = current_version(session, row.tenant_id, VersionStatus.LIVE)
    if previous is not None and previous.id != row.id:
        previous.status = VersionStatus.RETIRED.value
    was_shadow = row.status == VersionStatus.SHADOW.value
    row.status = VersionStatus.LIVE.value
    row.promoted_at = utcnow()
    _audit(session, row, actor, "model_promote", previous)
    session.flush()
    install_file(folder / row.path, folder / MODEL_FILE)
    if was_shadow:
        (folder / SHADOW_FILE).unlink(missing_ok=True)


def make_shadow(session: Session, *, folder: Path, row: ModelVersion, actor: str) -> None:
    """Make `row` the shadow version (scored beside the live one, never routing): an earlier
    shadow retires and `shadow.joblib` is replaced. Audited as `model_shadow`.

    Raises InputError for the live version.
    """
    if row.status == VersionStatus.LIVE.value:
        raise InputError(f"model version {row.version} is live; it cannot also be the shadow")
    previous = current_version(session, row.tenant_id, VersionStatus.SHADOW)
    if previous is not None and previous.id != row.id:
        previous.status = VersionStatus.RETIRED.value
    row.status = VersionStatus.SHADOW.value
    row.promoted_at = utcnow()
    _audit(session, row, actor, "model_shadow", previous)
    session.flush()
    install_file(folder / row.path, folder / SHADOW_FILE)


def _audit(
    session: Session, row: ModelVersion, actor: str, action: str, previous: ModelVersion | None
) -> None:
    detail: dict[str, Any] = {"version": row.version, "reason": row.reason}
    if previous is not None and previous.id != row.id:
        detail["replaced_version"] = previous.version
    audit(session, case=None, tenant_id=row.tenant_id, actor=actor, action=action, detail=detail)


def version_summary(row: ModelVersion) -> dict[str, Any]:
    """A version as `models list --json` shows it."""
    return {
        "version": row.version,
        "status": row.status,
        "features": row.features,
        "reason": row.reason,
        "candidate": row.metrics.get("candidate"),
        "live": row.metrics.get("live"),
        "n_train": row.metrics.get("n_train"),
        "sources": row.metrics.get("sources"),
        "created_at": row.created_at.isoformat(),
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
    }
