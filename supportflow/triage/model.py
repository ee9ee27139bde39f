"""The tenant's trained text classifier: TF-IDF features and a logistic regression.

Features are word 1-2-grams and character 2-5-grams inside word boundaries (`char_wb`), both
TF-IDF with sublinear term frequency, side by side in a FeatureUnion; the classifier is a
multinomial LogisticRegression (C=20, balanced class weights), whose probabilities serve as
the confidence. Measured on BANKING77 (10,003 training / 3,080 test requests, 77 labels) it
scored 91.8% accuracy and 0.918 macro-F1; LinearSVC calibrated with CalibratedClassifierCV
scored 91.0% and took ten times longer to predict, so it was not kept.

scikit-learn's own `predict_proba` on one text costs about 2 ms, mostly input validation, so
`predict` scores one text with the fitted vocabulary, idf weights and coefficients directly
(the same arithmetic, checked against the pipeline by the tests); `predict_many` uses the
pipeline.
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from supportflow.errors import ConfigurationError, InputError
from supportflow.triage.examples import LabelledExample, load_examples

__all__ = [
    "LabelledExample",
    "ModelMetrics",
    "Prediction",
    "TextClassifier",
    "load_examples",
    "train_classifier",
]

logger = logging.getLogger(__name__)

MIN_EXAMPLES_PER_LABEL = 2
# Metrics need a few examples of every label in each fold; below that they are skipped.
MIN_EXAMPLES_TO_EVALUATE = 3
# Above this many examples one stratified hold-out replaces cross-validation (time).
MAX_EXAMPLES_TO_CROSS_VALIDATE = 2000
_FORMAT = "supportflow-text-classifier/1"
_RANKING_SIZE = 3


@dataclass(frozen=True)
class Prediction:
    """The best label, its probability, and the top labels with theirs (best first)."""

    label: str
    confidence: float
    ranking: list[tuple[str, float]]


@dataclass(frozen=True)
class ModelMetrics:
    """How the classifier did on examples it was not trained on."""

    accuracy: float
    macro_f1: float
    n_examples: int
    n_evaluated: int
    method: str  # "5-fold cross-validation" or "20% stratified hold-out"


def train_classifier(
    examples: Sequence[LabelledExample], *, seed: int = 0, evaluate: bool = True
) -> TextClassifier:
    """Train a classifier on `examples`; with `evaluate`, measure it first (see `metrics`).

    Raises InputError when there are fewer than two labels or a label has fewer than
    MIN_EXAMPLES_PER_LABEL examples.
    """
    texts = [example.text for example in examples]
    labels = [example.label for example in examples]
    _check_trainable(labels)
    # Multi-threaded BLAS made these small sparse fits 3-10x slower on a busy 2-core machine
    # and no faster on BANKING77, so training runs single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        metrics = _evaluate(texts, labels, seed=seed) if evaluate else None
        pipeline = _build_pipeline(seed)
        _fit(pipeline, texts, labels)
    return TextClassifier(pipeline, metrics=metrics)


def _check_trainable(labels: Sequence[str]) -> None:
    counts = Counter(labels)
    if len(counts) < 2:
        raise InputError(
            f"training needs examples of at least 2 labels, got {len(counts)} "
            f"({len(labels)} examples)"
        )
    scarce = sorted(label for label, count in counts.items() if count < MIN_EXAMPLES_PER_LABEL)
    if scarce:
        raise InputError(
            f"every label needs at least {MIN_EXAMPLES_PER_LABEL} examples; too few for: "
            + ", ".join(scarce)
        )


def _build_pipeline(seed: int) -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    classifier = LogisticRegression(
        C=20.0, class_weight="balanced", max_iter=2000, random_state=seed
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def _fit(pipeline: Pipeline, texts: Sequence[str], labels: Sequence[str]) -> None:
    # A model short of full convergence still predicts well: log it instead of failing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(list(texts), list(labels))
    classifier: LogisticRegression = pipeline.named_steps["classifier"]
    if (classifier.n_iter_ >= classifier.max_iter).any():
        logger.warning("classifier training stopped after %d iterations", classifier.max_iter)


def _evaluate(texts: Sequence[str], labels: Sequence[str], *, seed: int) -> ModelMetrics | None:
    """Cross-validated (or held-out, for large sets) accuracy and macro-F1, or None."""
    fewest = min(Counter(labels).values())
    if fewest < MIN_EXAMPLES_TO_EVALUATE:
        logger.info("too few examples per label (%d) to measure the classifier", fewest)
        return None
    if len(texts) > MAX_EXAMPLES_TO_CROSS_VALIDATE:
        return _evaluate_hold_out(texts, labels, seed=seed)
    folds = StratifiedKFold(n_splits=min(5, fewest), shuffle=True, random_state=seed)
    predicted = cross_val_predict(_build_pipeline(seed), list(texts), list(labels), cv=folds)
    return _metrics(labels, predicted, len(texts), f"{folds.n_splits}-fold cross-validation")


def _evaluate_hold_out(texts: Sequence[str], labels: Sequence[str], *, seed: int) -> ModelMetrics:
    train_texts, test_texts, train_labels, test_labels = train_test_split(
        list(texts), list(labels), test_size=0.2, stratify=list(labels), random_state=seed
    )
    pipeline = _build_pipeline(seed)
    _fit(pipeline, train_texts, train_labels)
    predicted = pipeline.predict(test_texts)
    return _metrics(test_labels, predicted, len(texts), "20% stratified hold-out")


def _metrics(expected: Sequence[str], predicted: Any, total: int, method: str) -> ModelMetrics:
    return ModelMetrics(
        accuracy=float(accuracy_score(expected, predicted)),
        macro_f1=float(f1_score(expected, predicted, average="macro")),
        n_examples=total,
        n_evaluated=len(expected),
        method=method,
    )


class TextClassifier:
    """A trained classifier; make one with `train_classifier` or `TextClassifier.load`."""

    def __init__(self, pipeline: Pipeline, *, metrics: ModelMetrics | None = None) -> None:
        self._pipeline = pipeline
        self._scorer = _Scorer(pipeline)
        self.metrics = metrics

    @property
    def labels(self) -> list[str]:
        """The labels the classifier can predict, sorted."""
        return [str(label) for label in self._pipeline.classes_]

    def predict(self, text: str) -> Prediction:
        """The most likely label for one text, with its probability and the top 3."""
        return _prediction(self.labels, self._scorer.probabilities(text))

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """`predict` for many texts at once (faster per text for large batches)."""
        if not texts:
            return []
        labels = self.labels
        return [_prediction(labels, row) for row in self._pipeline.predict_proba(list(texts))]

    def save(self, path: Path) -> None:
        """Write the classifier to `path` (joblib), with the scikit-learn version used."""
        payload = {
            "format": _FORMAT,
            "sklearn_version": sklearn.__version__,
            "pipeline": self._pipeline,
            "metrics": self.metrics,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(payload, path)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a classifier written by `save`.

        Raises ConfigurationError when the file is missing or unreadable, or was written with
        another scikit-learn version (retrain the model then).
        """
        payload = _read_payload(path)
        saved_version = payload.get("sklearn_version")
        if saved_version != sklearn.__version__:
            raise ConfigurationError(
                f"{path}: the classifier was trained with scikit-learn {saved_version}, "
                f"this installation has {sklearn.__version__}; retrain it from the examples"
            )
        return cls(payload["pipeline"], metrics=payload.get("metrics"))


