"""The tenant's trained text classifier: four probability models averaged.

- words: TF-IDF word 1-2-grams and character 2-5-grams inside word boundaries (`char_wb`,
  sublinear tf), a multinomial LogisticRegression (C=20, balanced class weights);
- joint: the same TF-IDF features beside the message's sentence embedding, mean and max
  pooled (`embed_pooled`, one model run; the two scaled to unit length together), the same
  regression;
- vector: a LogisticRegression (C=20) on the mean-pooled embedding alone;
- neighbours: the 20 most similar training texts by embedding (mean pooled), each voting
  exp(cosine / 0.05), beside an even vote worth one neighbour at cosine 0.6 (so unfamiliar
  texts get no sure vote).

The confidence is the averaged probability. On BANKING77 (10,003 training / 3,080 test requests,
77 labels; `supportflow eval classify`) the words model alone scored 91.8% accuracy, the vector
model 93.2%, words and vector averaged 94.2%, all four 94.55% (macro-F1 0.945; 94% of requests
routed at 97% accuracy), trained in 1.5-3 minutes on 2 cores. Max pooling was chosen by 5-fold
cross-validation on the training set, member by member: only the joint model's place in the
average did not get worse (93.31% against 93.30% with the mean alone, 1 request of 10,003);
the vector model alone gained (92.3% against 92.2%) but the average lost, and so did the
neighbours. So the gain is within noise; it costs nothing at prediction time. Weights tuned on
half of the test set did worse on the other half than equal ones, so the average is plain.
e5 embeddings (alone 91.2%) added nothing and cost 23 ms a message, so MiniLM is the embedding;
an embedder without max pooling (e5) trains the joint model on the mean alone.

`embed` gives a text's embedding (`Embedded`) for other uses too (the similar-case cache), and
`predict(text, embedded=...)` takes it back, so a ticket is embedded once.

The embedding is optional: without its package (or with `embedding_model=None`) only the words
model is trained, and a model saved with embeddings falls back to its words model when the
embedding model cannot be loaded; `features` says which it is, and a warning is logged.

scikit-learn's `predict_proba` on one text costs about 2 ms, mostly input validation, so
`predict` scores one text with the fitted vocabularies, idf weights and coefficients directly
(the same arithmetic, checked against `predict_many` by the tests); `predict_many` embeds in
batches and uses scikit-learn.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
import sklearn
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import ThreadpoolController, threadpool_limits

from supportflow.errors import ConfigurationError, InputError, InternalError
from supportflow.knowledge.embeddings import (
    Embedder,
    PoolingEmbedder,
    Vectors,
    try_load_embedder,
)
from supportflow.triage.examples import LabelledExample, load_examples

__all__ = [
    "Embedded",
    "LabelledExample",
    "ModelMetrics",
    "Prediction",
    "TextClassifier",
    "load_examples",
    "train_classifier",
]

logger = logging.getLogger(__name__)

EMBEDDING_MODEL = "minilm"
MIN_EXAMPLES_PER_LABEL = 2
# Metrics need a few examples of every label in each fold; below that they are skipped.
MIN_EXAMPLES_TO_EVALUATE = 3
# Above this many examples one stratified hold-out replaces cross-validation (time).
MAX_EXAMPLES_TO_CROSS_VALIDATE = 2000
NEIGHBOURS = 20
NEIGHBOUR_TEMPERATURE = 0.05
# Cosine below which neighbours count for less than an even vote. BANKING77 requests' nearest
# training text scores 0.92 (median), insurance and finance requests' 0.48 and 0.55.
NEIGHBOUR_FLOOR = 0.6
# /1: the words model only; /2: the joint model reads the mean pooling alone
_FORMAT = "supportflow-text-classifier/3"
_FORMATS_READ = frozenset(
    {"supportflow-text-classifier/1", "supportflow-text-classifier/2", _FORMAT}
)
MEAN_AND_MAX = "mean+max"
_RANKING_SIZE = 3
_BATCH_ROWS = 512  # similarity rows computed at once by the neighbours model (memory)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """The best label, its probability, and the top labels with theirs (best first)."""

    label: str
    confidence: float
    ranking: list[tuple[str, float]]


@dataclass(frozen=True)
class Embedded:
    """One text's sentence embedding, made once by `TextClassifier.embed` and shared by the
    classifier and whoever else compares tickets by meaning (the similar-case cache)."""

    sentence: Vectors  # L2-normalised mean pooling, float32, shape (dimensions,)
    model: str  # `Embedder.name` of the model that made it
    peaks: Vectors | None = None  # L2-normalised max pooling, where the model gives one


@dataclass(frozen=True)
class _Embeddings:
    """Training or batch texts' embeddings: one row each of the mean pooling, and of the max
    pooling where the embedding model gives one."""

    sentence: Vectors
    peaks: Vectors | None = None

    def rows(self, indices: npt.NDArray[np.intp]) -> _Embeddings:
        return _Embeddings(
            self.sentence[indices], None if self.peaks is None else self.peaks[indices]
        )

    @property
    def joint(self) -> Vectors:
        """The joint model's embedding columns."""
        return _joint_columns(self.sentence, self.peaks)


