"""`supportflow eval classify`: train the tenant's classifier on one file, measure it on another.

Out of scope: rows labelled `oos` or `unknown` are requests that belong to no category. In
training they become examples of an explicit `unknown` label; in testing the right answer for
them is `unknown`, which the model gives by predicting that label or by a confidence below
`min_confidence` (the cascade's own rule). `hold_out_labels` makes such a test from any labelled
set: those labels are removed from training and their test rows become out-of-scope.

Routing: a prediction is routed automatically when its confidence reaches a threshold; the
coverage curve gives, per threshold, the share routed and how often those were right, and
`coverage_at_97` the largest share that can be routed with at least 97% right (its threshold is
chosen on the test set itself, so it is the best case for that set).
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from supportflow.config import Thresholds
from supportflow.errors import InputError
from supportflow.triage.model import (
    EMBEDDING_MODEL,
    LabelledExample,
    Prediction,
    TextClassifier,
    load_examples,
    train_classifier,
)

UNKNOWN = "unknown"
OUT_OF_SCOPE_LABELS = frozenset({"oos", "unknown"})
CURVE_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
TARGET_ACCURACY = 0.97
DEFAULT_LATENCY_SAMPLE = 300


@dataclass(frozen=True)
class ClassifyOptions:
    """How `evaluate_classifier` trains and measures."""

    hold_out_labels: int = 0  # labels removed from training, their test rows out-of-scope
    seed: int = 0
    # Below this confidence a prediction counts as `unknown`, when the test has out-of-scope
    # rows; None: the cascade's default threshold.
    min_confidence: float | None = None
    embedding_model: str | None = EMBEDDING_MODEL  # None: TF-IDF only
    latency_sample: int = DEFAULT_LATENCY_SAMPLE  # texts timed one by one


def read_labelled(path: Path) -> list[LabelledExample]:
    """The labelled examples in a CSV or JSONL file (see `load_examples`), out-of-scope labels
    (`oos`, `unknown`, any case) written `unknown`.

    Raises InputError for anything `load_examples` refuses, and for a file without examples.
    """
    examples = load_examples(path)
    if not examples:
        raise InputError(f"{path}: no labelled examples in the file")
    return [
        LabelledExample(example.text, UNKNOWN)
        if example.label.lower() in OUT_OF_SCOPE_LABELS
        else example
        for example in examples
    ]


def read_out_of_scope(path: Path) -> list[LabelledExample]:
    """Every request in `path` as an out-of-scope test row (right answer `unknown`): JSONL
    objects with `text` or `utterance` (DSTC11 NatCS files), or a CSV with a `text` column.

    Raises InputError for an unreadable file or one without requests.
    """
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read out-of-scope requests: {exc}") from exc
    if path.suffix.lower() == ".csv":
        texts = [row.get("text") for row in csv.DictReader(io.StringIO(content))]
    else:
        texts = [_utterance(path, number, line) for number, line in _lines(content)]
    rows = [LabelledExample(text.strip(), UNKNOWN) for text in texts if text and text.strip()]
    if not rows:
        raise InputError(f"{path}: no out-of-scope requests in the file")
    return rows


def _lines(content: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(content.splitlines(), 1) if line.strip()]


def _utterance(path: Path, number: int, line: str) -> str | None:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise InputError(f"{path}:{number}: not JSON: {exc}") from exc
    if not isinstance(row, dict):
        raise InputError(f"{path}:{number}: not a JSON object")
    text = row.get("text", row.get("utterance"))
    return text if isinstance(text, str) else None


def hold_out(
    train: Sequence[LabelledExample], test: Sequence[LabelledExample], count: int, seed: int
) -> tuple[list[LabelledExample], list[LabelledExample], list[str]]:
    """(training without `count` randomly chosen labels, test with their rows `unknown`, the
    labels held out, sorted).

    Raises InputError when fewer than two labels would be left to train on.
    """
    labels = sorted({example.label for example in train} - {UNKNOWN})
    if count > len(labels) - 2:
        raise InputError(
            f"cannot hold out {count} of {len(labels)} labels: at least 2 must stay for training"
        )
    held = sorted(random.Random(seed).sample(labels, count))
    gone = frozenset(held)
    kept = [example for example in train if example.label not in gone]
    relabelled = [
        LabelledExample(example.text, UNKNOWN) if example.label in gone else example
        for example in test
    ]
    return kept, relabelled, held


def evaluate_classifier(
    train: Sequence[LabelledExample],
    test: Sequence[LabelledExample],
    options: ClassifyOptions = ClassifyOptions(),
) -> dict[str, Any]:
    """Train on `train`, predict `test`, and measure: accuracy, macro-F1, per-label precision,
    recall and support, the coverage curve, latency and throughput, and with out-of-scope test
    rows their recall and the in-scope accuracy.

    Raises InputError when the training set cannot be trained on (see `train_classifier`).
    """
    held: list[str] = []
    if options.hold_out_labels:
        train, test, held = hold_out(train, test, options.hold_out_labels, options.seed)
    started = time.perf_counter()
    classifier = train_classifier(
        train, seed=options.seed, evaluate=False, embedding_model=options.embedding_model
    )
    report: dict[str, Any] = {
        "n_train": len(train),
        "n_test": len(test),
        "train_seconds": round(time.perf_counter() - started, 2),
        "model": {"features": classifier.features, "labels": len(classifier.labels)},
    }
    texts = [example.text for example in test]
    predictions, speed = _speed(classifier, texts, options)
    report.update(speed)
    expected = [example.label for example in test]
    report.update(score_predictions(expected, predictions, options.min_confidence))
    if held:
        report["held_out_labels"] = held
    return report


def _speed(
    classifier: TextClassifier, texts: Sequence[str], options: ClassifyOptions
) -> tuple[list[Prediction], dict[str, float]]:
    """Every text's prediction (in batches), and p50/p95 milliseconds of one text's
    prediction and texts per second in batches."""
    predictions, per_second = _predict_in_batches(classifier, texts)
    p50, p95 = _single_latency(classifier, texts, options.latency_sample, options.seed)
    speed = {
        "p50_ms": round(p50, 3),
        "p95_ms": round(p95, 3),
        "batch_per_second": round(per_second, 1),
    }
    return predictions, speed


def score_predictions(
    expected: Sequence[str], predictions: Sequence[Prediction], min_confidence: float | None
) -> dict[str, Any]:
    """Quality of `predictions` against the `expected` labels (`unknown`: out of scope).

    With out-of-scope rows, a prediction below `min_confidence` (None: the cascade's default)
    counts as `unknown`; without them every prediction counts as made, as in the published
    benchmarks.
    """
    has_out_of_scope = UNKNOWN in expected
    threshold = _threshold(min_confidence) if has_out_of_scope else None
    decided = [_decision(prediction, threshold) for prediction in predictions]
    right = np.array([want == got for want, got in zip(expected, decided, strict=True)])
    scores: dict[str, Any] = {
        "accuracy": _share(right),
        "macro_f1": _macro_f1(expected, decided),
        "min_confidence": threshold,
    }
    if has_out_of_scope:
        scores.update(_out_of_scope_scores(expected, decided))
    scores["per_label"] = per_label(expected, decided)
    scores["coverage_curve"] = coverage_curve(expected, predictions)
    coverage, at = coverage_at(expected, predictions, TARGET_ACCURACY)
    scores["coverage_at_97"] = coverage
    scores["threshold_at_97"] = at
    scores["calibration_error"] = calibration_error(expected, predictions)
    scores["routes"] = route_coverage(expected, predictions, _threshold(min_confidence))
    return scores


def route_coverage(
    expected: Sequence[str], predictions: Sequence[Prediction], threshold: float
) -> dict[str, dict[str, float | None]]:
    """Per route, at the routing threshold: the share of requests it took and its accuracy.

    Without the tenant's rules and reviewed cases only two routes exist here: the model (its
    confidence reaches `threshold` on a category) and `unknown` (a person: under the
    threshold, or the trained out-of-scope label); for `unknown` the accuracy is
    the share of those requests that were indeed out of scope.
    """
    routed = np.array(
        [p.confidence >= threshold and p.label != UNKNOWN for p in predictions], dtype=bool
    )
    right = np.array([want == p.label for want, p in zip(expected, predictions, strict=True)])
    out_of_scope = np.array([want == UNKNOWN for want in expected], dtype=bool)
    return {
        "model": {
            "share": round(_share(routed), 4),
            "accuracy": round(_share(right[routed]), 4) if routed.any() else None,
        },
        "unknown": {
            "share": round(_share(~routed), 4),
            "accuracy": round(_share(out_of_scope[~routed]), 4) if (~routed).any() else None,
        },
    }


def _threshold(min_confidence: float | None) -> float:
    if min_confidence is None:
        return Thresholds().classify_min_confidence
    return min_confidence


def _decision(prediction: Prediction, threshold: float | None) -> str:
    if threshold is not None and prediction.confidence < threshold:
        return UNKNOWN
    return prediction.label


def _macro_f1(expected: Sequence[str], decided: Sequence[str]) -> float:
    """Macro-F1 over the labels expected (a predicted label never expected adds no zero)."""
    labels = sorted(set(expected))
    return float(f1_score(expected, decided, labels=labels, average="macro", zero_division=0))


def _share(flags: Any) -> float:
    return float(np.mean(flags)) if len(flags) else 0.0


def _out_of_scope_scores(expected: Sequence[str], decided: Sequence[str]) -> dict[str, Any]:
    """In-scope accuracy, out-of-scope recall and precision, and how many there were."""
    pairs = list(zip(expected, decided, strict=True))
    in_scope = [want == got for want, got in pairs if want != UNKNOWN]
    caught = [got == UNKNOWN for want, got in pairs if want == UNKNOWN]
    flagged = [want == UNKNOWN for want, got in pairs if got == UNKNOWN]
    return {
        "in_scope_accuracy": _share(in_scope),
        "oos_recall": _share(caught),
        "oos_precision": _share(flagged),
        "n_oos": len(caught),
    }


def per_label(expected: Sequence[str], decided: Sequence[str]) -> dict[str, dict[str, float]]:
    """{label: {precision, recall, support}} for every label expected or predicted."""
    labels = sorted(set(expected) | set(decided))
    precision, recall, _, support = precision_recall_fscore_support(
        expected, decided, labels=labels, zero_division=0
    )
    return {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "support": int(s),
        }
        for label, p, r, s in zip(labels, precision, recall, support, strict=True)
    }


def coverage_curve(
    expected: Sequence[str], predictions: Sequence[Prediction]
) -> list[dict[str, Any]]:
    """Per threshold in CURVE_THRESHOLDS: the share routed automatically (a label other than
    `unknown` with confidence >= threshold), its accuracy (None when nothing is routed), and
    with out-of-scope rows the share of them not routed."""
    confidence, routable, right = _routing_arrays(expected, predictions)
    out_of_scope = np.array([label == UNKNOWN for label in expected], dtype=bool)
    curve = []
    for threshold in CURVE_THRESHOLDS:
        routed = routable & (confidence >= threshold)
        point: dict[str, Any] = {
            "threshold": threshold,
            "coverage": round(_share(routed), 4),
            "accuracy": round(_share(right[routed]), 4) if routed.any() else None,
        }
        if out_of_scope.any():
            point["oos_recall"] = round(_share(~routed[out_of_scope]), 4)
        curve.append(point)
    return curve


def calibration_error(
    expected: Sequence[str], predictions: Sequence[Prediction], bins: int = 10
) -> float:
    """Expected calibration error: over `bins` equal-width confidence bins, the gap between
    each bin's mean confidence and its accuracy, weighted by its share of the predictions
    (0: a confidence of 0.8 is right 80% of the time)."""
    if not predictions:
        return 0.0
    confidence = np.array([p.confidence for p in predictions])
    right = np.array([want == p.label for want, p in zip(expected, predictions, strict=True)])
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    gaps = [
        abs(confidence[index == b].mean() - right[index == b].mean()) * np.mean(index == b)
        for b in range(bins)
        if (index == b).any()
    ]
    return round(float(sum(gaps)), 4)


def coverage_at(
    expected: Sequence[str], predictions: Sequence[Prediction], target: float
) -> tuple[float, float | None]:
    """(the largest share that can be routed, most confident first, with accuracy >= `target`;
    the lowest confidence routed then), or (0.0, None) when even the most confident miss."""
    confidence, routable, right = _routing_arrays(expected, predictions)
    candidates = np.flatnonzero(routable)
    order = candidates[np.argsort(-confidence[candidates], kind="stable")]
    ranked = confidence[order]
    running = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    # A threshold routes every prediction as confident as the last one routed: cut only where
    # the next is less confident.
    is_cut = np.append(ranked[1:] < ranked[:-1], True) if len(order) else np.empty(0, bool)
    ends = np.flatnonzero((running >= target) & is_cut)
    if not len(ends):
        return 0.0, None
    last = int(ends.max())
    return round((last + 1) / len(expected), 4), round(float(ranked[last]), 4)


def _routing_arrays(
    expected: Sequence[str], predictions: Sequence[Prediction]
) -> tuple[Any, Any, Any]:
    """(confidence, routable: a label other than `unknown`, right) per test row."""
    confidence = np.array([p.confidence for p in predictions], dtype=np.float64)
    routable = np.array([p.label != UNKNOWN for p in predictions], dtype=bool)
    right = np.array(
        [p.label == want for p, want in zip(predictions, expected, strict=True)], dtype=bool
    )
    return confidence, routable, right


def _predict_in_batches(
    classifier: TextClassifier, texts: Sequence[str]
) -> tuple[list[Prediction], float]:
    """Every text's prediction through `predict_many`, and texts per second."""
    started = time.perf_counter()
    predictions = classifier.predict_many(texts)
    seconds = time.perf_counter() - started
    return predictions, len(texts) / seconds if seconds > 0 else 0.0


def _single_latency(
    classifier: TextClassifier, texts: Sequence[str], sample: int, seed: int
) -> tuple[float, float]:
    """Median and 95th percentile milliseconds of `predict` on one text (embedding included),
    over up to `sample` texts chosen at random."""
    chosen = random.Random(seed).sample(list(texts), min(sample, len(texts)))
    if not chosen:
        return 0.0, 0.0
    classifier.predict(chosen[0])  # the first call warms caches; it is not a ticket's cost
    timings = []
    for text in chosen:
        started = time.perf_counter()
        classifier.predict(text)
        timings.append((time.perf_counter() - started) * 1000.0)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95))
