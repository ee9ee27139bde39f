"""Accounts in the web app: who is asking (session cookie or API token), what their role
lets them do, and CSRF protection for the console's forms.

A console session is a signed cookie (Starlette's SessionMiddleware, see `sessions.py`)
holding the user's id and a CSRF token; the user row is read on every request, so disabling a
user ends their sessions at once. API clients send `Authorization: Bearer sf_...`; the console's
own cookie works for the API too, and then every unsafe request (POST, PUT, PATCH, DELETE)
must carry the CSRF token in the `X-CSRF-Token` header, as console forms carry it in the
`csrf_token` field.

Failures raise `AuthFailure`, handled by `install_auth`: JSON `{"error": {"type", "message"}}`
under /api/, a redirect to /login or an HTML page elsewhere. It is not a SupportflowError on
purpose, so the API's domain-error mapping never turns it into a different shape.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal, cast
from urllib.parse import quote

from fastapi import Depends, Request

from supportflow.accounts.tokens import user_for_token
from supportflow.accounts.users import Role
from supportflow.errors import AuthenticationError
from supportflow.store.db import Database
from supportflow.store.models import User

Action = Literal["read", "review", "admin"]
_ALLOWED: dict[Role, frozenset[Action]] = {
    "viewer": frozenset({"read"}),
    "reviewer": frozenset({"read", "review"}),
    "admin": frozenset({"read", "review", "admin"}),
}
SESSION_USER_KEY = "user_id"
SESSION_CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Principal:
    """The person (or their API token) a request acts for; queries are scoped to tenant_id."""

    user_id: int
    tenant_id: int
    email: str
    role: Role
    via: Literal["session", "token"]

    def can(self, action: Action) -> bool:
        return action in _ALLOWED[self.role]


class AuthFailure(Exception):
    """A request refused for who is asking: 401 (unknown), 403 (not allowed, bad CSRF).

    `login_next` set: a console page asked without a session; answered by a redirect to
    /login that comes back to `login_next` afterwards.
    """

    def __init__(self, status: int, message: str, *, login_next: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.login_next = login_next


def _principal(user: User, via: Literal["session", "token"]) -> Principal:
    return Principal(
        user_id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        role=cast(Role, user.role),
        via=via,
    )


def _db(request: Request) -> Database:
    return cast(Database, request.app.state.db)


def session_principal(request: Request) -> Principal | None:
    """The signed-in, enabled user of this request's session cookie; None when there is none
    (a session of a disabled or deleted user is cleared)."""
    user_id = request.session.get(SESSION_USER_KEY)
    if not isinstance(user_id, int):
        return None
    with _db(request).session() as session:
        user = session.get(User, user_id)
        if user is None or user.disabled:
            request.session.clear()
            return None
        return _principal(user, "session")


def _token_principal(request: Request) -> Principal | None:
    """The principal of the request's bearer token; None without an Authorization header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise AuthFailure(401, "the Authorization header must be 'Bearer <token>'")
    try:
        with _db(request).session() as session:
            return _principal(user_for_token(session, secret.strip()), "token")
    except AuthenticationError as exc:
        raise AuthFailure(401, str(exc)) from exc


def api_principal(request: Request) -> Principal:
    """FastAPI dependency for /api/v1: the bearer token's user, else the console session's
    (unsafe methods then need the X-CSRF-Token header); 401 otherwise."""
    principal = _token_principal(request) or session_principal(request)
    if principal is None:
        raise AuthFailure(401, "sign in, or send 'Authorization: Bearer <token>'")
    if principal.via == "session" and request.method not in _SAFE_METHODS:
        _check_csrf(request, request.headers.get(CSRF_HEADER))
    request.state.principal = principal
    return principal


def _require(principal: Principal, action: Action) -> Principal:
    if not principal.can(action):
        raise AuthFailure(403, f"the {principal.role} role may not {action}")
    return principal


def api_user(action: Action) -> Callable[..., Principal]:
    """Dependency factory: `Depends(api_user("review"))` gives the principal, or 401/403."""

    def dependency(principal: Annotated[Principal, Depends(api_principal)]) -> Principal:
        return _require(principal, action)

    return dependency


def console_user(action: Action) -> Callable[..., Principal]:
    """Dependency factory for HTML pages: without a session, a redirect to /login that comes
    back here afterwards; a role lacking `action`, a 403 page."""

    def dependency(request: Request) -> Principal:
        principal = session_principal(request)
        if principal is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise AuthFailure(401, "sign in first", login_next=here)
        request.state.principal = principal
        return _require(principal, action)

    return dependency


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); put it in every form as the hidden
    field `csrf_token`."""
    token = request.session.get(SESSION_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF_KEY] = token
    return token


def renew_csrf_token(request: Request) -> str:
    """A fresh CSRF token, for a new login: a token seen before signing in is not reused."""
    request.session[SESSION_CSRF_KEY] = secrets.token_urlsafe(32)
    return csrf_token(request)


async def verify_csrf(request: Request) -> None:
    """Dependency for every console POST: the form field `csrf_token` (or the X-CSRF-Token
    header) must equal the session's token; 403 otherwise."""
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    _check_csrf(request, sent)


def _check_csrf(request: Request, sent: str | None) -> None:
    expected = request.session.get(SESSION_CSRF_KEY)
    if (
        not isinstance(expected, str)
        or sent is None
        or not secrets.compare_digest(expected.encode(), sent.encode())
    ):
        raise AuthFailure(403, "missing or outdated CSRF token: reload the page and try again")


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"
