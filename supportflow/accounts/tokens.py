"""API tokens: `sf_` plus 32 random bytes (url-safe base64), shown once, stored as sha256.

A fast hash is enough here, unlike passwords: the token has 256 random bits, so nothing can be
guessed from its hash, and a lookup by hash is one indexed query per API request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.errors import AuthenticationError, InputError
from supportflow.store.base import utcnow
from supportflow.store.models import ApiToken, User

TOKEN_PREFIX = "sf_"


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `secret` is the only time the token itself is available."""

    secret: str
    record: ApiToken


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(session: Session, *, user: User, name: str) -> IssuedToken:
    """Create a token for `user` named `name` (for people to tell tokens apart)."""
    if not name.strip() or len(name) > 100:
        raise InputError("a token needs a name of 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id, name=name.strip(), token_hash=hash_token(secret), prefix=secret[:8]
    )
    session.add(record)
    session.flush()
    return IssuedToken(secret=secret, record=record)


def user_for_token(session: Session, secret: str) -> User:
    """The enabled user owning the live token `secret`, marking the token used;
    AuthenticationError for an unknown or revoked token or a disabled user."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        raise AuthenticationError("unknown or revoked API token")
    user = session.get_one(User, token.user_id)
    if user.disabled:
        raise AuthenticationError("unknown or revoked API token")
    token.last_used_at = utcnow()
    return user


def list_tokens(session: Session, *, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent); InputError when it is not theirs."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise InputError(f"no token {token_id} for this user")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token
