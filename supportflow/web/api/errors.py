"""One JSON error shape for the API: `{"error": {"type": ..., "message": ...}}`.

Domain errors (supportflow.errors) map to a status by whose fault they are; FastAPI's
validation errors (422) keep their field details under `error.details`; HTTP errors raised by
the framework (unknown path, wrong method) or by dependencies get the same shape. Paths
outside /api/ (the console's HTML pages) keep FastAPI's own handling.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from supportflow.errors import (
    AuthenticationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    StateError,
    SupportflowError,
    UpstreamError,
)

API_PREFIX = "/api/"
# The most specific class first: NotFoundError and the auth errors are InputErrors too.
_STATUS_BY_ERROR: tuple[tuple[type[SupportflowError], int], ...] = (
    (NotFoundError, 404),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (RateLimitedError, 429),
    (StateError, 409),
    (UpstreamError, 503),
)


class ErrorBody(BaseModel):
    type: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """What every failed API request answers (documented in OpenAPI for each route)."""

    error: ErrorBody


CONFLICT = {"model": ErrorResponse, "description": "the case's status does not allow it"}


def error_status(exc: SupportflowError) -> int:
    """The HTTP status for a domain error: 400 for bad input, 500 for configuration or bugs."""
    for kind, status in _STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 400 if isinstance(exc, InputError) else 500


def error_response(
    status: int, kind: str, message: str, *, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SupportflowError)
    response = error_response(error_status(exc), type(exc).__name__, str(exc))
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not request.url.path.startswith(API_PREFIX):
        return await request_validation_exception_handler(request, exc)
    details = [_field_error(e) for e in exc.errors()]
    summary = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['message']}" for d in details)
    return error_response(422, "ValidationError", summary or "invalid request", details=details)


def _field_error(error: Any) -> dict[str, Any]:
    # The rejected input is left out on purpose: it may be a password or a token.
    return {
        "loc": jsonable_encoder(error.get("loc", ())),
        "message": str(error.get("msg", "")),
        "type": str(error.get("type", "")),
    }


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith(API_PREFIX):
        return await http_exception_handler(request, exc)
    if isinstance(exc.detail, dict) and "error" in exc.detail:  # already in our shape
        return JSONResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    kind = HTTPStatus(exc.status_code).phrase.replace(" ", "")
    response = error_response(exc.status_code, kind, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the API's error handlers on `app` (after any of the app's own, to win)."""
    app.add_exception_handler(SupportflowError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
