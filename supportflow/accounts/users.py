"""Users: creating them, checking a login, listing and disabling them.

Emails are compared lower-cased (stored that way), so `Ana@X` and `ana@x` are one account.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportflow.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from supportflow.errors import AuthenticationError, InputError, NotFoundError
from supportflow.store.base import utcnow
from supportflow.store.models import User

Role = Literal["admin", "reviewer", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(session: Session, email: str) -> User:
    """The user with `email`; NotFoundError when there is none."""
    user = find_user(session, email)
    if user is None:
        raise NotFoundError(f"no user {normalise_email(email)}")
    return user


def create_user(session: Session, *, tenant_id: int, email: str, role: str, password: str) -> User:
    """Add a user; InputError for a bad email or role, a short password or a taken email."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 320:
        raise InputError(f"not an email address: {email!r}")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, address) is not None:
        raise InputError(f"user {address} already exists")
    user = User(
        tenant_id=tenant_id, email=address, role=role, password_hash=hash_password(password)
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, email: str, password: str) -> User:
    """Give a user a new password (their existing sessions stay valid)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    user = get_user(session, email)
    user.password_hash = hash_password(password)
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The enabled user whose email and password these are, with `last_login_at` set;
    AuthenticationError otherwise (one message whatever was wrong)."""
    user = find_user(session, email)
    if user is None:
        burn_verification_time(password)
        raise AuthenticationError("wrong email or password")
    if not verify_password(user.password_hash, password) or user.disabled:
        raise AuthenticationError("wrong email or password")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def list_users(session: Session, *, tenant_id: int | None = None) -> list[User]:
    query = select(User).order_by(User.tenant_id, User.email)
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    return list(session.scalars(query))


def disable_user(session: Session, email: str) -> User:
    """Disable a user: their sessions and tokens stop working at the next request."""
    user = get_user(session, email)
    user.disabled = True
    return user