def _joint_columns(sentence: Vectors, peaks: Vectors | None) -> Vectors:
    """Mean then max pooling, scaled to unit length together (mean alone without peaks)."""
    if peaks is None:
        return sentence
    both = np.hstack([sentence, peaks]) / np.sqrt(2.0)
    return np.asarray(both, dtype=np.float32)


@dataclass(frozen=True)
class ModelMetrics:
    """How the classifier did on examples it was not trained on."""

    accuracy: float
    macro_f1: float
    n_examples: int
    n_evaluated: int
    method: str  # "5-fold cross-validation" or "20% stratified hold-out"


@dataclass(frozen=True)
class _Semantic:
    """The three embedding-based models and which embedding model they were trained on."""

    embedding_model: str  # the name `load_embedder` takes, e.g. "minilm"
    embedder_name: str  # `Embedder.name`, checked when the model is loaded
    joint: LogisticRegression
    vector: LogisticRegression
    neighbour_vectors: npt.NDArray[np.float32]  # the training texts' embeddings
    neighbour_labels: npt.NDArray[np.intp]  # each one's index into the labels
    # "mean+max": the joint model reads max pooling beside the mean. A format /2 file has no
    # such attribute, so unpickling it reads this class default.
    joint_pooling: str = "mean"


def train_classifier(
    examples: Sequence[LabelledExample],
    *,
    seed: int = 0,
    evaluate: bool = True,
    embedding_model: str | None = EMBEDDING_MODEL,
) -> TextClassifier:
    """Train a classifier on `examples`; with `evaluate`, measure it first (see `metrics`).

    `embedding_model` names the sentence embedding (see `load_embedder`); None, or a model that
    cannot be loaded, trains the TF-IDF words model only (`features` says why).
    Raises InputError when there are fewer than two labels or a label has fewer than
    MIN_EXAMPLES_PER_LABEL examples.
    """
    texts = [example.text for example in examples]
    labels = [example.label for example in examples]
    _check_trainable(labels)
    embedder, note = _training_embedder(embedding_model)
    vectors = _embed_all(embedder, texts) if embedder else None
    # Multi-threaded BLAS made these small sparse fits 3-10x slower on a busy 2-core machine
    # and no faster on BANKING77, so training runs single-threaded.
    with threadpool_limits(limits=1, user_api="blas"):
        metrics = _evaluate(texts, labels, vectors, seed=seed) if evaluate else None
        embedding = (embedding_model or "", embedder.name if embedder else "")
        pipeline, semantic = _fit(texts, labels, vectors, seed=seed, embedding=embedding)
    return TextClassifier(pipeline, semantic, metrics=metrics, embedder=embedder, note=note)


def _embed_all(embedder: Embedder, texts: Sequence[str]) -> _Embeddings:
    """Both poolings from one model run where the embedder pools both ways, else the mean."""
    if isinstance(embedder, PoolingEmbedder):
        pooled = embedder.embed_pooled(texts)
        return _Embeddings(pooled.mean, pooled.max)
    return _Embeddings(embedder.embed_documents(texts))


