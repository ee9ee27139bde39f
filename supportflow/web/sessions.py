"""Console sessions: a signed cookie (Starlette's SessionMiddleware, itsdangerous) that is
HttpOnly, SameSite=lax, and Secure when SUPPORTFLOW_COOKIE_SECURE=true.

The signing key is SUPPORTFLOW_SECRET_KEY, or else one generated on first use and kept in
`<home>/secret_key` (mode 0600), so sessions survive restarts without any setup.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from supportflow.config import Settings

SESSION_COOKIE = "supportflow_session"
SESSION_MAX_AGE_SECONDS = 14 * 24 * 3600
SECRET_FILE = "secret_key"


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies (see the module docstring)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.home / SECRET_FILE
    if not path.exists():
        _create_secret_file(path)
    return path.read_text(encoding="utf-8").strip()


def _create_secret_file(path: Path) -> None:
    """Write a new key to `path` unless another process got there first: the key is written
    to a private temporary file, then linked into place (which fails if `path` exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def install_sessions(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_SECONDS,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
