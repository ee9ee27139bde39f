"""The tenant's users (admins list and create them) and each person's own API tokens.

A token is shown once, when it is created; afterwards only its name and first characters
are. Someone else's token id answers 404, like one that does not exist.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from supportflow.accounts.passwords import generate_password
from supportflow.accounts.tokens import issue_token, list_tokens, revoke_token
from supportflow.accounts.users import create_user, find_user, list_users
from supportflow.errors import NotFoundError
from supportflow.store.models import ApiToken, User
from supportflow.web.api.deps import Admin, Reader
from supportflow.web.api.errors import ErrorResponse, error_response
from supportflow.web.api.schemas import (
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserCreated,
    UserPublic,
)
from supportflow.web.auth import Principal
from supportflow.web.request_db import SessionDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
def users(principal: Admin, session: SessionDep) -> list[UserPublic]:
    """The tenant's users, by email."""
    return [_user_view(u) for u in list_users(session, tenant_id=principal.tenant_id)]


@router.post(
    "",
    response_model=UserCreated,
    status_code=201,
    responses={409: {"model": ErrorResponse, "description": "the email is taken"}},
)
def add_user(body: UserCreate, principal: Admin, session: SessionDep) -> UserCreated | Response:
    """Create a user of this tenant with a role; without a password, one is generated and
    answered this once. 409 when the email is taken."""
    if find_user(session, body.email) is not None:
        return error_response(409, "Conflict", f"user {body.email.strip().lower()} already exists")
    password = body.password or generate_password()
    user = create_user(
        session,
        tenant_id=principal.tenant_id,
        email=body.email,
        role=body.role,
        password=password,
    )
    generated = password if body.password is None else None
    return UserCreated(**_user_view(user).model_dump(), password=generated)


@router.get("/me", response_model=UserPublic)
def me(principal: Reader, session: SessionDep) -> UserPublic:
    """Who the request acts for."""
    return _user_view(session.get_one(User, principal.user_id))


@router.get("/me/tokens", response_model=list[TokenPublic])
def my_tokens(principal: Reader, session: SessionDep) -> list[TokenPublic]:
    """Your API tokens, revoked ones included (without the tokens themselves)."""
    return [_token_view(t) for t in list_tokens(session, user_id=principal.user_id)]


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def new_token(body: TokenCreate, principal: Reader, session: SessionDep) -> TokenCreated:
    """A new API token for yourself (any role); the token is in this answer only."""
    issued = issue_token(session, user=session.get_one(User, principal.user_id), name=body.name)
    return TokenCreated(**_token_view(issued.record).model_dump(), token=issued.secret)


@router.delete("/me/tokens/{token_id}", response_model=TokenPublic)
def delete_token(token_id: int, principal: Reader, session: SessionDep) -> TokenPublic:
    """Revoke one of your tokens (it stops working at once); 404 when it is not yours."""
    _own_token(session, principal, token_id)
    return _token_view(revoke_token(session, user_id=principal.user_id, token_id=token_id))


def _own_token(session: Session, principal: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != principal.user_id:
        raise NotFoundError(f"no token {token_id}")
    return token


def _user_view(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        role=user.role,
        disabled=user.disabled,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _token_view(token: ApiToken) -> TokenPublic:
    return TokenPublic(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )
