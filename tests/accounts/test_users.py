"""Users and tokens on real SQLite: hashing, login checks, tokens and the demo login."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportflow.accounts.tokens import issue_token, revoke_token, user_for_token
from supportflow.accounts.users import authenticate, create_user, disable_user
from supportflow.demo.setup import DEMO_LOGIN_EMAIL, ensure_demo_login
from supportflow.errors import AuthenticationError, InputError
from supportflow.store.models import ApiToken, Tenant, User


@pytest.fixture
def tenant(demo_db) -> Tenant:
    with demo_db.session() as session:
        return session.scalars(select(Tenant)).one()


def test_passwords_are_stored_as_argon2_hashes(demo_db, tenant) -> None:
    with demo_db.session() as session:
        create_user(
            session, tenant_id=tenant.id, email="A@B.example", role="viewer", password="s3cret-pass"
        )
    with demo_db.session() as session:
        user = session.scalars(select(User)).one()
        assert user.email == "a@b.example"
        assert user.password_hash.startswith("$argon2id$") and "s3cret" not in user.password_hash
        assert authenticate(session, email="a@b.example", password="s3cret-pass").last_login_at
        with pytest.raises(AuthenticationError):
            authenticate(session, email="a@b.example", password="wrong")


def test_short_passwords_and_disabled_users_are_refused(demo_db, tenant) -> None:
    with demo_db.session() as session:
        with pytest.raises(InputError, match="at least 8"):
            create_user(
                session, tenant_id=tenant.id, email="c@d.example", role="admin", password="x"
            )
        create_user(
            session, tenant_id=tenant.id, email="c@d.example", role="admin", password="long-enough"
        )
        disable_user(session, "c@d.example")
        with pytest.raises(AuthenticationError):
            authenticate(session, email="c@d.example", password="long-enough")


def test_tokens_are_stored_hashed_and_stop_when_revoked(demo_db, tenant) -> None:
    with demo_db.session() as session:
        user = create_user(
            session, tenant_id=tenant.id, email="t@x.example", role="reviewer", password="12345678"
        )
        issued = issue_token(session, user=user, name="ci")
    with demo_db.session() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert issued.secret.startswith("sf_") and issued.secret not in stored.token_hash
        assert len(stored.token_hash) == 64 and stored.prefix == issued.secret[:8]
        assert user_for_token(session, issued.secret).email == "t@x.example"
        revoke_token(session, user_id=stored.user_id, token_id=stored.id)
        with pytest.raises(AuthenticationError):
            user_for_token(session, issued.secret)


def test_the_demo_login_is_created_once(demo_db, tenant) -> None:
    first = ensure_demo_login(demo_db, tenant)
    again = ensure_demo_login(demo_db, tenant)
    assert first.email == again.email == DEMO_LOGIN_EMAIL
    assert first.password and again.password is None
    assert "shown once" in first.describe()[0]
    assert "unchanged; reset with `supportflow user password" in again.describe()[0]
    with demo_db.session() as session:
        assert (
            authenticate(session, email=DEMO_LOGIN_EMAIL, password=first.password).role == "admin"
        )
