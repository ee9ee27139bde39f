"""Rendering console pages: one template environment, the layout's common context, notices
that survive the redirect after a form (post/redirect/get), and the tenant's configuration.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from supportflow.config import TenantConfig, current_tenant_config
from supportflow.store.models import Tenant
from supportflow.web.auth import Principal, csrf_token

TEMPLATES = Jinja2Templates(directory=str(resources.files("supportflow.web") / "templates"))
NoticeKind = Literal["ok", "error"]
_NOTICES = "console_notices"
_SECTIONS = {
    "queue.html": "queue",
    "case.html": "queue",
    "kb.html": "kb",
    "settings.html": "settings",
}


def notify(request: Request, message: str, kind: NoticeKind = "ok") -> None:
    """Keep `message` for the next page this browser loads."""
    # Assigned, not appended in place: the session is saved only when an item is set.
    request.session[_NOTICES] = [
        *request.session.get(_NOTICES, []),
        {"kind": kind, "text": message},
    ]


def _take_notices(request: Request) -> list[dict[str, str]]:
    notices: list[dict[str, str]] = request.session.pop(_NOTICES, [])
    return notices


def render(
    request: Request,
    principal: Principal,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `console/<name>` with the signed-in user, the CSRF token and pending notices."""
    page = {
        "page": _SECTIONS.get(name),
        "principal": principal,
        "csrf_token": csrf_token(request),
        "notices": _take_notices(request),
        **context,
    }
    return TEMPLATES.TemplateResponse(request, f"console/{name}", page, status_code=status_code)


def not_found(request: Request, principal: Principal, what: str) -> HTMLResponse:
    return render(request, principal, "not_found.html", {"what": what}, status_code=404)


def back_to(path: str) -> RedirectResponse:
    """The redirect after a form: 303, so the browser follows with a GET."""
    return RedirectResponse(path, status_code=303)


def tenant_config(session: Session, tenant_id: int) -> TenantConfig:
    """The tenant's configuration as its tenant.yaml says now."""
    return current_tenant_config(Path(session.get_one(Tenant, tenant_id).config_dir))
