"""The REST API under /api/v1 (cases, drafts, decisions, tenant settings, users).

One router per resource, gathered into `api_router`; every endpoint acts for a principal
(`supportflow.web.auth`) and sees only that principal's tenant. Errors have one shape,
`{"error": {"type", "message"}}`, once the app calls `install_error_handlers`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from supportflow.web.api import actions, cases, reviews, tenant, users
from supportflow.web.api.errors import ErrorResponse, install_error_handlers

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in {
        401: "no valid token or session",
        403: "the role does not allow it",
        404: "no such id in this tenant",
        422: "the request does not validate (field details in error.details)",
    }.items()
}

api_router = APIRouter(prefix="/api/v1", responses=_ERRORS)
api_router.include_router(cases.router)
api_router.include_router(reviews.router)
api_router.include_router(actions.router)
api_router.include_router(tenant.router)
api_router.include_router(users.router)

__all__ = ["api_router", "install_error_handlers"]
