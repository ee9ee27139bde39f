"""`supportflow eval classify` and the scoring behind it, on small files made in tmp_path."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportflow.cli import app
from supportflow.errors import InputError
from supportflow.eval.classify import (
    CURVE_THRESHOLDS,
    ClassifyOptions,
    coverage_at,
    evaluate_classifier,
    hold_out,
    read_labelled,
    score_predictions,
)
from supportflow.knowledge.embeddings import try_load_embedder
from supportflow.triage.model import LabelledExample, Prediction

runner = CliRunner()
BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77"
TRAIN = {
    "billing": [
        "I was charged twice for my subscription",
        "please send me the invoice for March",
        "there is an extra fee on my card statement",
        "my payment failed but the money is gone",
        "refund the duplicate charge please",
        "you billed me after I cancelled",
        "the price on my bill is wrong",
        "I want a receipt for my payment",
    ],
    "shipping": [
        "where is my parcel, it has not arrived",
        "the tracking page has not updated for a week",
        "my package went to the wrong address",
        "when will my order ship",
        "the courier lost my package",
        "my delivery is five days late",
        "the parcel is stuck at the depot",
        "can I change the delivery address",
    ],
    "account": [
        "I forgot my password and cannot log in",
        "the password reset email never arrives",
        "my account is locked after failed logins",
        "how do I change the email on my account",
        "someone else logged into my account",
        "please delete my account",
        "I cannot sign in with my username",
        "the login code is rejected",
    ],
}
TEST = [
    ("there is a charge on my card I do not understand", "billing"),
    ("send me a copy of the invoice", "billing"),
    ("my parcel still has not been delivered", "shipping"),
    ("the tracking number shows no update", "shipping"),
    ("I cannot log in, I forgot the password", "account"),
    ("my account got locked", "account"),
]
OUT_OF_SCOPE_TRAIN = [
    "what is the weather like tomorrow",
    "tell me a joke about cats",
    "who won the football match yesterday",
    "recommend a good pizza recipe",
]
OUT_OF_SCOPE_TEST = [("which films are on at the cinema tonight", "oos")]
REQUIRED_KEYS = {
    "accuracy",
    "macro_f1",
    "n_test",
    "n_train",
    "train_seconds",
    "p50_ms",
    "p95_ms",
    "batch_per_second",
    "per_label",
    "coverage_curve",
    "coverage_at_97",
    "routes",
    "calibration_error",
}


def _train_rows(*, with_out_of_scope: bool = False) -> list[tuple[str, str]]:
    rows = [(text, label) for label, texts in TRAIN.items() for text in texts]
    if with_out_of_scope:
        rows += [(text, "oos") for text in OUT_OF_SCOPE_TRAIN]
    return rows


def _write_csv(path: Path, rows: list[tuple[str, str]], label_column: str = "label") -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", label_column])
        writer.writerows(rows)
    return path


def _write_jsonl(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [json.dumps({"text": text, "label": label}) for text, label in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _eval(train: Path, test: Path, *extra: str) -> dict:
    arguments = ["eval", "classify", "--train", str(train), "--test", str(test)]
    result = runner.invoke(app, [*arguments, "--model", "none", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_eval_classify_json_has_the_contract_keys(tmp_path: Path) -> None:
    train = _write_csv(tmp_path / "train.csv", _train_rows(), label_column="category")
    test = _write_jsonl(tmp_path / "test.jsonl", TEST)

    report = _eval(train, test)

    assert REQUIRED_KEYS <= set(report)
    assert (report["n_train"], report["n_test"]) == (24, 6)
    assert "oos_recall" not in report and report["min_confidence"] is None
    assert report["model"]["features"].startswith("TF-IDF only")
    assert report["meta"] == {"train": str(train), "test": str(test), "oos": []}
    assert 0.0 < report["p50_ms"] <= report["p95_ms"]
    assert report["batch_per_second"] > 0


def test_per_label_counts_every_test_row(tmp_path: Path) -> None:
    report = _eval(
        _write_csv(tmp_path / "a.csv", _train_rows()), _write_csv(tmp_path / "b.csv", TEST)
    )

    per_label = report["per_label"]
    assert set(per_label) == {"account", "billing", "shipping"}
    assert sum(row["support"] for row in per_label.values()) == 6
    for row in per_label.values():
        assert set(row) == {"precision", "recall", "support"}
        assert 0.0 <= row["precision"] <= 1.0 and 0.0 <= row["recall"] <= 1.0


def test_coverage_curve_falls_as_the_threshold_rises(tmp_path: Path) -> None:
    report = _eval(
        _write_csv(tmp_path / "a.csv", _train_rows()), _write_csv(tmp_path / "b.csv", TEST)
    )

    curve = report["coverage_curve"]
    assert [point["threshold"] for point in curve] == list(CURVE_THRESHOLDS)
    coverages = [point["coverage"] for point in curve]
    assert coverages == sorted(coverages, reverse=True)
    assert curve[0]["coverage"] == 1.0
    assert curve[0]["accuracy"] == pytest.approx(report["accuracy"], abs=1e-4)
    for point in curve:
        assert (point["accuracy"] is None) == (point["coverage"] == 0.0)
    assert 0.0 <= report["coverage_at_97"] <= 1.0
    routes = report["routes"]
    assert routes["model"]["share"] + routes["unknown"]["share"] == pytest.approx(1.0)


def test_out_of_scope_rows_train_an_unknown_label_and_are_scored(tmp_path: Path) -> None:
    train = _write_csv(tmp_path / "train.csv", _train_rows(with_out_of_scope=True))
    test = _write_jsonl(tmp_path / "test.jsonl", TEST + OUT_OF_SCOPE_TEST)

    report = _eval(train, test, "--min-confidence", "0.3")

    assert report["model"]["labels"] == 4  # three categories and `unknown`
    assert report["n_oos"] == 1 and report["min_confidence"] == 0.3
    assert {"in_scope_accuracy", "oos_recall", "oos_precision"} <= set(report)
    assert report["per_label"]["unknown"]["support"] == 1
    assert "oos_recall" in report["coverage_curve"][0]
    assert set(report["routes"]) == {"model", "unknown"}


def test_hold_out_labels_turns_their_test_rows_out_of_scope(tmp_path: Path) -> None:
    train = _write_csv(tmp_path / "train.csv", _train_rows())
    test = _write_csv(tmp_path / "test.csv", TEST)

    report = _eval(train, test, "--hold-out-labels", "1", "--min-confidence", "0.99")

    [held] = report["held_out_labels"]
    assert report["n_train"] == 16 and report["n_oos"] == 2
    assert report["per_label"]["unknown"]["support"] == 2
    assert held not in report["per_label"]
    # At 0.99 almost nothing is sure enough: the held-out rows come back unknown.
    assert report["oos_recall"] == 1.0


def test_hold_out_keeps_two_labels_to_train_on() -> None:
    train = [LabelledExample(text, label) for text, label in _train_rows()]

    kept, _, held = hold_out(train, [], 1, seed=3)
    assert len({e.label for e in kept}) == 2 and held[0] not in {e.label for e in kept}
    with pytest.raises(InputError, match="at least 2 must stay"):
        hold_out(train, [], 2, seed=0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("train.txt", "text,label\na,b\n", r"\.csv or \.jsonl"),
        ("train.csv", "message,label\nhello,billing\n", "`text`"),
        ("train.csv", "text,label\n", "no labelled examples"),
        ("train.jsonl", '{"text": "hi", "label": "billing"}\n[1, 2]\n', "train.jsonl:2"),
        ("train.jsonl", '{"text": "hi"}\n', "label is missing"),
    ],
)
def test_bad_input_files_are_refused_with_the_reason(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    train = tmp_path / name
    train.write_text(content, encoding="utf-8")
    test = _write_csv(tmp_path / "test.csv", TEST)

    result = runner.invoke(
        app, ["eval", "classify", "--train", str(train), "--test", str(test), "--json"]
    )

    assert result.exit_code != 0
    assert isinstance(result.exception, InputError)
    assert re.search(message, str(result.exception))


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_labelled(tmp_path / "absent.csv")


def test_oos_and_unknown_labels_read_as_unknown(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "t.csv", [("a", "OOS"), ("b", "unknown"), ("c", "billing")])

    assert [e.label for e in read_labelled(path)] == ["unknown", "unknown", "billing"]


def _prediction(label: str, confidence: float) -> Prediction:
    return Prediction(label, confidence, [(label, confidence)])


def test_scores_count_unsure_predictions_as_unknown_only_with_out_of_scope_rows() -> None:
    expected = ["a", "b", "unknown", "unknown"]
    predictions = [
        _prediction("a", 0.9),
        _prediction("b", 0.4),  # right, but below 0.5: unknown
        _prediction("a", 0.3),  # out of scope, caught by the threshold
        _prediction("unknown", 0.8),  # out of scope, the model's own `unknown`
    ]

    scores = score_predictions(expected, predictions, 0.5)

    assert scores["accuracy"] == 0.75
    assert scores["in_scope_accuracy"] == 0.5
    assert scores["oos_recall"] == 1.0 and scores["oos_precision"] == pytest.approx(2 / 3)
    without = score_predictions(["a", "b"], predictions[:2], 0.5)
    assert without["accuracy"] == 1.0 and without["min_confidence"] is None


def test_coverage_at_routes_the_most_confident_and_never_splits_a_tie() -> None:
    expected = ["a", "a", "a", "a", "a"]
    predictions = [
        _prediction("a", 0.99),
        _prediction("a", 0.9),
        _prediction("b", 0.8),  # wrong, tied with the next
        _prediction("a", 0.8),
        _prediction("b", 0.2),
    ]

    assert coverage_at(expected, predictions, 0.97) == (0.4, 0.9)
    assert coverage_at(expected, predictions, 0.75) == (0.8, 0.8)
    assert coverage_at(expected, [_prediction("b", 0.9)] * 5, 0.97) == (0.0, None)


def test_evaluate_classifier_uses_embeddings_when_the_model_is_installed() -> None:
    embedder, reason = try_load_embedder("minilm")
    if embedder is None:
        pytest.skip(f"embedding model not installed: {reason}")
    train = [LabelledExample(text, label) for text, label in _train_rows()]
    test = [LabelledExample(text, label) for text, label in TEST]

    report = evaluate_classifier(train, test, ClassifyOptions(latency_sample=5))

    assert "embeddings" in report["model"]["features"]
    assert report["accuracy"] >= 5 / 6


@pytest.mark.skipif(not (BANKING77 / "test.csv").exists(), reason="banking77 data not present")
def test_banking77_files_read_as_labelled_examples() -> None:
    examples = read_labelled(BANKING77 / "test.csv")

    assert len(examples) == 3080
    assert len({example.label for example in examples}) == 77


def test_out_of_scope_files_are_added_to_the_test_set(tmp_path: Path) -> None:
    train = _write_csv(tmp_path / "train.csv", _train_rows())
    test = _write_jsonl(tmp_path / "test.jsonl", TEST)
    natcs = tmp_path / "insurance.jsonl"
    natcs.write_text(
        '{"utterance": "I need a quote for my newest car", "intent": "GetQuote"}\n'
        '{"utterance": "Can I add my son to the policy?", "intent": "AddDriver"}\n',
        encoding="utf-8",
    )

    report = _eval(train, test, "--oos", str(natcs))

    assert report["n_test"] == len(TEST) + 2 and report["n_oos"] == 2
    assert report["meta"]["oos"] == [str(natcs)]
    assert 0.0 <= report["oos_recall"] <= 1.0


def test_an_out_of_scope_file_without_requests_is_a_clear_error(tmp_path: Path) -> None:
    from supportflow.eval.classify import read_out_of_scope

    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"intent": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="no out-of-scope requests"):
        read_out_of_scope(empty)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{nope\n", encoding="utf-8")
    with pytest.raises(InputError, match="broken.jsonl:1: not JSON"):
        read_out_of_scope(broken)


def test_calibration_error_is_the_weighted_gap_between_confidence_and_accuracy() -> None:
    from supportflow.eval.classify import calibration_error

    def said(label: str, confidence: float) -> Prediction:
        return Prediction(label=label, confidence=confidence, ranking=[(label, confidence)])

    honest = [said("a", 0.75)] * 3 + [said("b", 0.75)]
    assert calibration_error(["a"] * 4, honest) == 0.0  # 0.75 sure, 3 of 4 right
    overconfident = [said("a", 0.95), said("b", 0.95)]
    assert calibration_error(["a", "a"], overconfident) == pytest.approx(0.45)
