"""`supportflow user add|list|token|disable`: accounts for the web console and the API."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from supportflow.accounts.passwords import generate_password
from supportflow.accounts.tokens import issue_token
from supportflow.accounts.users import (
    ROLES,
    create_user,
    disable_user,
    get_user,
    list_users,
    set_password,
)
from supportflow.cli.common import JsonOpt, TenantOpt, emit_json, workspace
from supportflow.errors import InputError
from supportflow.store.models import Tenant, User
from supportflow.tenants import resolve_tenant

users_app = typer.Typer(help="Manage who can sign in to the console and use the API.")


def _user_view(user: User, tenant_slug: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "tenant": tenant_slug,
        "disabled": user.disabled,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def _read_password_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("--password-stdin: no password on standard input")
    return password


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="the user's email (their login)")],
    role: Annotated[str, typer.Option("--role", help=f"one of {', '.join(ROLES)}")],
    tenant: TenantOpt = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user; without --password-stdin a password is generated and printed once."""
    password = _read_password_stdin() if password_stdin else generate_password()
    _, db = workspace()
    with db.session() as session:
        owner = resolve_tenant(session, tenant)
        user = create_user(session, tenant_id=owner.id, email=email, role=role, password=password)
        result = _user_view(user, owner.slug)
    if not password_stdin:
        result["password"] = password
    if as_json:
        emit_json(result)
        return
    typer.echo(f"User {result['email']} ({result['role']}) added to tenant '{owner.slug}'")
    if not password_stdin:
        typer.echo(f"Password (shown once): {password}")


@users_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """Every user of every tenant."""
    _, db = workspace()
    with db.session() as session:
        slugs = {t.id: t.slug for t in session.query(Tenant)}
        rows = [_user_view(u, slugs[u.tenant_id]) for u in list_users(session)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        typer.echo("No users yet: add one with `supportflow user add EMAIL --role admin`")
    for row in rows:
        state = " (disabled)" if row["disabled"] else ""
        typer.echo(f"{row['email']:<40} {row['role']:<9} {row['tenant']}{state}")


@users_app.command("token")
def token(
    email: Annotated[str, typer.Argument(help="the user the token acts for")],
    name: Annotated[str, typer.Option("--name", help="what the token is for")],
    as_json: JsonOpt = False,
) -> None:
    """Create an API token (sent as `Authorization: Bearer <token>`); printed once."""
    _, db = workspace()
    with db.session() as session:
        user = get_user(session, email)
        if user.disabled:
            raise InputError(f"user {user.email} is disabled")
        issued = issue_token(session, user=user, name=name)
        result = {
            "id": issued.record.id,
            "email": user.email,
            "name": issued.record.name,
            "prefix": issued.record.prefix,
            "token": issued.secret,
        }
    if as_json:
        emit_json(result)
        return
    typer.echo(f"Token '{result['name']}' for {result['email']} (shown once):")
    typer.echo(issued.secret)


@users_app.command("password")
def password(
    email: Annotated[str, typer.Argument(help="the user whose password to set")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set a new password; without --password-stdin one is generated and printed once."""
    new = _read_password_stdin() if password_stdin else generate_password()
    _, db = workspace()
    with db.session() as session:
        result: dict[str, Any] = {"email": set_password(session, email, new).email}
    if not password_stdin:
        result["password"] = new
    if as_json:
        emit_json(result)
        return
    typer.echo(f"Password of {result['email']} changed")
    if not password_stdin:
        typer.echo(f"New password (shown once): {new}")


@users_app.command("disable")
def disable(
    email: Annotated[str, typer.Argument(help="the user to disable")],
    as_json: JsonOpt = False,
) -> None:
    """Disable a user: their sessions and API tokens stop working at once."""
    _, db = workspace()
    with db.session() as session:
        user = disable_user(session, email)
        result = {"email": user.email, "disabled": True}
    if as_json:
        emit_json(result)
        return
    typer.echo(f"User {result['email']} disabled")
