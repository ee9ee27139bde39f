"""Every broken or hostile demo message ends as a case with a clear status and reason (or
as a named duplicate); the worker survives all of them and the raw MIME is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from supportflow.cases.intake import IntakeResult, ingest_path
from supportflow.cases.views import case_detail
from supportflow.config import Settings
from supportflow.demo.inbox import write_demo_inbox
from supportflow.store.db import Database
from supportflow.store.models import Case, Message, Tenant
from supportflow.workers.embedded import build_deps, process_pending
from supportflow.workspace import open_workspace
from tests.conftest import copy_demo_home

# file -> (status, words the reason must contain; None: a draft awaits review)
EXPECTED = {
    "80-empty-body.eml": ("needs_human", "empty body"),
    "81-html-only.eml": ("awaiting_review", None),
    "82-iso-8859-1-german.eml": ("awaiting_review", None),
    "83-iso-8859-1-french.eml": ("awaiting_review", None),
    "84-shift-jis-japanese.eml": ("awaiting_review", None),
    "85-malformed-headers.eml": ("awaiting_review", None),
    "86-reply-chain-follow-up.eml": ("awaiting_review", None),
    "87-auto-reply-out-of-office.eml": ("needs_human", "automatic message"),
    "88-prompt-injection.eml": ("needs_human", "prompt injection"),
    "89-no-message-id.eml": ("awaiting_review", None),
    "90-no-from.eml": ("needs_human", "no sender address"),
    "92-off-topic-poem.eml": ("needs_human", "no category fits"),
    "93-off-topic-job-application.eml": ("needs_human", "no category fits"),
    "94-large-attachment-5mb.eml": ("awaiting_review", None),
}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "inbox"
    write_demo_inbox(folder)
    return folder


@pytest.fixture(scope="module")
def settings(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One demo workspace for the whole module: processing the inbox once is enough."""
    home = copy_demo_home(demo_template, tmp_path_factory.mktemp("hostile-home") / "home")
    return Settings(home=home)


@pytest.fixture(scope="module")
def demo_db(settings: Settings) -> Iterator[Database]:
    database = open_workspace(settings)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def processed(demo_db: Database, settings: Settings, inbox: Path) -> dict[str, dict]:
    demo_deps = build_deps(demo_db, settings)
    with demo_db.session() as session:
        tenant = session.scalars(select(Tenant)).one()
    results = ingest_path(demo_db, tenant=tenant, path=inbox)
    outcomes = {Path(r.origin).name: r.outcome for r in results if isinstance(r, IntakeResult)}
    assert outcomes["91-duplicate-of-01.eml"] == "duplicate"
    report = process_pending(demo_deps)
    assert report.total == sum(1 for o in outcomes.values() if o == "created")
    with demo_db.session() as session:
        return {
            Path(c.message.origin or "").name: case_detail(session, c)
            for c in session.scalars(select(Case))
        }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_message_ends_with_clear_status(processed, name: str) -> None:
    status, reason_words = EXPECTED[name]
    case = processed[name]
    assert case["status"] == status, case["status_reason"]
    if reason_words is None:
        assert case["draft"] and case["draft"]["text"].strip()
    else:
        assert reason_words in case["status_reason"]
        assert case["draft"] is None


def test_raw_mime_is_kept_byte_for_byte(processed, demo_db, inbox: Path) -> None:
    with demo_db.session() as session:
        for message in session.scalars(select(Message).where(Message.direction == "inbound")):
            assert message.raw_mime == (inbox / Path(message.origin).name).read_bytes()


def test_no_case_is_left_unfinished(processed) -> None:
    assert {c["status"] for c in processed.values()} <= {"awaiting_review", "needs_human"}


def test_oversize_attachment_is_kept_as_a_note(processed) -> None:
    case = processed["94-large-attachment-5mb.eml"]
    big = [a for a in case["message"]["attachments"] if a["size"] >= 5_000_000]
    assert big and big[0]["is_oversize"]
    screen = next(s for s in case["steps"] if s["step"] == "screen")
    assert "over the limit" in " ".join(screen["detail"]["notes"])


def test_reply_chain_joins_the_first_message_thread(processed) -> None:
    follow_up = processed["86-reply-chain-follow-up.eml"]
    receive = next(s for s in follow_up["steps"] if s["step"] == "receive")
    originals = [
        c for c in processed.values() if c["message_id"] == follow_up["message"]["in_reply_to"]
    ]
    assert originals, "the demo reply chain should answer a message in the inbox"
    original_receive = next(s for s in originals[0]["steps"] if s["step"] == "receive")
    assert receive["detail"]["conversation_id"] == original_receive["detail"]["conversation_id"]
    assert receive["detail"]["threaded_by"] == "headers"
    assert "wrote:" not in follow_up["message"]["text"]