def _embed_for(semantic: _Semantic, embedder: Embedder, texts: Sequence[str]) -> _Embeddings:
    """`texts`' embeddings as `semantic`'s models read them (a format /2 model: the mean)."""
    if semantic.joint_pooling == MEAN_AND_MAX:
        return _embed_all(embedder, texts)
    return _Embeddings(embedder.embed_documents(texts))


def _training_embedder(name: str | None) -> tuple[Embedder | None, str | None]:
    if name is None:
        return None, "TF-IDF only (no embedding model asked for)"
    embedder, reason = try_load_embedder(name)
    if embedder is None:
        logger.warning("training without embeddings: %s", reason)
        return None, f"TF-IDF only: {reason}"
    return embedder, None


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
    return Pipeline([("features", features), ("classifier", _regression(seed, balanced=True))])


def _regression(seed: int, *, balanced: bool) -> LogisticRegression:
    return LogisticRegression(
        C=20.0, class_weight="balanced" if balanced else None, max_iter=3000, random_state=seed
    )


def _fit(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: _Embeddings | None,
    *,
    seed: int,
    embedding: tuple[str, str] = ("", ""),
) -> tuple[Pipeline, _Semantic | None]:
    """The words pipeline, and the embedding models when there are `vectors`.

    `embedding` is (`load_embedder` name, `Embedder.name`) of the model behind `vectors`.
    """
    pipeline = _build_pipeline(seed)
    _fit_quietly(pipeline, list(texts), list(labels))
    if vectors is None:
        return pipeline, None
    tfidf = pipeline.named_steps["features"].transform(list(texts))
    joint = _fit_quietly(_regression(seed, balanced=True), _beside(tfidf, vectors.joint), labels)
    vector = _fit_quietly(_regression(seed, balanced=False), vectors.sentence, labels)
    classes = list(pipeline.classes_)
    semantic = _Semantic(
        embedding_model=embedding[0],
        embedder_name=embedding[1],
        joint=joint,
        vector=vector,
        neighbour_vectors=np.asarray(vectors.sentence, dtype=np.float32),
        neighbour_labels=np.array([classes.index(label) for label in labels], dtype=np.intp),
        joint_pooling="mean" if vectors.peaks is None else MEAN_AND_MAX,
    )
    return pipeline, semantic


def _fit_quietly(model: Any, inputs: Any, labels: Sequence[str]) -> Any:
    """`model.fit`; a model short of full convergence still predicts well, so that is logged
    instead of failing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(inputs, list(labels))
    regression = model.named_steps["classifier"] if isinstance(model, Pipeline) else model
    if (regression.n_iter_ >= regression.max_iter).any():
        logger.warning("classifier training stopped after %d iterations", regression.max_iter)
    return model


def _beside(tfidf: Any, vectors: npt.NDArray[np.float32]) -> Any:
    """TF-IDF columns, then the embedding's: the joint model's input."""
    return sparse.hstack([tfidf, sparse.csr_matrix(vectors)], format="csr")


def _evaluate(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: _Embeddings | None,
    *,
    seed: int,
) -> ModelMetrics | None:
    """Cross-validated (or held-out, for large sets) accuracy and macro-F1, or None."""
    fewest = min(Counter(labels).values())
    if fewest < MIN_EXAMPLES_TO_EVALUATE:
        logger.info("too few examples per label (%d) to measure the classifier", fewest)
        return None
    indices = np.arange(len(texts))
    if len(texts) > MAX_EXAMPLES_TO_CROSS_VALIDATE:
        train, test = train_test_split(
            indices, test_size=0.2, stratify=list(labels), random_state=seed
        )
        splits, method = [(train, test)], "20% stratified hold-out"
    else:
        folds = StratifiedKFold(n_splits=min(5, fewest), shuffle=True, random_state=seed)
        splits = list(folds.split(indices, list(labels)))
        method = f"{folds.n_splits}-fold cross-validation"
    expected: list[str] = []
    predicted: list[str] = []
    for train, test in splits:
        expected += [labels[i] for i in test]
        predicted += _fold_predictions(texts, labels, vectors, train, test, seed=seed)
    return _metrics(expected, predicted, len(texts), method)


def _fold_predictions(
    texts: Sequence[str],
    labels: Sequence[str],
    vectors: _Embeddings | None,
    train: npt.NDArray[np.intp],
    test: npt.NDArray[np.intp],
    *,
    seed: int,
) -> list[str]:
    """Labels predicted for `test` by a model fitted on `train` (indices into the examples)."""
    pipeline, semantic = _fit(
        [texts[i] for i in train],
        [labels[i] for i in train],
        None if vectors is None else vectors.rows(train),
        seed=seed,
    )
    test_vectors = None if vectors is None else vectors.rows(test)
    probabilities = _batch_probabilities(pipeline, semantic, [texts[i] for i in test], test_vectors)
    classes = [str(label) for label in pipeline.classes_]
    return [classes[index] for index in probabilities.argmax(axis=1)]


def _metrics(expected: Sequence[str], predicted: Any, total: int, method: str) -> ModelMetrics:
    return ModelMetrics(
        accuracy=float(accuracy_score(expected, predicted)),
        macro_f1=float(f1_score(expected, predicted, average="macro")),
        n_examples=total,
        n_evaluated=len(expected),
        method=method,
    )


def _batch_probabilities(
    pipeline: Pipeline,
    semantic: _Semantic | None,
    texts: Sequence[str],
    vectors: _Embeddings | None,
) -> FloatArray:
    """One row of label probabilities per text: the words model's, or all four averaged."""
    tfidf = pipeline.named_steps["features"].transform(list(texts))
    words: FloatArray = pipeline.named_steps["classifier"].predict_proba(tfidf)
    if semantic is None or vectors is None:
        return words
    members = [
        words,
        semantic.joint.predict_proba(_beside(tfidf, vectors.joint)),
        semantic.vector.predict_proba(vectors.sentence),
        _neighbour_probabilities(semantic, vectors.sentence, len(pipeline.classes_)),
    ]
    averaged: FloatArray = np.mean(members, axis=0)
    return averaged


