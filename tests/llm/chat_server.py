"""A local server speaking OpenAI's chat-completions API (POST /v1/chat/completions), for
tests of code that calls a hosted LLM we cannot reach here. It answers what the test sets:
a message content, or an HTTP error status (with the API's error body and, for 429, a
Retry-After header), optionally after a delay (to time a client out); queued replies are
answered first, one per request. It keeps every request it received.

The response shape follows the API reference: `id`, `object: "chat.completion"`,
`created`, `model`, `choices[{index, message{role, content}, finish_reason}]`, `usage`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from supportflow.config import LlmEndpoint
from supportflow.llm.gateway import LlmGateway
from supportflow.llm.openai_backend import OpenAiBackend

# Gateways made by `gateway_to`, closed (their HTTP connections) when their server stops.
_GATEWAYS: list[LlmGateway] = []


@dataclass
class Reply:
    """One scripted answer."""

    content: str = "{}"
    status: int = 200
    delay: float = 0.0
    retry_after: str | None = None
    prompt_tokens: int = 10
    completion_tokens: int = 5


@dataclass
class ChatScript:
    """What the server answers (queued replies first, then `content`/`status`), and what
    it was asked."""

    content: str = "{}"
    status: int = 200
    delay: float = 0.0
    queue: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    # When set, writes the content from the request (a scripted "model" that reads its
    # prompt); queued replies still come first.
    responder: Callable[[dict[str, Any]], str] | None = None

    def next_reply(self, request: dict[str, Any]) -> Reply:
        if self.queue:
            return self.queue.pop(0)
        content = self.responder(request) if self.responder is not None else self.content
        return Reply(content, self.status, self.delay)


def _app(script: ChatScript) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        body = await request.json()
        script.requests.append(body)
        reply = script.next_reply(body)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            error = {"message": "scripted failure", "type": "server_error", "code": None}
            headers = {"retry-after": reply.retry_after} if reply.retry_after else None
            return JSONResponse({"error": error}, status_code=reply.status, headers=headers)
        usage = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(script.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
            }
        )

    return app


@contextmanager
def chat_server() -> Iterator[tuple[str, ChatScript]]:
    """Serve on a free loopback port; yields the base URL (…/v1) and the script."""
    script = ChatScript()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(_app(script), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield base_url, script
    finally:
        for gateway in [g for g in _GATEWAYS if g.endpoint == base_url]:
            gateway.close()
            _GATEWAYS.remove(gateway)
        server.should_exit = True
        thread.join(timeout=5)


def gateway_to(base_url: str, **endpoint: Any) -> LlmGateway:
    """A gateway to the test server, waiting no time between retries. `endpoint` holds
    LlmEndpoint fields: models, max_retries (default 0), breaker..."""
    config = LlmEndpoint.model_validate({"base_url": base_url, "max_retries": 0} | endpoint)
    gateway = LlmGateway(OpenAiBackend(config), config, sleep=lambda seconds: None)
    _GATEWAYS.append(gateway)  # closed with the server
    return gateway
