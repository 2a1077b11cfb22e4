"""The safety guard's questions through a server (`LlamaServerWriter.complete` and `judge`):
the request body in each constraint form, reading the answer, and what the errors mean.

`judge` asks for the greedy answer under the verdict's grammar (or schema) with OpenAI's
`logprobs` and `top_logprobs`; llama-server and llama-cpp-python's server both answer with
`choices[0].logprobs.content`: per token its `token`, `logprob` and `top_logprobs`, the model's
own distribution before the grammar (storybot/story/verdicts.py reads the decision from it). A
server that gives no logprobs cannot be a calibrated guard: its answer counts as broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp

from storybot.errors import LLMServerError, LLMUnavailableError, one_line
from storybot.story.prompt import Message
from storybot.story.verdicts import TOP_LOGPROBS, Judgement, Question, from_logprobs

_T = TypeVar("_T")


def verdict_body(
    messages: list[Message],
    grammar: str,
    schema: dict[str, Any],
    max_tokens: int,
    *,
    logprobs: int = 0,
) -> Callable[[str], dict[str, Any]]:
    """The greedy, non-streamed request body in a constraint form; with `logprobs` alternatives
    per token in the answer."""
    body: dict[str, Any] = {"messages": messages, "temperature": 0.0, "stream": False}
    body["max_tokens"] = max_tokens
    if logprobs:
        body |= {"logprobs": True, "top_logprobs": logprobs}
    verdict = {"name": "verdict", "schema": schema, "strict": True}
    forms: dict[str, dict[str, Any]] = {
        "grammar": {"grammar": grammar},
        "json_schema": {"response_format": {"type": "json_schema", "json_schema": verdict}},
        "json_object": {"response_format": {"type": "json_object", "schema": schema}},
    }
    return lambda form: body | forms[form]


def answer_text(answer: dict[str, Any]) -> str:
    """The content of a chat completion."""
    return answer["choices"][0]["message"]["content"] or ""


def judge_body(messages: list[Message], question: Question) -> Callable[[str], dict[str, Any]]:
    """The request for a judgement: the greedy answer, with its tokens' logprobs."""
    q = question
    return verdict_body(messages, q.grammar, q.schema, q.max_tokens, logprobs=TOP_LOGPROBS)


def judgement(question: Question) -> Callable[[dict[str, Any]], Judgement]:
    """How to read the judgement from the answer: the choices' probabilities from its
    logprobs, and the answer itself."""

    def read(answer: dict[str, Any]) -> Judgement:
        logprobs = answer["choices"][0].get("logprobs") or {}
        tokens = logprobs.get("content") if isinstance(logprobs, dict) else None
        if not tokens:
            raise ValueError("no token probabilities (logprobs) in the answer")
        probabilities = from_logprobs(tokens, question.prefix, question.choices)
        return Judgement(probabilities, answer_text(answer))

    return read


async def ask(
    post: Callable[[Callable[[str], dict[str, Any]]], contextlib.AbstractAsyncContextManager[Any]],
    url: str,
    body_for: Callable[[str], dict[str, Any]],
    timeout: float,
    read: Callable[[dict[str, Any]], _T],
) -> _T:
    """POST a question (in the constraint form the server takes, through the writer's `post`)
    and read its answer, within `timeout`; every failure as storybot's error."""
    async with server_errors(url), asyncio.timeout(timeout), post(body_for) as response:
        return read(await response.json(content_type=None))


@contextlib.asynccontextmanager
async def server_errors(url: str) -> AsyncIterator[None]:
    """What goes wrong while asking the server, as storybot's errors."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        raise LLMUnavailableError(f"llama-server at {url} is not reachable: {exc}") from None
    except TimeoutError:
        raise LLMServerError(f"llama-server at {url} did not answer in time") from None
    except (aiohttp.ClientError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMServerError(
            f"llama-server at {url} gave a broken answer: {one_line(exc)}"
        ) from None


async def server_fingerprint(url: str) -> str:
    """What identifies the model a server runs: what `/v1/models` says of it (llama-server: the
    file's name and, in `meta`, its size and parameters) and the URL; the name comes before
    " | "."""
    async with (
        server_errors(url),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{url}/v1/models") as response,
    ):
        response.raise_for_status()
        model = (await response.json(content_type=None))["data"][0]
        meta = json.dumps(model.get("meta"), sort_keys=True)
        return f"{model['id']} at {url} | {meta}"
