"""A local server speaking OpenAI's chat-completions API (POST /v1/chat/completions), for
tests of code that calls a hosted LLM we cannot reach here. It answers what the test sets:
a message content, or an HTTP error status; it keeps every request it received.

The response shape follows the API reference: `id`, `object: "chat.completion"`,
`created`, `model`, `choices[{index, message{role, content}, finish_reason}]`, `usage`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class ChatScript:
    """What the server answers next, and what it was asked."""

    content: str = "{}"
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


def _app(script: ChatScript) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def complete(request: Request) -> JSONResponse:
        body = await request.json()
        script.requests.append(body)
        if script.status != 200:
            error = {"message": "scripted failure", "type": "server_error", "code": None}
            return JSONResponse({"error": error}, status_code=script.status)
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(script.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": script.content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
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
    try:
        yield f"http://127.0.0.1:{port}/v1", script
    finally:
        server.should_exit = True
        thread.join(timeout=5)
