"""A stand-in for llama-server's OpenAI-compatible API, on 127.0.0.1, for tests.

It answers `POST /v1/chat/completions` the way llama-server does: one JSON body when
`stream` is false, server-sent events (`data: {...}` chunks with `choices[0].delta.content`,
then `data: [DONE]`) when it is true; errors as `{"error": {"code", "message", "type"}}`.
Each answer comes from a script given by the test; every request body is recorded.
A request whose last message is the assistant's continues it, as llama-server does with a
prefill: the answer is the rest of the story reply last begun (a paused writer resuming).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    """One scripted answer: content split into `chunks` pieces, or an HTTP error."""

    content: str = ""
    status: int = 200
    error: str = "Internal Server Error"
    chunk_size: int = 7
    ignore_stream: bool = False  # answer with one JSON body even when asked to stream
    chunk_delay: float = 0.0  # seconds between streamed chunks, like a model thinking


@dataclass
class FakeLlamaServer:
    replies: list[Reply] = field(default_factory=list)
    # The safety guard's questions (a verdict grammar or schema) are answered from here, so a
    # script of stories is not consumed by them; when it runs out, the verdict is "safe".
    verdicts: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    last_story: Reply | None = None  # the story reply last begun: what a prefill continues
    abandoned: int = 0  # streamed answers whose client left before their end
    runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/health", self._health)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        prefill = assistant_prefill(body)
        story = self.last_story
        if asks_for_a_verdict(body):
            reply = self.verdicts.pop(0) if self.verdicts else Reply(SAFE_VERDICT)
        elif prefill is not None and story is not None and story.content.startswith(prefill):
            reply = dataclasses.replace(story, content=story.content[len(prefill) :])
        else:
            reply = self.replies.pop(0) if self.replies else Reply(status=500, error="no reply")
            self.last_story = reply
        if reply.status != 200:
            error = {"code": reply.status, "message": reply.error, "type": "server_error"}
            return web.json_response({"error": error}, status=reply.status)
        created = int(time.time())
        if not body.get("stream") or reply.ignore_stream:
            return web.json_response(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": created,
                    "model": "tiny",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": reply.content},
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            await self._send_chunks(response, reply, created)
        except ConnectionResetError:  # the client left before the end, as a paused writer does
            self.abandoned += 1
        return response

    async def _send_chunks(self, response: web.StreamResponse, reply: Reply, created: int) -> None:
        pieces = [
            reply.content[i : i + reply.chunk_size]
            for i in range(0, len(reply.content), reply.chunk_size)
        ]
        for piece in pieces:
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": created,
                "model": "tiny",
                "choices": [{"index": 0, "finish_reason": None, "delta": {"content": piece}}],
            }
            await response.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            if reply.chunk_delay:
                await asyncio.sleep(reply.chunk_delay)
        final = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": created,
            "model": "tiny",
            "choices": [{"index": 0, "finish_reason": "stop", "delta": {}}],
        }
        await response.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()


SAFE_VERDICT = '{"safe": true, "category": "none"}'


def assistant_prefill(body: dict[str, Any]) -> str | None:
    """The text of a final assistant message (an answer to continue), if there is one."""
    messages = body.get("messages") or [{}]
    last = messages[-1]
    return last.get("content") if last.get("role") == "assistant" else None


def asks_for_a_verdict(body: dict[str, Any]) -> bool:
    """A guard question: its grammar or schema has the verdict's `safe` and `category`."""
    grammar = str(body.get("grammar") or "")
    schema = json.dumps([body.get("response_format"), body.get("json_schema")])
    return ("safe" in grammar and "category" in grammar) or '"safe"' in schema
