"""A stand-in for llama-server's OpenAI-compatible API, on 127.0.0.1, for tests.

It answers `POST /v1/chat/completions` the way llama-server does: one JSON body when
`stream` is false, server-sent events (`data: {...}` chunks with `choices[0].delta.content`,
then `data: [DONE]`) when it is true; errors as `{"error": {"code", "message", "type"}}`.
Each answer comes from a script given by the test; every request body is recorded.
A request whose last message is the assistant's continues it, as llama-server does with a
prefill: the answer is the rest of the story reply last begun (a paused writer resuming).
A non-streamed answer asked with `logprobs` carries `choices[0].logprobs.content` in OpenAI's
shape (per token: `token`, `logprob`, `bytes`, `top_logprobs`), the content cut into BPE-like
tokens; a reply's `alternatives` script the distribution at its tokens (`verdict_reply` makes a
guard's verdict with a given P(unsafe)). `GET /v1/models` names the model (`model_id`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import re
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
    delay: float = 0.0  # seconds before the answer starts, like a model reading its prompt
    # The model's distribution at a token of `content`, for `logprobs`: the token's text →
    # {alternative token: logprob} (the token's own logprob is its entry; unlisted tokens are
    # certain, logprob 0).
    alternatives: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class FakeLlamaServer:
    replies: list[Reply] = field(default_factory=list)
    # The safety guard's questions (a verdict grammar or schema) are answered from here, so a
    # script of stories is not consumed by them; when it runs out, the verdict is "safe".
    verdicts: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.perf_counter() of each request
    # Each streamed piece as it was written: (time.time(), the whole content, offset after it).
    streamed: list[tuple[float, str, int]] = field(default_factory=list)
    last_story: Reply | None = None  # the story reply last begun: what a prefill continues
    abandoned: int = 0  # streamed answers whose client left before their end
    runner: web.AppRunner | None = None
    url: str = ""
    model_id: str = "tiny"  # what GET /v1/models names

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/health", self._health)
        app.router.add_get("/v1/models", self._models)
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

    async def _models(self, request: web.Request) -> web.Response:
        model = {"id": self.model_id, "object": "model", "owned_by": "llamacpp"}
        return web.json_response({"object": "list", "data": [model]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.arrived.append(time.perf_counter())
        prefill = assistant_prefill(body)
        story = self.last_story
        if asks_for_a_verdict(body):
            reply = self.verdicts.pop(0) if self.verdicts else Reply(SAFE_VERDICT)
        elif prefill is not None and story is not None and story.content.startswith(prefill):
            reply = dataclasses.replace(story, content=story.content[len(prefill) :])
        else:
            reply = self.replies.pop(0) if self.replies else Reply(status=500, error="no reply")
            self.last_story = reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
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
                            "logprobs": logprobs(reply, body) if body.get("logprobs") else None,
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
        offset = 0
        for piece in pieces:
            offset += len(piece)
            chunk = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": created,
                "model": "tiny",
                "choices": [{"index": 0, "finish_reason": None, "delta": {"content": piece}}],
            }
            await response.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.streamed.append((time.time(), reply.content, offset))
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
# BPE-like tokens: a word with its leading space, a run of punctuation, whitespace.
TOKENS = re.compile(r" ?\w+| ?[^\w\s]+|\s+")


def verdict_reply(p_unsafe: float, category: str = "violence") -> Reply:
    """The guard's greedy verdict, with P(" false") = `p_unsafe` right after `{"safe":`."""
    unsafe = p_unsafe >= 0.5
    content = f'{{"safe": false, "category": "{category}"}}' if unsafe else SAFE_VERDICT
    top = {" true": math.log(max(1 - p_unsafe, 1e-12)), " false": math.log(max(p_unsafe, 1e-12))}
    return Reply(content, alternatives={" false" if unsafe else " true": top})


def logprobs(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    """`choices[0].logprobs` for the reply's content, as llama-server gives it."""
    count = int(body.get("top_logprobs") or 0)

    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    tokens = []
    for token in TOKENS.findall(reply.content):
        top = reply.alternatives.get(token, {token: 0.0})
        ranked = sorted(top.items(), key=lambda item: -item[1])[:count]
        tokens.append(
            entry(token, top.get(token, 0.0)) | {"top_logprobs": [entry(*t) for t in ranked]}
        )
    return {"content": tokens}


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