def _neighbour_probabilities(
    semantic: _Semantic, queries: npt.NDArray[np.float32], n_labels: int
) -> FloatArray:
    """Each query's label votes from its NEIGHBOURS most similar training texts."""
    out = np.empty((len(queries), n_labels))
    for start in range(0, len(queries), _BATCH_ROWS):
        similarities = queries[start : start + _BATCH_ROWS] @ semantic.neighbour_vectors.T
        for row, scores in enumerate(similarities, start=start):
            out[row] = _votes(scores, semantic.neighbour_labels, n_labels)
    return out


def _votes(
    similarities: npt.NDArray[np.float32], labels: npt.NDArray[np.intp], n_labels: int
) -> FloatArray:
    count = min(NEIGHBOURS, len(similarities))
    nearest = np.argpartition(-similarities, count - 1)[:count]
    closeness = similarities[nearest].astype(np.float64)
    weights = np.exp((closeness - 1.0) / NEIGHBOUR_TEMPERATURE)  # cosine <= 1: no overflow
    votes = np.bincount(labels[nearest], weights=weights, minlength=n_labels)
    # A vote for no label in particular, worth one neighbour at NEIGHBOUR_FLOOR: a text unlike
    # every training text gets an even vote, not a confident one.
    votes += np.exp((NEIGHBOUR_FLOOR - 1.0) / NEIGHBOUR_TEMPERATURE) / n_labels
    normalised: FloatArray = votes / votes.sum()
    return normalised


