from __future__ import annotations

import copy
import csv
import dataclasses
import json
import random
import time
from collections import defaultdict
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn

from supportflow.errors import ConfigurationError, InputError, InternalError
from supportflow.knowledge.embeddings import load_embedder, try_load_embedder
from supportflow.triage.model import (
    Embedded,
    LabelledExample,
    TextClassifier,
    load_examples,
    train_classifier,
)

BANKING77 = Path(__file__).resolve().parents[3] / "shared" / "data" / "banking77"
HAS_EMBEDDINGS = try_load_embedder("minilm")[0] is not None
needs_embeddings = pytest.mark.skipif(not HAS_EMBEDDINGS, reason="embedding model not installed")


@pytest.fixture
def words_classifier(synthetic_examples) -> TextClassifier:
    """The synthetic set's TF-IDF-only classifier."""
    return train_classifier(synthetic_examples, evaluate=False, embedding_model=None)


def test_load_examples_reads_csv_with_a_label_column(tmp_path):
    path = tmp_path / "examples.csv"
    path.write_text('text,label\n"Where is, my parcel",shipping\nI was charged twice,billing\n')

    assert load_examples(path) == [
        LabelledExample("Where is, my parcel", "shipping"),
        LabelledExample("I was charged twice", "billing"),
    ]


def test_load_examples_accepts_a_category_column(tmp_path):
    path = tmp_path / "examples.csv"
    path.write_text("text,category\nmy card is late,card_arrival\n", encoding="utf-8-sig")

    assert load_examples(path) == [LabelledExample("my card is late", "card_arrival")]


def test_load_examples_reads_jsonl(tmp_path):
    path = tmp_path / "examples.jsonl"
    rows = [{"text": "Wo ist mein Paket?", "label": "shipping"}, {"text": "x", "category": "y"}]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n\n")

    assert load_examples(path) == [
        LabelledExample("Wo ist mein Paket?", "shipping"),
        LabelledExample("x", "y"),
    ]


def test_load_examples_names_the_file_and_line_of_a_bad_row(tmp_path):
    path = tmp_path / "examples.csv"
    path.write_text("text,label\nfine,billing\n,billing\n")

    with pytest.raises(InputError, match=r"examples\.csv:3: the text is missing"):
        load_examples(path)


def test_load_examples_names_the_line_of_bad_json(tmp_path):
    path = tmp_path / "examples.jsonl"
    path.write_text('{"text": "a", "label": "b"}\n{"text": "a", "label": \n')

    with pytest.raises(InputError, match=r"examples\.jsonl:2: not valid JSON"):
        load_examples(path)


def test_load_examples_refuses_a_header_without_text_and_label(tmp_path):
    path = tmp_path / "examples.csv"
    path.write_text("message,label\nhello,billing\n")

    with pytest.raises(InputError, match="`text`"):
        load_examples(path)


