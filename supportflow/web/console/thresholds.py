"""The settings page's thresholds form: its text fields read as numbers, only the values
that differ written to tenant.yaml (by `tenant_settings.update_thresholds`, which keeps the
file's comments), and the change audited with who made it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from supportflow.cases.status import audit
from supportflow.config import Thresholds, load_tenant_config
from supportflow.errors import InputError
from supportflow.store.models import Tenant
from supportflow.tenant_settings import update_thresholds

THRESHOLD_FIELDS = tuple(Thresholds.model_fields)


def _number(name: str, raw: str) -> float | int | None:
    """A form field as its threshold's type; empty means "unset" (None)."""
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text) if Thresholds.model_fields[name].annotation is int else float(text)
    except ValueError as exc:
        raise InputError(f"{name}: {text!r} is not a number") from exc


def save_threshold_form(
    session: Session, *, tenant_id: int, form: Mapping[str, str], actor: str
) -> dict[str, list[Any]]:
    """Write the thresholds in `form` that differ from the tenant's current ones.

    Returns {name: [before, after]} of what changed (empty: nothing did). InputError when a
    value is not a number or out of its range; nothing is written then.
    """
    folder = Path(session.get_one(Tenant, tenant_id).config_dir)
    current = load_tenant_config(folder).thresholds
    wanted = {name: _number(name, form[name]) for name in THRESHOLD_FIELDS if name in form}
    changes = {name: v for name, v in wanted.items() if v != getattr(current, name)}
    if not changes:
        return {}
    update_thresholds(folder, changes)
    detail = {name: [getattr(current, name), value] for name, value in changes.items()}
    audit(session, case=None, actor=actor, action="settings", detail=detail, tenant_id=tenant_id)
    return detail
