"""Fixtures for the web app: accounts of each role, a second tenant, clients, logging in.

- `accounts`: dict role -> Account for the demo tenant ("admin", "reviewer", "viewer").
- `other_tenant`: tenant B (slug "acme") with its admin, one processed case and one KB doc.
- `api`: `api()` -> a new httpx.AsyncClient on one app (ASGI transport, own cookie jar);
  `api(token=...)` sends `Authorization: Bearer <token>`.
- `logged_in`: `await logged_in(client, account)` signs in through /login and returns the
  session's CSRF token; the client then sends it as X-CSRF-Token on every request (so API
  calls with the cookie pass the CSRF check; a test of a bad form token must drop the header).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from supportflow.accounts.tokens import issue_token
from supportflow.accounts.users import ROLES, create_user
from supportflow.cases.intake import accept_raw_email
from supportflow.config import Settings
from supportflow.knowledge.capabilities import detect_capabilities
from supportflow.knowledge.library import add_files
from supportflow.store.db import Database
from supportflow.store.models import Tenant
from supportflow.tenants import register_tenant
from supportflow.web.app import create_app
from supportflow.workers.embedded import build_deps, process_pending

DEMO_SLUG = "brightwave"
OTHER_SLUG = "acme"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    token: str  # a live API token of this user
    user_id: int


@dataclass(frozen=True)
class OtherTenant:
    tenant_id: int
    account: Account  # the admin of tenant B
    case_id: int  # one processed case of tenant B
    document_id: int | None  # one knowledge-base document of tenant B


def make_account(db: Database, *, tenant_id: int, email: str, role: str) -> Account:
    """A user with a known password and one API token."""
    password = f"correct horse {role} staple"
    with db.session() as session:
        user = create_user(session, tenant_id=tenant_id, email=email, role=role, password=password)
        token = issue_token(session, user=user, name="tests").secret
        return Account(email=user.email, password=password, token=token, user_id=user.id)


def tenant_id_of(db: Database, slug: str) -> int:
    with db.session() as session:
        return session.scalars(select(Tenant.id).where(Tenant.slug == slug)).one()


@pytest.fixture
def accounts(demo_db: Database) -> dict[str, Account]:
    tenant_id = tenant_id_of(demo_db, DEMO_SLUG)
    return {
        role: make_account(
            demo_db, tenant_id=tenant_id, email=f"{role}@{DEMO_SLUG}.example", role=role
        )
        for role in ROLES
    }


def _other_tenant_source(demo_home: Path, target: Path) -> Path:
    """The demo tenant's folder (trained model included) renamed to tenant B."""
    shutil.copytree(demo_home / "tenants" / DEMO_SLUG, target)
    config = target / "tenant.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(f"slug: {DEMO_SLUG}", f"slug: {OTHER_SLUG}", 1)
    text = text.replace("name: Brightwave Home Robotics", "name: Acme Garden Tools", 1)
    text = text.replace("support@brightwave.example", "support@acme.example")
    config.write_text(text, encoding="utf-8")
    return target


def _other_tenant_email() -> bytes:
    message = EmailMessage()
    message["From"] = "Bruno Acme-Customer <bruno@acme-customer.example>"
    message["To"] = "support@acme.example"
    message["Subject"] = "Acme hedge trimmer shows error E-104"
    message["Message-ID"] = "<acme-only-1@acme-customer.example>"
    message.set_content("Hello,\n\nMy Acme hedge trimmer stops with error E-104.\n\nBruno\n")
    return message.as_bytes()


@pytest.fixture
def other_tenant(demo_db: Database, demo_home: Path, tmp_path: Path) -> OtherTenant:
    settings = Settings(home=demo_home)
    source = _other_tenant_source(demo_home, tmp_path / "acme-source")
    with demo_db.session() as session:
        tenant = register_tenant(session, settings=settings, source=source)
        case_id = accept_raw_email(
            session, tenant=tenant, raw=_other_tenant_email(), origin="test"
        ).case_id
        tenant_id = tenant.id
    process_pending(build_deps(demo_db, settings))
    article = source / "acme-teak.md"
    article.write_text(
        "# Acme teak bench care\n\nOil the Acme teak bench with linseed oil every spring.\n",
        encoding="utf-8",
    )
    report = add_files(
        demo_db,
        tenant_id=tenant_id,
        paths=[article],
        tags=(),
        embedder=detect_capabilities(demo_db, settings.embedding_model).embedder,
        actor="test",
    )
    document_id = None if report.has_errors else report.changes[0].document_id
    account = make_account(
        demo_db, tenant_id=tenant_id, email=f"admin@{OTHER_SLUG}.example", role="admin"
    )
    return OtherTenant(tenant_id, account, case_id, document_id)


ApiFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture
def api(demo_db: Database, demo_home: Path) -> ApiFactory:
    app = create_app(Settings(home=demo_home), demo_db)

    def client(token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
        )

    return client


async def log_in(client: httpx.AsyncClient, account: Account) -> str:
    """Sign in through the login form; returns the new session's CSRF token, which the
    client sends as X-CSRF-Token from now on."""
    form = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": csrf_from(form.text),
        },
    )
    assert response.status_code == 303, response.text
    token = csrf_from((await client.get("/login")).text)
    client.headers["X-CSRF-Token"] = token
    return token


def csrf_from(page: str) -> str:
    match = _CSRF_FIELD.search(page)
    assert match is not None, "no csrf_token field on the page"
    return match.group(1)


@pytest.fixture
def logged_in() -> Callable[[httpx.AsyncClient, Account], Awaitable[str]]:
    return log_in


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
