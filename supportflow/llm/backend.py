"""What every LLM backend offers the gateway: one JSON answer to a conversation, with its
token counts, or an `LlmCallError` saying whether trying again may help.

Two backends exist: an OpenAI-compatible HTTP endpoint (`llm/openai_backend.py`: hosted
APIs, vLLM, Ollama, llama.cpp's server) and a local GGUF model run in this process by
llama-cpp-python (`llm/local.py`). Retries, the circuit breaker, fallbacks between models,
budgets and accounting live above them, in `llm/gateway.py`, identical for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from supportflow.errors import UpstreamError

ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


@dataclass(frozen=True)
class Completion:
    """One answer: its text (the caller parses and validates it) and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int


class LlmCallError(UpstreamError):
    """A call failed. `retryable`: a rate limit, a timeout, a server error or a dropped
    connection, which may pass; a refused request (bad model name, bad key) will not.
    `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        # Seconds the server asked us to wait (Retry-After on a 429), when it said.
        self.retry_after: float | None = None


class ChatBackend(Protocol):
    """One endpoint (a base URL, or the local runtime). `endpoint` names it in errors,
    metrics and the circuit breaker, which is kept per endpoint."""

    @property
    def endpoint(self) -> str: ...

    def complete(
        self,
        *,
        model: str,
        messages: Sequence[ChatMessage],
        schema: dict[str, Any],
        name: str,
    ) -> Completion:
        """The model's answer constrained to `schema` (a JSON schema; `name` names it).
        Raises LlmCallError."""
        ...
