"""`supportflow eval retrieve` and `bench kb` as scripts see them: the JSON contracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportflow.cli import app

runner = CliRunner()
METRIC_KEYS = {"recall@1", "recall@5", "mrr@10", "n", "p50_ms", "p95_ms", "floor", "grounded"}


def test_eval_retrieve_json_has_the_three_modes_and_meta(tiny_kb: tuple[Path, Path]) -> None:
    kb, qa = tiny_kb
    result = runner.invoke(app, ["eval", "retrieve", "--kb", str(kb), "--qa", str(qa), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"keyword", "vector", "hybrid", "meta"}
    for mode in ("keyword", "vector", "hybrid"):
        assert set(report[mode]) in (METRIC_KEYS, {"skipped"}), report[mode]
    assert report["keyword"]["n"] == 5
    assert report["meta"]["qa"] == str(qa)


def test_eval_retrieve_prints_a_table_and_names_skipped_modes(tiny_kb: tuple[Path, Path]) -> None:
    kb, qa = tiny_kb
    result = runner.invoke(
        app, ["eval", "retrieve", "--kb", str(kb), "--qa", str(qa), "--model", "none"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "3 documents, 3 chunks; embedding model: none"
    assert lines[1].split() == [
        "mode",
        "recall@1",
        "recall@5",
        "mrr@10",
        "n",
        "p50",
        "ms",
        "p95",
        "ms",
        "floor",
        "grounded",
        "refused",
    ]
    keyword = lines[2].split()
    assert keyword[:5] == ["keyword", "1.000", "1.000", "1.000", "5"]
    assert keyword[7] == "0.50" and keyword[9] == "-"  # the floor; no off-topic questions
    assert lines[3].startswith("vector   skipped: vector search turned off")
    assert lines[4].startswith("hybrid   skipped: vector search turned off")


def test_eval_retrieve_scores_off_topic_questions_given_in_a_file(
    tiny_kb: tuple[Path, Path], tmp_path: Path
) -> None:
    kb, qa = tiny_kb
    off_topic = tmp_path / "off.jsonl"
    off_topic.write_text(json.dumps({"question": "who won the football match"}) + "\n")
    args = ["eval", "retrieve", "--kb", str(kb), "--qa", str(qa), "--model", "none", "--json"]
    result = runner.invoke(app, [*args, "--off-topic", str(off_topic)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["keyword"]["refused"] == 1.0 and report["keyword"]["n_off_topic"] == 1
    assert report["meta"]["off_topic"] == str(off_topic)


def test_eval_retrieve_reads_other_field_names(tiny_kb: tuple[Path, Path], tmp_path: Path) -> None:
    kb, _ = tiny_kb
    qa = tmp_path / "other.jsonl"
    qa.write_text(json.dumps({"query": "is 5 GHz wifi ok", "article": "wifi.md"}) + "\n")
    args = ["eval", "retrieve", "--kb", str(kb), "--qa", str(qa), "--model", "none", "--json"]
    result = runner.invoke(app, [*args, "--question-field", "query", "--doc-field", "article"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["keyword"]["n"] == 1


def test_eval_retrieve_needs_a_folder_and_questions_or_the_demo() -> None:
    result = runner.invoke(app, ["eval", "retrieve", "--qa", "x.jsonl"])
    assert result.exit_code != 0
    assert "give --kb DIR and --qa FILE, or --demo" in str(result.exception)


def test_bench_kb_json_shape(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["bench", "kb", "--chunks", "300", "--queries", "10", "--embed-sample", "16", "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["chunks"] == 300
    demo_pdfs = figures["pdf_parsing"]["demo manuals"]
    assert demo_pdfs["files"] == 4 and demo_pdfs["pages"] > 4 and demo_pdfs["errors"] == []
    assert figures["indexing"]["keyword"]["chunks_per_second"] > 0
    modes = ("keyword", "vector", "hybrid") if figures["embedding_model"] else ("keyword",)
    assert tuple(figures["search"]) == modes
    for mode in modes:
        search = figures["search"][mode]
        assert search["queries"] == 10
        assert 0 < search["p50_ms"] <= search["p95_ms"]
    assert 0 < figures["keyword_match_share"] < 1
    if figures["embedding_model"]:
        assert figures["embedding"]["chunks_per_second"] > 0
        assert figures["stored_vectors"] == "sample reused"


@pytest.mark.slow
def test_the_demo_evaluation_finds_most_gold_documents_in_every_mode() -> None:
    result = runner.invoke(app, ["eval", "retrieve", "--demo", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["meta"]["documents"] == 17 and report["meta"]["load_errors"] == []
    for mode in ("keyword", "vector", "hybrid"):
        assert report[mode]["n"] >= 45
        assert report[mode]["recall@5"] >= 0.9, (mode, report[mode])