def test_load_examples_refuses_missing_files_and_other_formats(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_examples(tmp_path / "absent.csv")
    with pytest.raises(InputError, match=r"\.csv or \.jsonl"):
        load_examples(tmp_path / "examples.xlsx")


def test_classifier_predicts_held_out_phrasing(classifier, held_out):
    predictions = {label: classifier.predict(text).label for label, text in held_out.items()}

    assert predictions == {label: label for label in held_out}


def test_prediction_ranks_the_top_three_labels(classifier, held_out):
    prediction = classifier.predict(held_out["billing"])

    assert len(prediction.ranking) == 3
    assert prediction.ranking[0] == (prediction.label, prediction.confidence)
    probabilities = [probability for _, probability in prediction.ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0.0 < sum(probabilities) <= 1.0 + 1e-9


def test_labels_are_the_trained_labels(classifier, held_out):
    assert classifier.labels == sorted(held_out)


def test_predict_agrees_with_predict_many(classifier, held_out):
    texts = [*held_out.values(), "", "zzz unseen words only", "É um pedido urgente!"]

    one_by_one = [classifier.predict(text) for text in texts]

    for single, batched in zip(one_by_one, classifier.predict_many(texts), strict=True):
        assert single.label == batched.label
        # One text and a padded batch embed a few float32 ulps apart.
        assert single.confidence == pytest.approx(batched.confidence, abs=1e-6)


@needs_embeddings
def test_embed_gives_the_embedders_query_vector(classifier, held_out):
    text = held_out["billing"]

    embedded = classifier.embed(text)

    assert classifier.embedding_name == "all-MiniLM-L6-v2-int8" == embedded.model
    assert embedded.sentence.shape == (384,) and embedded.sentence.dtype == np.float32
    assert np.array_equal(embedded.sentence, load_embedder("minilm").embed_query(text))


@needs_embeddings
def test_predict_with_a_given_embedding_equals_predict_without(classifier, held_out):
    for text in [*held_out.values(), "", "zzz unseen words only"]:
        embedded = classifier.embed(text)
        assert classifier.predict(text, embedded=embedded) == classifier.predict(text)


@needs_embeddings
def test_an_embedding_without_the_max_pooling_is_made_again(classifier, held_out):
    text = held_out["billing"]
    embedded = classifier.embed(text)
    assert embedded.peaks is not None and embedded.peaks.shape == (384,)
    mean_only = dataclasses.replace(embedded, peaks=None)  # as a format /2 classifier makes it

    assert classifier.predict(text, embedded=mean_only) == classifier.predict(text)


@needs_embeddings
def test_predict_refuses_an_embedding_from_another_model(classifier, held_out):
    text = held_out["billing"]
    foreign = dataclasses.replace(classifier.embed(text), model="multilingual-e5-small-q4")

    with pytest.raises(InternalError, match="trained on all-MiniLM-L6-v2-int8"):
        classifier.predict(text, embedded=foreign)


def test_a_classifier_without_embeddings_embeds_nothing(words_classifier, held_out):
    text = held_out["billing"]
    ignored = Embedded(sentence=np.zeros(384, dtype=np.float32), model="any")

    assert words_classifier.embed(text) is None
    assert words_classifier.embedding_name is None
    assert words_classifier.predict(text, embedded=ignored) == words_classifier.predict(text)


def test_words_model_predict_is_the_pipeline_arithmetic(words_classifier, held_out):
    texts = [*held_out.values(), "", "zzz unseen words only", "É um pedido urgente!"]

    one_by_one = [words_classifier.predict(text) for text in texts]

    for single, batched in zip(one_by_one, words_classifier.predict_many(texts), strict=True):
        assert single.label == batched.label
        assert single.confidence == pytest.approx(batched.confidence, abs=1e-9)


def test_binary_classifier_predict_agrees_with_predict_many(synthetic_examples, held_out):
    examples = [e for e in synthetic_examples if e.label in {"billing", "shipping"}]
    classifier = train_classifier(examples, evaluate=False)
    assert classifier.uses_embeddings == HAS_EMBEDDINGS
    texts = [held_out["billing"], held_out["shipping"]]

    single = [classifier.predict(text) for text in texts]

    assert [p.label for p in single] == ["billing", "shipping"]
    for one, batched in zip(single, classifier.predict_many(texts), strict=True):
        assert one.confidence == pytest.approx(batched.confidence, abs=1e-6)


def test_metrics_come_from_cross_validation(classifier):
    metrics = classifier.metrics

    assert metrics is not None
    assert metrics.method == "5-fold cross-validation"
    assert metrics.n_examples == metrics.n_evaluated == 60
    assert 0.5 < metrics.accuracy <= 1.0
    assert 0.5 < metrics.macro_f1 <= 1.0


def test_metrics_are_skipped_with_too_few_examples_per_label(synthetic_examples):
    seen: dict[str, int] = defaultdict(int)
    two_per_label = []
    for example in synthetic_examples:
        seen[example.label] += 1
        if seen[example.label] <= 2:
            two_per_label.append(example)

    assert train_classifier(two_per_label).metrics is None


def test_training_needs_two_labels():
    examples = [LabelledExample(f"text {index}", "billing") for index in range(10)]

    with pytest.raises(InputError, match="at least 2 labels"):
        train_classifier(examples)


def test_training_needs_two_examples_of_every_label(synthetic_examples):
    examples = [*synthetic_examples, LabelledExample("a lonely example", "lonely")]

    with pytest.raises(InputError, match="lonely"):
        train_classifier(examples)


def test_save_and_load_round_trip(classifier, held_out, tmp_path):
    path = tmp_path / "models" / "model.joblib"

    classifier.save(path)
    loaded = TextClassifier.load(path)

    assert loaded.labels == classifier.labels
    assert loaded.metrics == classifier.metrics
    for text in held_out.values():
        assert loaded.predict(text) == classifier.predict(text)


def test_load_refuses_a_model_from_another_sklearn_version(classifier, tmp_path):
    path = tmp_path / "model.joblib"
    classifier.save(path)
    payload = joblib.load(path)
    payload["sklearn_version"] = "0.24.2"
    joblib.dump(payload, path)

    with pytest.raises(ConfigurationError, match=r"0\.24\.2.*retrain") as raised:
        TextClassifier.load(path)
    assert sklearn.__version__ in str(raised.value)


def test_load_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(ConfigurationError, match="train one"):
        TextClassifier.load(tmp_path / "absent.joblib")
    joblib.dump({"something": "else"}, tmp_path / "other.joblib")
    with pytest.raises(ConfigurationError, match="not a supportflow classifier"):
        TextClassifier.load(tmp_path / "other.joblib")
    (tmp_path / "garbage.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ConfigurationError, match="not a readable classifier"):
        TextClassifier.load(tmp_path / "garbage.joblib")


def test_predicting_one_message_is_fast(words_classifier, held_out):
    text = held_out["technical"] * 5
    words_classifier.predict(text)

    start = time.perf_counter()
    for _ in range(200):
        words_classifier.predict(text)
    per_message = (time.perf_counter() - start) / 200

    assert per_message < 0.005  # about 0.1 ms here; the bound leaves room for a busy machine


def test_without_embeddings_the_classifier_says_it_is_tfidf_only(words_classifier):
    assert not words_classifier.uses_embeddings
    assert words_classifier.features == "TF-IDF only (no embedding model asked for)"


def test_an_unloadable_embedding_model_trains_tfidf_only_and_says_why(synthetic_examples):
    classifier = train_classifier(synthetic_examples, evaluate=False, embedding_model="absent")

    assert not classifier.uses_embeddings
    assert classifier.features.startswith("TF-IDF only: unknown embedding model 'absent'")


@needs_embeddings
def test_embedding_classifier_averages_four_models_and_round_trips(classifier, tmp_path):
    path = tmp_path / "model.joblib"
    classifier.save(path)
    loaded = TextClassifier.load(path)

    assert classifier.uses_embeddings and loaded.uses_embeddings
    assert "all-MiniLM-L6-v2-int8 embeddings" in loaded.features
    for text in ["my card was charged twice", "robot will not start"]:
        assert loaded.predict(text) == classifier.predict(text)


@needs_embeddings
def test_a_saved_model_falls_back_to_tfidf_when_its_embedding_is_unavailable(
    classifier, words_classifier, held_out, tmp_path
):
    path = tmp_path / "model.joblib"
    classifier.save(path)
    payload = joblib.load(path)
    payload["semantic"] = dataclasses.replace(payload["semantic"], embedding_model="absent")
    joblib.dump(payload, path)

    loaded = TextClassifier.load(path)

    assert not loaded.uses_embeddings
    assert "the embedding model is unavailable: unknown embedding model 'absent'" in (
        loaded.features
    )
    assert {loaded.predict(text).label for text in held_out.values()} == set(held_out)
    loaded.save(tmp_path / "again.joblib")  # what this process cannot use is kept
    assert joblib.load(tmp_path / "again.joblib")["semantic"] is not None


def test_a_version_1_file_loads_as_the_words_model(words_classifier, held_out, tmp_path):
    path = tmp_path / "model.joblib"
    words_classifier.save(path)
    payload = joblib.load(path)
    payload["format"] = "supportflow-text-classifier/1"
    del payload["semantic"]
    joblib.dump(payload, path)

    loaded = TextClassifier.load(path)

    assert loaded.features == "TF-IDF only"
    for text in held_out.values():
        assert loaded.predict(text) == words_classifier.predict(text)


@needs_embeddings
def test_a_version_2_file_reads_the_mean_pooling_only(classifier, held_out, tmp_path):
    path = tmp_path / "model.joblib"
    classifier.save(path)
    joblib.dump(_as_version_2(joblib.load(path)), path)

    loaded = TextClassifier.load(path)

    texts = [*held_out.values(), "zzz unseen words only"]
    assert loaded.uses_embeddings
    assert loaded.embed(texts[0]).peaks is None
    for single, batched in zip(
        [loaded.predict(text) for text in texts], loaded.predict_many(texts), strict=True
    ):
        assert single.label == batched.label
        assert single.confidence == pytest.approx(batched.confidence, abs=1e-6)


def _as_version_2(payload: dict) -> dict:
    """`payload` as format /2 wrote it: the joint model read the mean pooling alone, and the
    saved models had no `joint_pooling` (the max pooling's columns are dropped here)."""
    semantic = payload["semantic"]
    joint = copy.deepcopy(semantic.joint)
    joint.coef_ = joint.coef_[:, :-384]
    joint.n_features_in_ = joint.coef_.shape[1]
    old = dataclasses.replace(semantic, joint=joint)
    del old.__dict__["joint_pooling"]
    return {**payload, "format": "supportflow-text-classifier/2", "semantic": old}


@pytest.mark.skipif(not (BANKING77 / "train.csv").exists(), reason="banking77 data not present")
def test_banking77_slice_is_learned_well_above_chance():
    train = _banking77_slice(BANKING77 / "train.csv", per_label=25)
    test = _banking77_slice(BANKING77 / "test.csv", per_label=20)
    classifier = train_classifier(train, evaluate=False)

    predictions = classifier.predict_many([example.text for example in test])
    correct = sum(p.label == e.label for p, e in zip(predictions, test, strict=True))

    # 10 labels: chance is 10%; this slice scores about 97%.
    assert correct / len(test) > 0.8


def _banking77_slice(path: Path, *, per_label: int) -> list[LabelledExample]:
    by_label: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            by_label[row["category"]].append(row["text"])
    labels = sorted(by_label)[:10]
    rng = random.Random(0)
    return [
        LabelledExample(text, label)
        for label in labels
        for text in rng.sample(by_label[label], per_label)
    ]
