"""Reading the raw messages behind `supportflow ingest PATH...`.

A path is one of: a single message file (any file not named *.mbox), an mbox file, a
Maildir (a folder with cur/, new/ and tmp/), or a plain folder, searched recursively for
*.eml files, *.mbox files and Maildir subfolders in sorted, deterministic order.

`iter_source_messages` checks the path it is given at once and raises `IngestError` when
that path is missing or unreadable. After that it never raises for one bad file: it yields
an `IngestFailure` naming the file and the reason, and goes on with the others, so that a
caller can record each failure and continue:

    for item in iter_source_messages(path):
        if isinstance(item, IngestFailure):
            report(item.origin, item.reason)
        else:
            ingest(item.origin, item.raw)
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from supportflow.errors import IngestError

_MAILDIR_PARTS = ("cur", "new", "tmp")


@dataclass(frozen=True)
class SourceMessage:
    """One raw message and where it came from ("a.eml", "box.mbox#3", "Maildir/cur/17...")."""

    origin: str
    raw: bytes


@dataclass(frozen=True)
class IngestFailure:
    """A file or mbox entry that could not be read; the others are still read."""

    origin: str
    reason: str


SourceItem = SourceMessage | IngestFailure


def iter_source_messages(path: Path) -> Iterator[SourceItem]:
    """Yield every message under `path`, or an `IngestFailure` for each unreadable one.

    Raises `IngestError` (before yielding anything) when `path` does not exist or cannot
    be read at all.
    """
    if not path.exists():
        raise IngestError(f"{path}: no such file or directory")
    try:
        if path.is_dir():
            if _is_maildir(path):
                return _read_maildir(path)
            return _read_dir(path, _list_dir(path), frozenset())
        if path.suffix.lower() == ".mbox":
            with path.open("rb"):  # fail here, not halfway through the caller's loop
                pass
            return _read_mbox(path)
        return iter([SourceMessage(origin=str(path), raw=path.read_bytes())])
    except OSError as exc:
        raise IngestError(f"{path}: cannot be read ({_reason(exc)})") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _is_maildir(path: Path) -> bool:
    return all((path / part).is_dir() for part in _MAILDIR_PARTS)


def _list_dir(folder: Path) -> list[Path]:
    return sorted(folder.iterdir(), key=lambda entry: entry.name)


def _read_dir(folder: Path, entries: list[Path], seen: frozenset[str]) -> Iterator[SourceItem]:
    """Recurse into a plain folder: *.eml and *.mbox files, Maildirs, subfolders.

    `seen` holds the real paths of the folders above, so a symbolic link pointing back up
    the tree is not followed forever.
    """
    seen = seen | {os.path.realpath(folder)}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _read_subfolder(entry, seen)
        elif entry.suffix.lower() == ".eml":
            yield _read_one(entry)
        elif entry.suffix.lower() == ".mbox":
            yield from _read_mbox(entry)


def _read_subfolder(folder: Path, seen: frozenset[str]) -> Iterator[SourceItem]:
    if os.path.realpath(folder) in seen:
        return
    if _is_maildir(folder):
        yield from _read_maildir(folder)
        return
    try:
        entries = _list_dir(folder)
    except OSError as exc:
        yield IngestFailure(origin=str(folder), reason=f"cannot list folder ({_reason(exc)})")
        return
    yield from _read_dir(folder, entries, seen)


def _read_one(path: Path) -> SourceItem:
    try:
        return SourceMessage(origin=str(path), raw=path.read_bytes())
    except OSError as exc:
        return IngestFailure(origin=str(path), reason=f"cannot be read ({_reason(exc)})")


def _read_mbox(path: Path) -> Iterator[SourceItem]:
    """Each message of an mbox file, numbered from 1 in file order ("box.mbox#1")."""
    try:
        box = mailbox.mbox(path, create=False)
    except (OSError, mailbox.NoSuchMailboxError) as exc:
        yield IngestFailure(origin=str(path), reason=f"cannot be read ({exc})")
        return
    try:
        for number, key in enumerate(box.keys(), start=1):
            origin = f"{path}#{number}"
            try:
                yield SourceMessage(origin=origin, raw=box.get_bytes(key))
            except OSError as exc:
                yield IngestFailure(origin=origin, reason=f"cannot be read ({_reason(exc)})")
    except OSError as exc:  # listing the messages reads the whole file
        yield IngestFailure(origin=str(path), reason=f"cannot be read ({_reason(exc)})")
    finally:
        box.close()


def _read_maildir(folder: Path) -> Iterator[SourceItem]:
    """Messages of a Maildir's new/ and cur/, sorted by file name (delivery time first).

    The files are listed directly rather than through `mailbox.Maildir`, whose keys do not
    name the file a message came from, and a message's origin must name it.
    """
    files: list[Path] = []
    for part in ("new", "cur"):
        try:
            files.extend(p for p in (folder / part).iterdir() if not p.name.startswith("."))
        except OSError as exc:
            yield IngestFailure(origin=str(folder / part), reason=f"cannot list ({_reason(exc)})")
    for path in sorted(files, key=lambda p: (p.name, p.parent.name)):
        if not path.is_dir():
            yield _read_one(path)
