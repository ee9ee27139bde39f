"""A retrieval question set: JSONL, one question per line with the file name of its gold document.

    {"question": "can i return opened filters?", "doc": "returns-policy.md", "answer": "..."}

`doc` names a file of the knowledge-base folder, by its name or its path relative to the
folder; a list of names means any of them answers the question. `answer` is optional and
only carried along. Other datasets spell the fields differently, so the three field names
can be chosen (`eval retrieve --question-field ... --doc-field ...`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportflow.errors import InputError


@dataclass(frozen=True)
class QaItem:
    question: str
    gold: tuple[str, ...]  # file names or paths relative to the knowledge-base folder
    answer: str | None = None


@dataclass(frozen=True)
class QaFields:
    """Which JSON keys hold the question, the gold document(s) and the answer."""

    question: str = "question"
    doc: str = "doc"
    answer: str = "answer"


def read_qa(path: Path, fields: QaFields = QaFields()) -> list[QaItem]:
    """The questions of the JSONL file at `path` (blank lines skipped).

    Raises InputError naming the file and line when the file cannot be read, a line is not a
    JSON object, or a question or gold document is missing or empty.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the question file ({exc})") from exc
    items = [
        _item(line, fields, f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    if not items:
        raise InputError(f"{path}: no questions")
    return items


def read_questions(path: Path, field: str = "question") -> list[str]:
    """The questions of a JSONL file without gold documents (off-topic questions, which
    search should find nothing for). Raises InputError as `read_qa` does."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the question file ({exc})") from exc
    questions = [
        _question(_record(line, f"{path}:{number}"), field, f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    if not questions:
        raise InputError(f"{path}: no questions")
    return questions


def resolve_gold(items: Sequence[QaItem], files: Sequence[str]) -> list[frozenset[str]]:
    """Each question's gold documents as keys of `files` (posix paths relative to the
    knowledge-base folder). A bare file name matches the file of that name in any subfolder.

    Raises InputError when a gold document is not in the folder or a bare name is ambiguous.
    """
    by_name: dict[str, list[str]] = {}
    for key in files:
        by_name.setdefault(key.rsplit("/", 1)[-1], []).append(key)
    known = set(files)
    resolved = []
    for item in items:
        keys = set()
        for doc in item.gold:
            matches = [doc] if doc in known else by_name.get(doc, [])
            if len(matches) != 1:
                problem = "is ambiguous" if matches else "is not in the knowledge-base folder"
                raise InputError(f"gold document {doc!r} of {item.question!r} {problem}")
            keys.add(matches[0])
        resolved.append(frozenset(keys))
    return resolved


def _item(line: str, fields: QaFields, where: str) -> QaItem:
    record = _record(line, where)
    question = _question(record, fields.question, where)
    gold = record.get(fields.doc)
    docs = [gold] if isinstance(gold, str) else gold
    if not isinstance(docs, list) or not docs or not all(isinstance(d, str) and d for d in docs):
        raise InputError(f"{where}: {fields.doc!r} must be a file name or a list of them")
    answer = record.get(fields.answer)
    return QaItem(question, tuple(docs), answer if isinstance(answer, str) else None)


def _record(line: str, where: str) -> dict[str, Any]:
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object")
    return record


def _question(record: dict[str, Any], field: str, where: str) -> str:
    question = record.get(field)
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"{where}: no {field!r} text")
    return question.strip()
