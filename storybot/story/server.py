"""`LlamaServerWriter`: an existing llama.cpp-style server over its OpenAI-compatible API.
Servers differ in how they take the constraint on the answer:

- `grammar`: a GBNF grammar in the request body (llama-server, llama-cpp-python's server);
- `json_schema`: OpenAI's `response_format: {"type": "json_schema", "json_schema": {...}}`
  (llama-server, vLLM, Ollama, OpenAI);
- `json_object`: `response_format: {"type": "json_object", "schema": {...}}` (llama-cpp-python's
  server, which answers 500 to the `json_schema` form; llama-server reads it too).

LLM_SERVER_CONSTRAINT picks the first form to try; a server that rejects a form (an error
naming the field) is asked again at once with the next, and the log says which form is used.

Pausing (`paused()`) ends the streaming request, because llama-server stops generating only
for a client that is gone: one that merely stops reading keeps its slot generating into the
response queue, so not reading is no pause. Leaving the pause sends a new request: the same
messages and seed plus the text the consumer was given as a final assistant message (a prefill
to llama-server; a new assistant turn after it to llama-cpp-python's server), `cache_prompt`,
the grammar of the rest of the answer (`gbnf_rest.remainder_grammar`, which keeps the whole
answer valid either way) and the rest's own token budget. A JSON schema cannot say "the rest of
the answer", so only the `grammar` constraint can pause (`can_pause`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp

import storybot.story.server_verdict as verdict
from storybot.config import Settings
from storybot.errors import LLMServerError, LLMUnavailableError, one_line
from storybot.story.gbnf import worst_case_tokens
from storybot.story.gbnf_rest import remainder_grammar
from storybot.story.grammar import story_grammar, story_schema
from storybot.story.pause import PauseGate
from storybot.story.prompt import Message, grammar_key
from storybot.story.verdicts import Judgement, Question
from storybot.story.writers import TOP_K, Sampling, read_grammars, token_budget

log = logging.getLogger(__name__)

FORMS = ("grammar", "json_schema", "json_object")
_FIELD = {"grammar": "grammar", "json_schema": "response_format", "json_object": "response_format"}
# How servers say that they do not take a request field (pydantic, OpenAI, vLLM, llama-server).
_REJECTION = re.compile(
    r"validation error|input should be|unrecogni[sz]ed|not supported|unsupported|unknown|"
    r"not allowed|extra (?:fields|inputs)|invalid|failed to parse",
    re.IGNORECASE,
)
# Whitespace the servers' own schema-to-grammar converters allow between JSON tokens, beyond
# what our grammar allows (llama-server: up to 22 characters at each of about 60 places).
_SCHEMA_SLACK = 1400


class _Halted:
    """What a request's queue gets when a pause ended the request."""


_HALTED = _Halted()