def _read_payload(path: Path) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # Unpickling another version's estimator warns; make that the refusal it should be.
            warnings.simplefilter("error", InconsistentVersionWarning)
            payload = joblib.load(path)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{path}: no trained classifier here; train one first") from exc
    except InconsistentVersionWarning as exc:
        raise ConfigurationError(
            f"{path}: the classifier was trained with scikit-learn {exc.original_sklearn_version}, "
            f"this installation has {sklearn.__version__}; retrain it from the examples"
        ) from exc
    except Exception as exc:  # unpickling can fail in many ways; all mean "unreadable"
        raise ConfigurationError(f"{path}: not a readable classifier file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ConfigurationError(f"{path}: not a supportflow classifier file")
    return payload


def _prediction(labels: Sequence[str], probabilities: Any) -> Prediction:
    order = np.argsort(-probabilities, kind="stable")[:_RANKING_SIZE]
    ranking = [(labels[index], float(probabilities[index])) for index in order]
    return Prediction(label=ranking[0][0], confidence=ranking[0][1], ranking=ranking)


class _Scorer:
    """The fitted pipeline's probability for one text, without scikit-learn's per-call checks."""

    def __init__(self, pipeline: Pipeline) -> None:
        features: FeatureUnion = pipeline.named_steps["features"]
        classifier: LogisticRegression = pipeline.named_steps["classifier"]
        self._parts: list[tuple[Callable[[str], list[str]], dict[str, int], Any, Any]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            size = len(vectorizer.vocabulary_)
            coefficients = classifier.coef_[:, offset : offset + size]
            self._parts.append(
                (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, coefficients)
            )
            offset += size
        self._intercept = classifier.intercept_
        self._is_binary = classifier.coef_.shape[0] == 1

    def probabilities(self, text: str) -> Any:
        scores = self._intercept.astype(np.float64)
        for analyze, vocabulary, idf, coefficients in self._parts:
            counts = Counter(vocabulary[term] for term in analyze(text) if term in vocabulary)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            frequency = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weights = (1.0 + np.log(frequency)) * idf[columns]  # sublinear tf times idf
            weights /= np.linalg.norm(weights)  # each vectorizer normalises its own part (l2)
            scores = scores + coefficients[:, columns] @ weights
        if self._is_binary:
            positive = 1.0 / (1.0 + np.exp(-scores[0]))
            return np.array([1.0 - positive, positive])
        exponentials = np.exp(scores - scores.max())
        return exponentials / exponentials.sum()
