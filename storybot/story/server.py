"""`LlamaServerWriter`: an existing llama-server over its OpenAI-compatible HTTP API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from storybot.config import Settings
from storybot.errors import LLMServerError, LLMUnavailableError
from storybot.story.prompt import Message
from storybot.story.validate import PROMPT_MAX, SHEET_MAX, TEXT_MAX, TITLE_MAX
from storybot.story.writers import TOP_K, Sampling, read_grammar


def story_schema() -> dict[str, Any]:
    """The story JSON as a JSON schema, for llama-server's `response_format`."""
    ascii_text = "^[ -~]*$"
    page = {
        "type": "object",
        "properties": {
            "page": {"type": "integer", "minimum": 0, "maximum": 4},
            "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
            "image_prompt": {
                "type": "string",
                "minLength": 1,
                "maxLength": PROMPT_MAX,
                "pattern": ascii_text,
            },
        },
        "required": ["page", "text", "image_prompt"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
            "character_sheet": {
                "type": "string",
                "minLength": 1,
                "maxLength": SHEET_MAX,
                "pattern": ascii_text,
            },
            "pages": {"type": "array", "items": page, "minItems": 5, "maxItems": 5},
        },
        "required": ["title", "character_sheet", "pages"],
        "additionalProperties": False,
    }


class LlamaServerWriter:
    """An existing llama-server, through its OpenAI-compatible chat-completions API."""

    name = "llama-server"

    def __init__(
        self,
        url: str,
        *,
        grammar_path: Path,
        constraint: str = "grammar",
        sampling: Sampling | None = None,
        connect_timeout: float = 10.0,
        timeout: float = 300.0,
        streaming: bool = True,
    ) -> None:
        self.url = url.rstrip("/")
        self.streaming = streaming
        self.constraint = constraint
        self.sampling = sampling or Sampling()
        self.grammar = read_grammar(grammar_path) if constraint == "grammar" else None
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaServerWriter:
        assert settings.llm_server_url is not None
        return cls(
            settings.llm_server_url,
            grammar_path=settings.llm_grammar,
            constraint=settings.llm_server_constraint,
            sampling=Sampling.from_settings(settings),
            timeout=settings.llm_timeout,
        )

    def payload(self, messages: list[Message], seed: int) -> dict[str, Any]:
        """The chat-completions request body."""
        body: dict[str, Any] = {
            "messages": messages,
            "temperature": self.sampling.temperature,
            "top_p": self.sampling.top_p,
            "top_k": TOP_K,
            "max_tokens": self.sampling.max_tokens,
            "seed": seed,
            "stream": self.streaming,
        }
        if self.grammar is not None:
            body["grammar"] = self.grammar
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "story", "schema": story_schema()},
            }
        return body

    async def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """POST the messages; yield the content of each server-sent delta."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        endpoint = f"{self.url}/v1/chat/completions"
        try:
            async with self._session.post(endpoint, json=self.payload(messages, seed)) as response:
                if response.status != 200:
                    raise LLMServerError(await _describe_error(response))
                if response.content_type == "text/event-stream":
                    async for line in response.content:
                        text = _sse_content(line)
                        if text is None:
                            break
                        if text:
                            yield text
                else:  # not streaming, or a proxy that buffers: one JSON body
                    body = await response.json(content_type=None)
                    yield body["choices"][0]["message"]["content"] or ""
        except aiohttp.ClientConnectorError as exc:
            raise LLMUnavailableError(
                f"llama-server at {self.url} is not reachable ({exc.os_error.strerror or exc}); "
                "start it, or unset LLM_SERVER_URL to run the model in this process"
            ) from None
        except TimeoutError:
            raise LLMServerError(f"llama-server at {self.url} did not answer in time") from None
        except (aiohttp.ClientError, json.JSONDecodeError, KeyError, IndexError) as exc:
            raise LLMServerError(
                f"llama-server at {self.url} gave a broken answer: {exc}"
            ) from None

    async def release(self) -> None:
        """Nothing to give back: the server owns its model."""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


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
    body = await response.text()
    try:
        message = _error_message(json.loads(body))
    except (json.JSONDecodeError, AttributeError):
        message = body.strip()[:200] or response.reason or "no details"
    return f"llama-server answered {response.status}: {message}"


def _error_message(body: dict[str, Any]) -> str:
    error = body.get("error", body)
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)