class LlamaServerWriter:
    """An existing llama-server, through its OpenAI-compatible chat-completions API."""

    name = "llama-server"

    def __init__(
        self,
        url: str,
        *,
        grammar_path: Path,
        constraint: str = Settings.model_fields["llm_server_constraint"].default,
        sampling: Sampling | None = None,
        connect_timeout: float = 10.0,
        timeout: float = Settings.model_fields["llm_timeout"].default,
        streaming: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self.streaming = streaming
        self.sampling = sampling or Sampling()
        self.forms = FORMS[FORMS.index(constraint) :]
        self.grammars = read_grammars(grammar_path) if constraint == "grammar" else {}
        self._form = 0  # index into self.forms: the form in use
        self._confirmed = False  # the server has answered 200 to the form in use
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._readers: set[asyncio.Task[None]] = set()  # the requests being streamed
        self._pause = PauseGate(halt=self._end_requests, halted=self._requests_ended, resume=_no_op)
        self._said_cannot_pause = False

    @property
    def constraint(self) -> str:
        """The constraint form in use."""
        return self.forms[self._form]

    def payload(self, messages: list[Message], seed: int) -> dict[str, Any]:
        """The chat-completions request body, with the constraint form in use."""
        key = grammar_key(messages)  # the language and the age band
        body: dict[str, Any] = {
            "messages": messages,
            "temperature": self.sampling.temperature,
            "top_p": self.sampling.top_p,
            "top_k": TOP_K,
            "seed": seed,
            "stream": self.streaming,
        }
        if self.constraint == "grammar":
            body["grammar"] = self.grammars[key]
            body["max_tokens"] = token_budget(body["grammar"], self.sampling.max_tokens)
            return body
        schema = story_schema(*key)
        if self.constraint == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "story", "schema": schema, "strict": True},
            }
        else:
            body["response_format"] = {"type": "json_object", "schema": schema}
        budget = token_budget(story_grammar(*key), self.sampling.max_tokens)
        body["max_tokens"] = max(self.sampling.max_tokens, budget + _SCHEMA_SLACK)
        return body

    @contextlib.asynccontextmanager
    async def _post(
        self, body_for: Callable[[str], dict[str, Any]]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """POST a chat completion in the constraint form the server takes: on an error that
        names the form, fall back to the next one (and keep it for later requests)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        while True:
            form = self.constraint
            async with self._session.post(
                f"{self.url}/v1/chat/completions", json=body_for(form)
            ) as response:
                if response.status == 200:
                    if not self._confirmed:
                        self._confirmed = True
                        log.info("llama-server at %s takes the %s constraint", self.url, form)
                    yield response
                    return
                message = await _describe_error(response)
                if not self._fall_back(form, message):
                    raise LLMServerError(
                        f"llama-server at {self.url} answered {response.status}: {message} "
                        f"(with the {form} constraint)"
                    )

    def continuation(
        self, messages: list[Message], seed: int, prefix: str
    ) -> dict[str, Any] | None:
        """The request that goes on with an answer a pause cut off after `prefix` (module
        docstring); None when the grammar allows nothing after it (the answer is whole)."""
        if self.constraint != "grammar":
            raise LLMServerError(f"an answer under the {self.constraint} constraint cannot go on")
        body = self.payload(messages, seed)
        try:
            rest = remainder_grammar(body["grammar"], prefix)
            worst = worst_case_tokens(rest)
        except ValueError as exc:  # GrammarSyntaxError is one too
            raise LLMServerError(f"the answer cannot go on after {prefix[-40:]!r}: {exc}") from None
        if worst == 1:  # only the end of the text is left
            return None
        body["messages"] = [*messages, {"role": "assistant", "content": prefix}]
        body["grammar"] = rest
        body["max_tokens"] = self.sampling.max_tokens if worst is None else worst
        body["cache_prompt"] = True
        return body

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        """See `StoryWriter.paused`: ends the request being streamed; leaving continues the
        answer with a new one (module docstring). Without `can_pause`, writing goes on inside."""
        if not self.can_pause:
            return contextlib.nullcontext()
        return self._pause.hold()

    @property
    def paused_seconds(self) -> float:
        return self._pause.paused_seconds

    @property
    def can_pause(self) -> bool:
        """Only under the `grammar` constraint: a JSON schema cannot describe the rest."""
        if self.constraint == "grammar":
            return True
        if not self._said_cannot_pause:
            self._said_cannot_pause = True
            log.info(
                "llama-server at %s cannot pause under the %s constraint (a JSON schema cannot "
                "describe the rest of a story): pictures wait for the story",
                self.url,
                self.constraint,
            )
        return False

    def _body_for(
        self, messages: list[Message], seed: int, prefix: str
    ) -> Callable[[str], dict[str, Any]] | None:
        """The request body in a form: the first request's (which may fall back to another
        form), or the continuation after `prefix` (sent once the form is confirmed); None if
        the answer is whole."""
        if not prefix:
            return lambda _form: self.payload(messages, seed)
        body = self.continuation(messages, seed, prefix)
        return None if body is None else lambda _form: body

    def _end_requests(self) -> None:
        for reader in self._readers:
            reader.cancel()

    async def _requests_ended(self) -> None:
        if self._readers:
            await asyncio.wait(list(self._readers))

    async def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """POST the messages; yield the content of each server-sent delta. A pause ends the
        request; leaving it continues the answer with a new one (module docstring)."""
        written: list[str] = []  # exactly the text the consumer has been given
        try:
            while True:
                await self._pause.wait_open()
                body_for = self._body_for(messages, seed, "".join(written))
                if body_for is None:
                    return
                queue: asyncio.Queue[str | BaseException | _Halted | None] = asyncio.Queue()
                reader = asyncio.create_task(self._read(body_for, queue))
                self._readers.add(reader)
                try:
                    while isinstance(item := await queue.get(), str):
                        written.append(item)
                        yield item
                finally:
                    self._readers.discard(reader)
                    reader.cancel()
                    await asyncio.wait([reader])
                if isinstance(item, BaseException):
                    raise item
                if item is None:
                    return
        except aiohttp.ClientConnectorError as exc:
            raise LLMUnavailableError(
                f"llama-server at {self.url} is not reachable ({exc.os_error.strerror or exc}); "
                "start it, or unset LLM_SERVER_URL to run the model in this process"
            ) from None
        except TimeoutError:
            raise LLMServerError(f"llama-server at {self.url} did not answer in time") from None
        except (aiohttp.ClientError, json.JSONDecodeError, KeyError, IndexError) as exc:
            raise LLMServerError(
                f"llama-server at {self.url} gave a broken answer: {one_line(exc)}"
            ) from None

    async def _read(
        self,
        body_for: Callable[[str], dict[str, Any]],
        queue: asyncio.Queue[str | BaseException | _Halted | None],
    ) -> None:
        """One request's texts into `queue`, then None at the end, or the error that stopped
        it; `_HALTED` when cancelled (by a pause, or by a consumer that is gone)."""
        try:
            async with self._post(body_for) as response:
                try:
                    async for text in _contents(response):
                        queue.put_nowait(text)
                except asyncio.CancelledError:
                    response.close()  # the client is gone: llama-server stops generating
                    raise
            queue.put_nowait(None)
        except asyncio.CancelledError:
            queue.put_nowait(_HALTED)
            raise
        except Exception as exc:
            queue.put_nowait(exc)

    async def complete(
        self,
        messages: list[Message],
        *,
        grammar: str,
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
    ) -> str:
        """The guard's short greedy answer, within `timeout`, in the server's constraint form."""
        body = verdict.verdict_body(messages, grammar, schema, max_tokens)
        return await verdict.ask(self._post, self.url, body, timeout, verdict.answer_text)

    async def judge(
        self, messages: list[Message], question: Question, *, timeout: float
    ) -> Judgement:
        """The model's probabilities at the question's decision, from the greedy answer's
        logprobs (storybot/story/server_verdict.py), within `timeout`."""
        body, read = verdict.judge_body(messages, question), verdict.judgement(question)
        return await verdict.ask(self._post, self.url, body, timeout, read)

    async def fingerprint(self) -> str:
        """What identifies the model (a guard's calibration is cached for it)."""
        return await verdict.server_fingerprint(self.url)

    def _fall_back(self, form: str, message: str) -> bool:
        """Move on to the next form if the server rejected this one (once per form)."""
        rejected = _FIELD[form] in message.lower() and _REJECTION.search(message)
        if self._confirmed or not rejected or self._form + 1 >= len(self.forms):
            return False
        self._form += 1
        log.warning(
            "llama-server at %s rejected the %s constraint (%s); trying the %s constraint",
            self.url,
            form,
            message,
            self.constraint,
        )
        return True

    async def count_tokens(self, text: str) -> int | None:
        """`text` in the server's tokens (llama.cpp /tokenize, llama-cpp-python /extras/…)."""
        if self._session is None or self._session.closed:
            return None
        for path, body in (("/tokenize", {"content": text}), ("/extras/tokenize", {"input": text})):
            try:
                quick = aiohttp.ClientTimeout(total=5)
                async with self._session.post(self.url + path, json=body, timeout=quick) as answer:
                    tokens = (await answer.json()).get("tokens") if answer.status == 200 else None
            except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
                return None
            if isinstance(tokens, list):
                return len(tokens)
        return None

    async def load(self) -> None:
        """Nothing to load: the server owns its model."""

    async def release(self) -> None:
        """Nothing to give back: the server owns its model."""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _contents(response: aiohttp.ClientResponse) -> AsyncIterator[str]:
    """The answer's text: server-sent deltas, or one JSON body (not streaming, or a proxy that
    buffers)."""
    if response.content_type == "text/event-stream":
        async for line in response.content:
            text = _sse_content(line)
            if text is None:
                return
            if text:
                yield text
    else:
        body = await response.json(content_type=None)
        yield body["choices"][0]["message"]["content"] or ""


def _no_op() -> None:
    """Resuming needs nothing done: each paused stream sends its continuation itself."""


def _sse_content(line: bytes) -> str | None:
    """The delta text of one server-sent-events line; '' for other lines, None at [DONE]."""
    text = line.decode("utf-8").strip()
    if not text.startswith("data:"):
        return ""
    data = text.removeprefix("data:").strip()
    if data == "[DONE]":
        return None
    chunk = json.loads(data)
    if "error" in chunk:
        raise LLMServerError(f"llama-server stopped with an error: {_error_message(chunk)}")
    choices = chunk.get("choices") or [{}]
    return (choices[0].get("delta") or {}).get("content") or ""


async def _describe_error(response: aiohttp.ClientResponse) -> str:
    """The server's whole error message, on one line (pydantic's span several)."""
    body = await response.text()
    try:
        message = _error_message(json.loads(body))
    except (json.JSONDecodeError, AttributeError):
        message = body[:2000] or response.reason or "no details"  # e.g. a proxy's HTML page
    return " ".join(message.split()) or "no details"


def _error_message(body: dict[str, Any]) -> str:
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or error)
    return str(error)
