"""The demo's retrieval question set: enough questions, each answered by a real document."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import yaml

from supportflow.eval.qa_set import read_qa


def demo_questions():
    path = Path(str(resources.files("supportflow.demo") / "kb_questions.jsonl"))
    return read_qa(path)


def manifest_files() -> set[str]:
    manifest = resources.files("supportflow.demo") / "kb" / "manifest.yaml"
    return {item["file"] for item in yaml.safe_load(manifest.read_text(encoding="utf-8"))}


def test_there_are_at_least_45_distinct_questions_with_answers() -> None:
    items = demo_questions()
    assert len(items) >= 45
    assert len({item.question.lower() for item in items}) == len(items)
    assert all(item.answer for item in items)


def test_every_gold_document_is_in_the_demo_manifest() -> None:
    files = manifest_files()
    assert {doc for item in demo_questions() for doc in item.gold} <= files


def test_the_pdf_manuals_and_the_articles_are_both_asked_about() -> None:
    counts = Counter(doc.endswith(".pdf") for item in demo_questions() for doc in item.gold)
    assert counts[True] >= 20
    assert counts[False] >= 20
    pdfs = {doc for item in demo_questions() for doc in item.gold if doc.endswith(".pdf")}
    assert pdfs == {f for f in manifest_files() if f.endswith(".pdf")}