class TextClassifier:
    """A trained classifier; make one with `train_classifier` or `TextClassifier.load`."""

    def __init__(
        self,
        pipeline: Pipeline,
        semantic: _Semantic | None = None,
        *,
        metrics: ModelMetrics | None = None,
        embedder: Embedder | None = None,
        note: str | None = None,
    ) -> None:
        """`semantic` is used only with an `embedder`; without one the words model predicts."""
        self._pipeline = pipeline
        self._trained_semantic = semantic  # saved even when this process cannot use it
        self._semantic = semantic if embedder is not None else None
        self._embedder = embedder
        self._scorer = _Scorer(pipeline, self._semantic)
        self._note = note
        self.metrics = metrics

    @property
    def labels(self) -> list[str]:
        """The labels the classifier can predict, sorted."""
        return [str(label) for label in self._pipeline.classes_]

    @property
    def uses_embeddings(self) -> bool:
        """Whether predictions use the sentence embedding (else TF-IDF only)."""
        return self._semantic is not None

    @property
    def embedding_name(self) -> str | None:
        """`Embedder.name` of the model behind `embed` and the predictions, or None when the
        classifier predicts without embeddings."""
        return self._embedder.name if self._semantic and self._embedder else None

    @property
    def features(self) -> str:
        """What the predictions rest on, and why embeddings are missing when they are."""
        if self._semantic is not None:
            return f"TF-IDF + {self._semantic.embedder_name} embeddings (4 models averaged)"
        return self._note or "TF-IDF only"

    def embed(self, text: str) -> Embedded | None:
        """`text`'s sentence embedding as `predict` uses it, or None when the classifier
        predicts without embeddings. `sentence` equals the embedder's `embed_query(text)`."""
        semantic, embedder = self._semantic, self._embedder
        if semantic is None or embedder is None:
            return None
        if semantic.joint_pooling == MEAN_AND_MAX and isinstance(embedder, PoolingEmbedder):
            pooled = embedder.embed_pooled([text])  # one model run for both poolings
            return Embedded(sentence=pooled.mean[0], model=embedder.name, peaks=pooled.max[0])
        return Embedded(sentence=embedder.embed_query(text), model=embedder.name)

    def predict(self, text: str, *, embedded: Embedded | None = None) -> Prediction:
        """The most likely label for one text, with its probability and the top 3.

        `embedded` (from `embed(text)`) saves embedding the text again; it is ignored by a
        classifier without embeddings, and the text is embedded again when it lacks the max
        pooling this classifier reads (one made by a format /2 classifier). Raises
        InternalError when it comes from another embedding model.
        """
        usable = self._usable(embedded, text)
        # BLAS threads still spinning after the similarity product took the cores from the
        # embedding's threads (predict 16 ms instead of 8 on 2 cores); one text's arithmetic
        # is small, so it runs on one thread.
        with _blas_controller().limit(limits=1, user_api="blas"):
            probabilities = self._scorer.probabilities(text, usable)
        return _prediction(self.labels, probabilities)

    def _usable(self, embedded: Embedded | None, text: str) -> Embedded | None:
        """The embedding `predict` reads: `embedded`, or `text`'s own where `embedded` is
        missing or short of the max pooling; None without embeddings."""
        semantic = self._semantic
        if semantic is None:
            return None
        if embedded is not None and embedded.model != semantic.embedder_name:
            raise InternalError(
                f"an embedding by {embedded.model} given to a classifier trained on "
                f"{semantic.embedder_name} embeddings"
            )
        if embedded is None or (semantic.joint_pooling == MEAN_AND_MAX and embedded.peaks is None):
            return self.embed(text)
        return embedded

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """`predict` for many texts at once (faster per text for large batches)."""
        if not texts:
            return []
        vectors = None
        if self._semantic is not None and self._embedder is not None:
            vectors = _embed_for(self._semantic, self._embedder, texts)
        rows = _batch_probabilities(self._pipeline, self._semantic, texts, vectors)
        labels = self.labels
        return [_prediction(labels, row) for row in rows]

    def save(self, path: Path) -> None:
        """Write the classifier to `path` (joblib), with the scikit-learn version used."""
        payload = {
            "format": _FORMAT,
            "sklearn_version": sklearn.__version__,
            "pipeline": self._pipeline,
            "semantic": self._trained_semantic,
            "metrics": self.metrics,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(payload, path)

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        """Read a classifier written by `save`, loading its embedding model.

        Raises ConfigurationError when the file is missing or unreadable, or was written with
        another scikit-learn version (retrain the model then). An embedding model that cannot
        be loaded is not an error: the words model predicts alone (see `features`).
        """
        payload = _read_payload(path)
        saved_version = payload.get("sklearn_version")
        if saved_version != sklearn.__version__:
            raise ConfigurationError(
                f"{path}: the classifier was trained with scikit-learn {saved_version}, "
                f"this installation has {sklearn.__version__}; retrain it from the examples"
            )
        semantic: _Semantic | None = payload.get("semantic")
        embedder, note = _prediction_embedder(semantic) if semantic else (None, None)
        metrics = payload.get("metrics")
        return cls(payload["pipeline"], semantic, metrics=metrics, embedder=embedder, note=note)


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """The process's thread pools, inspected once (a limit then costs about 15 us)."""
    return ThreadpoolController()


def _prediction_embedder(semantic: _Semantic) -> tuple[Embedder | None, str | None]:
    """The embedding model `semantic` was trained on, or None and why not."""
    embedder, reason = try_load_embedder(semantic.embedding_model)
    if embedder is not None and embedder.name != semantic.embedder_name:
        reason = (
            f"{semantic.embedding_model!r} is now {embedder.name}, not {semantic.embedder_name}"
        )
        embedder = None
    if embedder is None:
        logger.warning("the classifier predicts without its embeddings: %s", reason)
        return None, f"TF-IDF only, the embedding model is unavailable: {reason}"
    return embedder, None


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
    if not isinstance(payload, dict) or payload.get("format") not in _FORMATS_READ:
        raise ConfigurationError(f"{path}: not a supportflow classifier file")
    return payload


def _prediction(labels: Sequence[str], probabilities: Any) -> Prediction:
    order = np.argsort(-probabilities, kind="stable")[:_RANKING_SIZE]
    ranking = [(labels[index], float(probabilities[index])) for index in order]
    return Prediction(label=ranking[0][0], confidence=ranking[0][1], ranking=ranking)


class _Scorer:
    """The fitted models' probabilities for one text, without scikit-learn's per-call checks."""

    def __init__(self, pipeline: Pipeline, semantic: _Semantic | None) -> None:
        features: FeatureUnion = pipeline.named_steps["features"]
        self._parts: list[tuple[Callable[[str], list[str]], dict[str, int], Any, int]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            analyzer = vectorizer.build_analyzer()
            self._parts.append((analyzer, vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self._size = offset
        self._words: LogisticRegression = pipeline.named_steps["classifier"]
        self._semantic = semantic

    def probabilities(self, text: str, embedded: Embedded | None) -> FloatArray:
        """The words model's probabilities, or all four models' average with an embedding."""
        columns, weights = self._tfidf(text)
        words = _linear(self._words, self._words.coef_[:, columns] @ weights)
        semantic = self._semantic
        if semantic is None or embedded is None:
            return words
        vector = embedded.sentence
        peaks = embedded.peaks if semantic.joint_pooling == MEAN_AND_MAX else None
        joint_vector = _joint_columns(vector, peaks)
        coefficients = semantic.joint.coef_
        joint_scores = (
            coefficients[:, columns] @ weights + coefficients[:, self._size :] @ joint_vector
        )
        n_labels = len(words)
        members = [
            words,
            _linear(semantic.joint, joint_scores),
            _linear(semantic.vector, semantic.vector.coef_ @ vector),
            _votes(semantic.neighbour_vectors @ vector, semantic.neighbour_labels, n_labels),
        ]
        averaged: FloatArray = np.mean(members, axis=0)
        return averaged

    def _tfidf(self, text: str) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """The text's non-zero TF-IDF columns and their weights, as the union computes them."""
        columns: list[npt.NDArray[np.intp]] = []
        weights: list[FloatArray] = []
        for analyze, vocabulary, idf, offset in self._parts:
            counts = Counter(vocabulary[term] for term in analyze(text) if term in vocabulary)
            if not counts:
                continue
            part = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            frequency = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            weight = (1.0 + np.log(frequency)) * idf[part]  # sublinear tf times idf
            columns.append(part + offset)
            weights.append(weight / np.linalg.norm(weight))  # each part is l2-normalised alone
        if not columns:
            return np.empty(0, dtype=np.intp), np.empty(0)
        return np.concatenate(columns), np.concatenate(weights)


def _linear(model: LogisticRegression, products: Any) -> FloatArray:
    """A fitted LogisticRegression's probabilities from its coefficients times the input."""
    scores = model.intercept_.astype(np.float64) + products
    if model.coef_.shape[0] == 1:  # binary: one score for the second class
        positive = 1.0 / (1.0 + np.exp(-scores[0]))
        return np.array([1.0 - positive, positive])
    exponentials = np.exp(scores - scores.max())
    probabilities: FloatArray = exponentials / exponentials.sum()
    return probabilities
