"""The settings page ("/settings"): the tenant's categories, thresholds and reply templates;
an admin edits the thresholds through its form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from supportflow.config import TenantConfig
from supportflow.errors import SupportflowError
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.web.auth import Principal
from supportflow.web.console.deps import Admin, CsrfChecked, Reader
from supportflow.web.console.rendering import back_to, notify, render, tenant_config
from supportflow.web.console.thresholds import THRESHOLD_FIELDS, save_threshold_form
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/settings")


@router.get("", response_class=HTMLResponse)
def settings_page(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    config = tenant_config(session, principal.tenant_id)
    return render(
        request,
        principal,
        "settings.html",
        {
            "config": config,
            "thresholds": [(n, getattr(config.thresholds, n)) for n in THRESHOLD_FIELDS],
            "templates": _templates(session, principal.tenant_id, config),
        },
    )


def _templates(session: Session, tenant_id: int, config: TenantConfig) -> list[dict[str, Any]]:
    """The tenant's reply templates, each with the categories that use it (a translation,
    `billing.de.j2`, counts for the categories of `billing.j2`)."""
    folder = Path(session.get_one(Tenant, tenant_id).config_dir) / "templates"
    files = sorted(p for p in folder.glob("*.j2") if p.is_file()) if folder.is_dir() else []
    return [
        {
            "name": path.name,
            "language": _language(path.name),
            "categories": [c.name for c in config.categories if _serves(path.name, c.template)],
            "size": path.stat().st_size,
        }
        for path in files
    ]


def _language(name: str) -> str | None:
    parts = name.split(".")
    return parts[-2] if len(parts) == 3 else None


def _serves(name: str, template: str) -> bool:
    stem = template.rpartition(".")[0] or template
    return name == template or (name.startswith(f"{stem}.") and _language(name) is not None)


@router.post("/thresholds")
async def save_thresholds(request: Request, principal: Admin, _: CsrfChecked) -> RedirectResponse:
    form = await request.form()
    values = {name: str(form[name]) for name in THRESHOLD_FIELDS if name in form}
    try:
        changes = await run_in_threadpool(_save, request.app.state.db, principal, values)
    except SupportflowError as exc:
        notify(request, str(exc), "error")
        return back_to("/settings")
    if changes:
        listed = ", ".join(f"{name} {old} → {new}" for name, (old, new) in changes.items())
        notify(request, f"Saved: {listed}.")
    else:
        notify(request, "Nothing changed.")
    return back_to("/settings")


def _save(db: Database, principal: Principal, values: dict[str, str]) -> dict[str, Any]:
    with db.session() as session:
        return save_threshold_form(
            session, tenant_id=principal.tenant_id, form=values, actor=principal.email
        )
