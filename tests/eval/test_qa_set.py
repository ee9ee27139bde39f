from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportflow.errors import InputError
from supportflow.eval.qa_set import QaFields, QaItem, read_qa, resolve_gold


def write_lines(path: Path, *records: object) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    return path


def test_questions_are_read_with_gold_documents_and_answers(tmp_path: Path) -> None:
    qa = write_lines(
        tmp_path / "qa.jsonl",
        {"question": " where is my parcel? ", "doc": "shipping.md", "answer": "PL..."},
        {"question": "refund?", "doc": ["refunds.md", "returns.md"]},
    )
    assert read_qa(qa) == [
        QaItem("where is my parcel?", ("shipping.md",), "PL..."),
        QaItem("refund?", ("refunds.md", "returns.md"), None),
    ]


def test_other_field_names_can_be_chosen(tmp_path: Path) -> None:
    qa = write_lines(tmp_path / "qa.jsonl", {"query": "hi there", "article": "a.md"})
    items = read_qa(qa, QaFields(question="query", doc="article"))
    assert items == [QaItem("hi there", ("a.md",))]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "qa.jsonl:1: not valid JSON"),
        ("[1, 2]", "qa.jsonl:1: expected a JSON object"),
        ('{"doc": "a.md"}', "qa.jsonl:1: no 'question' text"),
        ('{"question": "q", "doc": []}', "qa.jsonl:1: 'doc' must be a file name"),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    qa = tmp_path / "qa.jsonl"
    qa.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_qa(qa)


def test_an_empty_or_missing_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no questions"):
        read_qa(tmp_path / "empty.jsonl")
    with pytest.raises(InputError, match="cannot read"):
        read_qa(tmp_path / "missing.jsonl")


def test_gold_names_resolve_to_files_by_name_or_relative_path() -> None:
    files = ["a.md", "manuals/b.pdf", "x/c.md", "y/c.md"]
    items = [QaItem("q1", ("b.pdf",)), QaItem("q2", ("x/c.md", "a.md"))]
    assert resolve_gold(items, files) == [
        frozenset({"manuals/b.pdf"}),
        frozenset({"x/c.md", "a.md"}),
    ]


def test_unknown_or_ambiguous_gold_documents_are_refused() -> None:
    files = ["x/c.md", "y/c.md"]
    with pytest.raises(InputError, match="'nope.md' .* is not in the knowledge-base folder"):
        resolve_gold([QaItem("q", ("nope.md",))], files)
    with pytest.raises(InputError, match="'c.md' .* is ambiguous"):
        resolve_gold([QaItem("q", ("c.md",))], files)
