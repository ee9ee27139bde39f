from __future__ import annotations

import mailbox
import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from supportflow.errors import IngestError
from supportflow.mail.sources import IngestFailure, SourceMessage, iter_source_messages


def eml(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "jane@example.com"
    msg["Subject"] = subject
    msg.set_content(f"Body of {subject}\n")
    return msg.as_bytes()


def write_mbox(path: Path, *subjects: str) -> None:
    box = mailbox.mbox(path)
    try:
        for subject in subjects:
            box.add(eml(subject))
        box.flush()
    finally:
        box.close()


def write_maildir(path: Path, *subjects: str) -> None:
    box = mailbox.Maildir(path, create=True)
    for subject in subjects:
        box.add(eml(subject))


def subjects(items: list[SourceMessage | IngestFailure]) -> list[str]:
    found = []
    for item in items:
        assert isinstance(item, SourceMessage), item
        found.append(
            next(line for line in item.raw.decode().splitlines() if line[:8] == "Subject:")
        )
    return [line.removeprefix("Subject: ") for line in found]


def test_single_eml_file(tmp_path: Path):
    path = tmp_path / "one.eml"
    path.write_bytes(eml("one"))
    assert list(iter_source_messages(path)) == [SourceMessage(origin=str(path), raw=eml("one"))]


def test_any_file_not_named_mbox_is_one_message(tmp_path: Path):
    path = tmp_path / "message.txt"
    path.write_bytes(eml("txt"))
    assert subjects(list(iter_source_messages(path))) == ["txt"]


def test_mbox_file_yields_each_message_numbered(tmp_path: Path):
    path = tmp_path / "box.mbox"
    write_mbox(path, "first", "second", "third")
    items = list(iter_source_messages(path))
    assert [item.origin for item in items] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    assert subjects(items) == ["first", "second", "third"]
    assert not items[0].raw.startswith(b"From ")  # the mbox separator line is not the message


def test_maildir_yields_each_message_file(tmp_path: Path):
    folder = tmp_path / "Maildir"
    write_maildir(folder, "a", "b")
    items = list(iter_source_messages(folder))
    assert sorted(subjects(items)) == ["a", "b"]
    for item in items:
        assert Path(item.origin).parent in (folder / "new", folder / "cur")
        assert Path(item.origin).read_bytes() == item.raw


def test_mixed_folder_is_read_recursively_in_sorted_order(tmp_path: Path):
    (tmp_path / "b.eml").write_bytes(eml("b"))
    (tmp_path / "a.eml").write_bytes(eml("a"))
    (tmp_path / "notes.txt").write_text("not mail")
    (tmp_path / ".hidden.eml").write_bytes(eml("hidden"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.EML").write_bytes(eml("c"))
    write_mbox(tmp_path / "sub" / "d.mbox", "d1", "d2")
    write_maildir(tmp_path / "zmail", "e")
    items = list(iter_source_messages(tmp_path))
    assert subjects(items) == ["a", "b", "c", "d1", "d2", "e"]
    assert [item.origin for item in items][:4] == [
        str(tmp_path / "a.eml"),
        str(tmp_path / "b.eml"),
        str(tmp_path / "sub" / "c.EML"),
        f"{tmp_path / 'sub' / 'd.mbox'}#1",
    ]
    assert items == list(iter_source_messages(tmp_path))  # deterministic


def test_missing_path_raises_naming_it(tmp_path: Path):
    missing = tmp_path / "nope.eml"
    with pytest.raises(IngestError, match="nope.eml"):
        iter_source_messages(missing)


def test_unreadable_file_in_a_folder_does_not_stop_the_others(tmp_path: Path):
    (tmp_path / "a.eml").write_bytes(eml("a"))
    (tmp_path / "b.eml").symlink_to(tmp_path / "gone.eml")  # unreadable even for root
    (tmp_path / "c.mbox").symlink_to(tmp_path / "gone.mbox")
    (tmp_path / "d.eml").write_bytes(eml("d"))
    items = list(iter_source_messages(tmp_path))
    failures = [item for item in items if isinstance(item, IngestFailure)]
    assert [f.origin for f in failures] == [str(tmp_path / "b.eml"), str(tmp_path / "c.mbox")]
    assert all(f.reason for f in failures)
    assert subjects([item for item in items if isinstance(item, SourceMessage)]) == ["a", "d"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_permission_denied_file(tmp_path: Path):
    locked = tmp_path / "locked.eml"
    locked.write_bytes(eml("x"))
    locked.chmod(0)
    try:
        with pytest.raises(IngestError, match="locked.eml"):
            iter_source_messages(locked)
        assert isinstance(next(iter_source_messages(tmp_path)), IngestFailure)
    finally:
        locked.chmod(0o600)


def test_symlink_loop_is_not_followed_forever(tmp_path: Path):
    (tmp_path / "a.eml").write_bytes(eml("a"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    assert subjects(list(iter_source_messages(tmp_path))) == ["a"]


def test_cpython_mbox_fixture(cpython_fixtures: Path):
    path = cpython_fixtures / "mailbox_01.mbox"
    if not path.exists():
        pytest.skip("mailbox_01.mbox not present")
    items = list(iter_source_messages(path))
    assert items and all(isinstance(item, SourceMessage) for item in items)
