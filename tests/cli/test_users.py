"""`supportflow user`: adding users, tokens shown once, listing, passwords, disabling."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from supportflow.accounts.tokens import user_for_token
from supportflow.accounts.users import authenticate
from supportflow.cli import app

runner = CliRunner()


def run_json(*args: str, stdin: str | None = None):
    result = runner.invoke(app, [*args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_add_generates_a_password_once_and_it_signs_in(demo_db) -> None:
    added = run_json("user", "add", "Ana@Brightwave.example", "--role", "reviewer")
    with demo_db.session() as session:
        user = authenticate(session, email="ana@brightwave.example", password=added["password"])
    assert (added["email"], added["role"], added["tenant"]) == (
        "ana@brightwave.example",
        "reviewer",
        "brightwave",
    )
    assert user.id == added["id"]
    listed = run_json("user", "list")
    assert [(u["email"], u["disabled"]) for u in listed] == [("ana@brightwave.example", False)]
    assert "password" not in listed[0]


def test_add_reads_the_password_from_stdin_and_prints_none(demo_db) -> None:
    added = run_json(
        "user",
        "add",
        "bo@brightwave.example",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert "password" not in added
    with demo_db.session() as session:
        authenticate(session, email="bo@brightwave.example", password="a long enough password")


def test_bad_role_and_duplicate_email_are_one_line_errors(demo_db) -> None:
    run_json("user", "add", "cy@brightwave.example", "--role", "admin")
    bad_role = runner.invoke(app, ["user", "add", "dee@brightwave.example", "--role", "owner"])
    duplicate = runner.invoke(app, ["user", "add", "CY@brightwave.example", "--role", "viewer"])
    assert bad_role.exit_code != 0 and "unknown role 'owner'" in str(bad_role.exception)
    assert duplicate.exit_code != 0 and "already exists" in str(duplicate.exception)


def test_token_is_printed_once_and_stored_hashed(demo_db) -> None:
    run_json("user", "add", "eve@brightwave.example", "--role", "admin")
    issued = run_json("user", "token", "eve@brightwave.example", "--name", "ci")
    assert issued["token"].startswith("sf_") and issued["prefix"] == issued["token"][:8]
    with demo_db.session() as session:
        assert user_for_token(session, issued["token"]).email == "eve@brightwave.example"
    text = runner.invoke(app, ["user", "token", "eve@brightwave.example", "--name", "other"])
    assert text.exit_code == 0 and "shown once" in text.stdout


def test_disable_and_password_reset(demo_db) -> None:
    added = run_json("user", "add", "fay@brightwave.example", "--role", "viewer")
    reset = run_json("user", "password", "fay@brightwave.example")
    assert reset["password"] != added["password"]
    disabled = run_json("user", "disable", "fay@brightwave.example")
    assert disabled == {"email": "fay@brightwave.example", "disabled": True}
    assert run_json("user", "list")[0]["disabled"] is True
