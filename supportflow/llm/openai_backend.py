"""The backend for OpenAI-compatible chat endpoints (hosted APIs, vLLM, Ollama, llama.cpp's
server), through the `openai` SDK with a base URL.

It asks for JSON that follows a schema and returns the answer's text and token counts; the
gateway above retries, breaks the circuit and falls back. The SDK's own retries are off so
that there is one retry policy, the gateway's. Every failure becomes an `LlmCallError`
naming the endpoint and saying whether it may pass (429, 408, 5xx, timeouts, dropped
connections) or not (a refused request: bad model name, bad key, bad schema).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import openai

from supportflow.config import LlmEndpoint
from supportflow.errors import ConfigurationError
from supportflow.llm.backend import ChatMessage, Completion, LlmCallError

# Statuses worth another try: timeout, conflict, rate limit, and every server error.
_RETRYABLE_STATUSES = frozenset({408, 409, 429})


class OpenAiBackend:
    """One OpenAI-compatible endpoint; thread-safe (the SDK's HTTP client is)."""

    def __init__(self, endpoint: LlmEndpoint) -> None:
        if endpoint.base_url is None:
            raise ConfigurationError("an OpenAI-compatible LLM endpoint needs llm.base_url")
        api_key = "not-needed"  # servers without keys still expect the header
        if endpoint.api_key_env is not None:
            key = os.environ.get(endpoint.api_key_env)
            if not key:
                raise ConfigurationError(
                    f"the LLM endpoint's key variable {endpoint.api_key_env} is not set"
                )
            api_key = key
        self._base_url = endpoint.base_url
        self._json_mode = endpoint.json_mode
        self._max_tokens = endpoint.max_output_tokens
        self._client = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=api_key,
            timeout=endpoint.timeout_seconds,
            max_retries=0,
        )

    @property
    def endpoint(self) -> str:
        return self._base_url

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._client.close()

    def complete(
        self, *, model: str, messages: Sequence[ChatMessage], schema: dict[str, Any], name: str
    ) -> Completion:
        """The model's answer, asked to follow `schema`. Raises LlmCallError."""
        try:
            completion = self._client.chat.completions.create(
                model=model,
                messages=list(messages),  # type: ignore[arg-type]
                response_format=self._response_format(schema, name),
                temperature=0.0,
                max_tokens=self._max_tokens,
            )
        except openai.APIError as exc:
            raise _call_error(self._base_url, exc) from exc
        if not completion.choices:
            raise LlmCallError(
                f"LLM endpoint {self._base_url}: the answer had no choices", retryable=True
            )
        text = completion.choices[0].message.content or ""
        usage = completion.usage
        if usage is None:  # some servers leave it out: estimate (4 characters a token)
            prompt_tokens = sum(len(m["content"]) for m in messages) // 4
            return Completion(text, model, prompt_tokens, len(text) // 4)
        return Completion(text, model, usage.prompt_tokens, usage.completion_tokens)

    def _response_format(self, schema: dict[str, Any], name: str) -> Any:
        if self._json_mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        }


def _call_error(base_url: str, exc: openai.APIError) -> LlmCallError:
    where = f"LLM endpoint {base_url}"
    if isinstance(exc, openai.APITimeoutError):
        return LlmCallError(f"{where}: timed out", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return LlmCallError(f"{where}: unreachable", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retryable = status in _RETRYABLE_STATUSES or status >= 500
        error = LlmCallError(f"{where}: HTTP {status}", retryable=retryable, status=status)
        error.retry_after = _retry_after(exc)
        return error
    return LlmCallError(f"{where}: {type(exc).__name__}", retryable=False)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """The server's Retry-After in seconds, when it sent one as a number."""
    value = exc.response.headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from LLM APIs; the backoff applies
