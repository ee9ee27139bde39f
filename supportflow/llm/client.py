"""One client for OpenAI-compatible chat endpoints (the `openai` SDK with a base URL).

It asks for JSON that follows a schema (`response_format` "json_schema") and returns the
answer's text; the caller validates it. Every failure of the endpoint (unreachable,
timeout, an error status, no answer) is an `UpstreamError` naming the endpoint, so callers
can fall back instead of crashing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

import openai

from supportflow.config import LlmEndpoint
from supportflow.errors import ConfigurationError, UpstreamError

ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


class JsonChat(Protocol):
    """What an LLM stage needs of a client: one JSON answer to a conversation."""

    def answer_json(
        self, *, model: str, messages: Sequence[ChatMessage], schema: dict[str, Any], name: str
    ) -> str: ...


class OpenAiCompatibleClient:
    """A chat client for one endpoint; thread-safe (the SDK's HTTP client is)."""

    def __init__(self, endpoint: LlmEndpoint, *, max_retries: int = 1) -> None:
        api_key = "not-needed"  # servers without keys still expect the header
        if endpoint.api_key_env is not None:
            key = os.environ.get(endpoint.api_key_env)
            if not key:
                raise ConfigurationError(
                    f"the LLM endpoint's key variable {endpoint.api_key_env} is not set"
                )
            api_key = key
        self.base_url = endpoint.base_url
        self._client = openai.OpenAI(
            base_url=endpoint.base_url,
            api_key=api_key,
            timeout=endpoint.timeout_seconds,
            max_retries=max_retries,
        )

    def answer_json(
        self, *, model: str, messages: Sequence[ChatMessage], schema: dict[str, Any], name: str
    ) -> str:
        """The model's answer, asked to follow `schema` (JSON schema, strict)."""
        response_format: Any = {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        }
        try:
            completion = self._client.chat.completions.create(
                model=model,
                messages=list(messages),  # type: ignore[arg-type]
                response_format=response_format,
                temperature=0.0,
            )
        except openai.APIError as exc:
            raise UpstreamError(f"LLM endpoint {self.base_url}: {_describe(exc)}") from exc
        if not completion.choices:
            raise UpstreamError(f"LLM endpoint {self.base_url}: the answer had no choices")
        return completion.choices[0].message.content or ""


def _describe(exc: openai.APIError) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "unreachable"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    return type(exc).__name__
