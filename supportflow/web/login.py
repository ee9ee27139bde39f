"""The login page, logout, and how refused requests are answered.

GET /login shows the form; POST /login checks the CSRF token, the rate limit
(supportflow.accounts.throttle), then the password, and starts a new session; POST /logout
ends it. `install_auth` puts sessions, the login throttle, the refusal handler and these
routes on the app.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, cast

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from supportflow.accounts.throttle import LoginThrottle
from supportflow.accounts.users import authenticate
from supportflow.config import Settings
from supportflow.errors import AuthenticationError, RateLimitedError
from supportflow.store.db import Database
from supportflow.web.auth import (
    SESSION_USER_KEY,
    AuthFailure,
    csrf_token,
    login_url,
    renew_csrf_token,
    verify_csrf,
)
from supportflow.web.sessions import install_sessions

_TEMPLATES = Jinja2Templates(directory=str(resources.files("supportflow.web") / "templates"))
_TITLES = {401: "Unauthorized", 403: "Forbidden", 429: "TooManyRequests"}

auth_router = APIRouter(tags=["accounts"], include_in_schema=False)


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_page(
    request: Request, *, next_path: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return _TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": csrf_token(request), "next": next_path, "error": error},
        status_code=status,
    )


@auth_router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:  # noqa: A002
    return _login_page(request, next_path=safe_next(next))


@auth_router.post("/login", dependencies=[Depends(verify_csrf)], response_model=None)
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    """Sign in: 303 to `next` with a new session; the form again with 401 (wrong
    credentials) or 429 (too many failures, with Retry-After)."""
    throttle = cast(LoginThrottle, request.app.state.login_throttle)
    address = request.client.host if request.client else "unknown"
    target = safe_next(next)
    try:
        throttle.check(email=email, address=address)
        with cast(Database, request.app.state.db).session() as session:
            user_id = authenticate(session, email=email, password=password).id
    except RateLimitedError as exc:
        page = _login_page(request, next_path=target, error=str(exc), status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except AuthenticationError as exc:
        throttle.record_failure(email=email, address=address)
        return _login_page(request, next_path=target, error=f"{exc}.", status=401)
    throttle.record_success(email=email)
    request.session.clear()  # nothing from before signing in carries over
    request.session[SESSION_USER_KEY] = user_id
    renew_csrf_token(request)
    return RedirectResponse(target, status_code=303)


@auth_router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def auth_failure(request: Request, exc: Exception) -> Response:
    """JSON under /api/, else a redirect to the login page or an HTML error page."""
    assert isinstance(exc, AuthFailure)
    kind = _TITLES.get(exc.status, "Forbidden")
    if request.url.path.startswith("/api/"):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        body = {"error": {"type": kind, "message": exc.message}}
        return JSONResponse(body, status_code=exc.status, headers=headers)
    if exc.login_next is not None:
        return RedirectResponse(login_url(exc.login_next), status_code=303)
    return _TEMPLATES.TemplateResponse(
        request,
        "auth_error.html",
        {"status": exc.status, "title": kind, "message": exc.message},
        status_code=exc.status,
    )


def install_auth(app: FastAPI, settings: Settings) -> None:
    """Sessions, the per-process login throttle, the refusal handler and /login, /logout."""
    install_sessions(app, settings)
    app.state.login_throttle = LoginThrottle()
    app.add_exception_handler(AuthFailure, auth_failure)
    app.include_router(auth_router)
