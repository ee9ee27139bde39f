"""Accounts in the web app: who is asking (session cookie or API token), what their role
lets them do, and CSRF protection for the console's forms. (Interface first; the accounts
work fills it in.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import Request

Role = Literal["admin", "reviewer", "viewer"]
Action = Literal["read", "review", "admin"]
_ALLOWED: dict[Role, frozenset[Action]] = {
    "viewer": frozenset({"read"}),
    "reviewer": frozenset({"read", "review"}),
    "admin": frozenset({"read", "review", "admin"}),
}


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


def api_principal(request: Request) -> Principal:
    raise NotImplementedError


def api_user(action: Action) -> Callable[..., Principal]:
    raise NotImplementedError


def console_user(action: Action) -> Callable[..., Principal]:
    raise NotImplementedError


def csrf_token(request: Request) -> str:
    raise NotImplementedError


async def verify_csrf(request: Request) -> None:
    raise NotImplementedError
