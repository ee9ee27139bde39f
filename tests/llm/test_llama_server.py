"""llama-cpp-python's OpenAI-compatible server, called with the official `openai` SDK the way
an OpenAI-compatible backend calls any endpoint: which `response_format` constrains the
answer to a schema, and does `usage` come back?

Found with 0.3.36: `{"type": "json_object", "schema": ...}` is honoured (grammar-constrained)
and `usage` is filled; OpenAI's `{"type": "json_schema", ...}` is refused with HTTP 500.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from tests.llm.llama_server import smollm2_server

# An answer that follows this schema by chance is unlikely: the code is made up.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"ticket_code": {"type": "string", "enum": ["ZX-41", "QP-77"]}},
    "required": ["ticket_code"],
    "additionalProperties": False,
}
MESSAGES: list[Any] = [
    {"role": "user", "content": "Write a haiku about the sea."},
]


def _ask(client: openai.OpenAI, response_format: Any) -> tuple[str, Any]:
    response = client.chat.completions.create(
        model="smollm2",
        messages=MESSAGES,
        response_format=response_format,
        temperature=0.0,
        max_tokens=24,
    )
    return response.choices[0].message.content or "", response.usage


def test_the_server_honours_json_object_with_a_schema_but_refuses_json_schema() -> None:
    json_schema = {"name": "ticket", "strict": True, "schema": SCHEMA}
    with smollm2_server() as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0)
        text, usage = _ask(client, {"type": "json_object", "schema": SCHEMA})
        # 0.3.36 validates response_format.type as "text" | "json_object" and answers a
        # refused request with 500, not 4xx: a caller must not treat that 500 as transient.
        with pytest.raises(openai.InternalServerError, match="'text' or 'json_object'"):
            _ask(client, {"type": "json_schema", "json_schema": json_schema})

    assert json.loads(text) in ({"ticket_code": "ZX-41"}, {"ticket_code": "QP-77"})
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
