"""The gateway for a tenant's `llm` configuration, with the backend its provider names."""

from __future__ import annotations

from supportflow.config import LlmEndpoint
from supportflow.llm.backend import ChatBackend
from supportflow.llm.gateway import LlmGateway
from supportflow.llm.openai_backend import OpenAiBackend


def open_gateway(endpoint: LlmEndpoint) -> LlmGateway:
    """A gateway for the endpoint. Raises ConfigurationError when it cannot be used (a
    missing API key; a local model that is not installed or fails its hash check)."""
    return LlmGateway(_backend(endpoint), endpoint)


def _backend(endpoint: LlmEndpoint) -> ChatBackend:
    if endpoint.provider == "local":
        # Imported here: llama-cpp-python is an optional extra.
        from supportflow.llm.local import LocalLlamaBackend

        return LocalLlamaBackend(max_tokens=endpoint.max_output_tokens)
    return OpenAiBackend(endpoint)
