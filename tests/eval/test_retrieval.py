from __future__ import annotations

from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError, InputError
from supportflow.eval.qa_set import QaItem, read_qa
from supportflow.eval.retrieval import evaluate_retrieval, knowledge_files, sweep_hybrid
from supportflow.knowledge.embeddings import try_load_embedder
from supportflow.knowledge.fusion import DEFAULT_TITLE_WEIGHT
from supportflow.knowledge.relevance import RELEVANCE_FLOOR

METRIC_KEYS = {"recall@1", "recall@5", "mrr@10", "n", "p50_ms", "p95_ms", "floor", "grounded"}
OFF_TOPIC = ["Do you sell gift cards for restaurants?", "what is the capital of australia"]
needs_embedder = pytest.mark.skipif(
    try_load_embedder("minilm")[0] is None, reason="the MiniLM embedding model is not installed"
)


def test_knowledge_files_are_found_in_subfolders_skipping_hidden_and_unsupported(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, _ = tiny_kb
    assert [p.relative_to(kb).as_posix() for p in knowledge_files(kb)] == [
        "manuals/battery.md",
        "returns.md",
        "wifi.md",
    ]


def test_keyword_only_eval_scores_keyword_and_says_why_the_rest_is_skipped(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, qa = tiny_kb
    report = evaluate_retrieval(kb, read_qa(qa), model="none")
    assert set(report) == {"keyword", "vector", "hybrid", "meta"}
    assert set(report["keyword"]) == METRIC_KEYS
    assert report["keyword"]["n"] == 5
    assert report["keyword"]["recall@5"] == 1.0  # 3 documents: every gold one is in the top 5
    assert report["keyword"]["recall@1"] >= 0.8
    assert report["vector"] == report["hybrid"] == {"skipped": report["meta"]["vector_unavailable"]}
    assert "turned off" in report["meta"]["vector_unavailable"]
    assert report["meta"]["documents"] == 3
    assert report["meta"]["load_errors"] == []


@needs_embedder
def test_every_mode_is_scored_when_the_embedding_model_is_there(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, qa = tiny_kb
    report = evaluate_retrieval(kb, read_qa(qa), fusion="rrf")
    for mode in ("keyword", "vector", "hybrid"):
        assert set(report[mode]) == METRIC_KEYS, mode
        assert report[mode]["recall@5"] == 1.0
        assert 0 <= report[mode]["p50_ms"] <= report[mode]["p95_ms"]
    assert report["meta"]["hybrid"] == {"fusion": "rrf", "alpha": None, "title_weight": None}
    assert report["meta"]["embedding_model"] == "minilm"


@needs_embedder
def test_grounding_is_measured_against_each_modes_floor_and_off_topic_questions_are_refused(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, qa = tiny_kb
    report = evaluate_retrieval(kb, read_qa(qa), off_topic=OFF_TOPIC)
    for mode in ("keyword", "vector", "hybrid"):
        assert set(report[mode]) == METRIC_KEYS | {"refused", "n_off_topic"}, mode
        assert report[mode]["floor"] == RELEVANCE_FLOOR[mode]
        assert report[mode]["n_off_topic"] == 2
    # the semantic modes know a gift card or a capital city is not about robots
    assert report["vector"]["refused"] == report["hybrid"]["refused"] == 1.0
    assert report["vector"]["grounded"] >= 0.8
    assert report["meta"]["hybrid"]["title_weight"] == DEFAULT_TITLE_WEIGHT


@needs_embedder
def test_the_sweep_scores_rrf_and_each_convex_weight_beside_the_baselines(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, qa = tiny_kb
    result = sweep_hybrid(kb, read_qa(qa), alphas=(0.2, 0.8))
    settings = [
        (row["mode"], row["fusion"], row["alpha"], row["title_weight"])
        for row in result["settings"]
    ]
    assert settings == [
        ("keyword", None, None, None),
        ("vector", None, None, None),
        ("hybrid", "rrf", None, None),
        ("hybrid", "convex", 0.2, 0.0),
        ("hybrid", "convex", 0.8, 0.0),
        ("hybrid", "convex", 0.2, DEFAULT_TITLE_WEIGHT),
        ("hybrid", "convex", 0.8, DEFAULT_TITLE_WEIGHT),
    ]
    assert result["best"]["mode"] == "hybrid"
    assert result["n"] == 5


def test_the_sweep_needs_vector_search(tiny_kb: tuple[Path, Path]) -> None:
    kb, qa = tiny_kb
    with pytest.raises(ConfigurationError, match="needs vector search"):
        sweep_hybrid(kb, read_qa(qa), model="none")


def test_a_broken_file_is_listed_and_its_questions_count_as_misses(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, qa = tiny_kb
    (kb / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    items = [*read_qa(qa), QaItem("what does the broken manual say?", ("broken.pdf",))]
    report = evaluate_retrieval(kb, items, model="none")
    [error] = report["meta"]["load_errors"]
    assert "broken.pdf" in error
    assert report["keyword"]["n"] == 6
    assert report["keyword"]["recall@5"] == pytest.approx(5 / 6, abs=1e-4)


def test_a_gold_document_missing_from_the_folder_is_an_input_error(
    tiny_kb: tuple[Path, Path],
) -> None:
    kb, _ = tiny_kb
    with pytest.raises(InputError, match="'faq.md'"):
        evaluate_retrieval(kb, [QaItem("anything", ("faq.md",))], model="none")


def test_a_folder_without_documents_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no supported documents"):
        evaluate_retrieval(tmp_path, [QaItem("q", ("a.md",))], model="none")
    with pytest.raises(ConfigurationError, match="not a folder"):
        evaluate_retrieval(tmp_path / "nope", [QaItem("q", ("a.md",))], model="none")
