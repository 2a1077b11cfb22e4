"""The LLMs that write the story: llama.cpp in this process, or an existing llama-server.

Both stream the answer to chat messages as text chunks under the story grammar; what the
chunks mean is `StoryAuthor`'s business. `make_writer` picks one from the settings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from storybot.config import Settings
from storybot.errors import LLMServerError, LLMUnavailableError, StoryError
from storybot.story.prompt import Message
from storybot.story.validate import PROMPT_MAX, SHEET_MAX, TEXT_MAX, TITLE_MAX

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

    from storybot.doctor import Check

log = logging.getLogger(__name__)

TOP_K = 40  # llama.cpp's default, as the original's llama-cli ran with
GGUF_MAGIC = b"GGUF"


class StoryWriter(Protocol):
    """Streams an LLM's answer to chat messages as text chunks, under the story grammar."""

    name: str

    def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """The answer, chunk by chunk; stops early when the consumer closes it."""
        ...

    async def close(self) -> None:
        """Free what the writer holds (model, connections)."""
        ...


@dataclass(frozen=True)
class Sampling:
    """How to sample, as the original: temperature 0.7, top-p 0.9."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_tokens: int = 3072

    @classmethod
    def from_settings(cls, settings: Settings) -> Sampling:
        return cls(settings.llm_temperature, settings.llm_top_p, settings.llm_max_tokens)


def read_grammar(path: Path) -> str:
    """The grammar's text, or a clear error naming LLM_GRAMMAR."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LLMUnavailableError(
            f"story grammar {path} cannot be read ({exc.strerror}); check LLM_GRAMMAR"
        ) from None


def parse_hf_model(spec: str) -> tuple[str, str] | None:
    """`hf:<owner>/<repo>/<file>` → (repo id, file name); None for a local path."""
    if not spec.startswith("hf:"):
        return None
    parts = spec.removeprefix("hf:").strip("/").split("/")
    if len(parts) < 3 or not all(parts):
        raise LLMUnavailableError(f"LLM_MODEL={spec!r}: expected hf:<owner>/<repo>/<file.gguf>")
    return "/".join(parts[:2]), "/".join(parts[2:])


def check_gguf_file(path: Path) -> None:
    """Fail fast, in one line, on a model file that is missing or not a GGUF."""
    if not path.is_file():
        raise LLMUnavailableError(
            f"LLM model not found: {path}. Set LLM_MODEL to a GGUF file, or to "
            "hf:<owner>/<repo>/<file.gguf> to download one"
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise LLMUnavailableError(
            f"LLM model {path} is not a GGUF file (it starts with {magic!r}, not b'GGUF'); "
            "download the model again or point LLM_MODEL at a .gguf file"
        )


class LlamaCppWriter:
    """llama.cpp in this process: the model is loaded once, on first use, and kept."""

    name = "llama.cpp"

    def __init__(
        self,
        model: str,
        *,
        grammar_path: Path,
        n_gpu_layers: int = -1,
        n_ctx: int = 8192,
        threads: int | None = None,
        sampling: Sampling | None = None,
    ) -> None:
        self.model = model
        self.grammar_path = grammar_path
        self.n_gpu_layers = n_gpu_layers
        self.n_ctx = n_ctx
        self.threads = threads
        self.sampling = sampling or Sampling()
        self._llama: Llama | None = None
        self._grammar: LlamaGrammar | None = None
        # llama.cpp's context is not thread-safe: one worker thread owns it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppWriter:
        return cls(
            settings.llm_model,
            grammar_path=settings.llm_grammar,
            n_gpu_layers=settings.llm_n_gpu_layers,
            n_ctx=settings.llm_n_ctx,
            threads=settings.llm_threads,
            sampling=Sampling.from_settings(settings),
        )

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    async def load(self) -> None:
        """Load the model and the grammar (once), off the event loop."""
        if self._llama is None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._load_blocking)

    def _load_blocking(self) -> None:
        if self._llama is not None:
            return
        from llama_cpp import Llama, LlamaGrammar

        grammar_text = read_grammar(self.grammar_path)
        try:
            self._grammar = LlamaGrammar.from_string(grammar_text, verbose=False)
        except ValueError as exc:
            raise LLMUnavailableError(
                f"story grammar {self.grammar_path} is invalid: {exc}"
            ) from None
        options: dict[str, Any] = {
            "n_gpu_layers": self.n_gpu_layers,
            "n_ctx": self.n_ctx,
            "n_threads": self.threads,
            "verbose": False,
        }
        hf = parse_hf_model(self.model)
        if hf is None:
            path = Path(self.model).expanduser()
            check_gguf_file(path)
            try:
                self._llama = Llama(model_path=str(path), **options)
            except (ValueError, RuntimeError) as exc:
                raise LLMUnavailableError(
                    f"LLM model {path} could not be loaded (corrupt or unsupported GGUF): {exc}"
                ) from None
        else:
            repo, filename = hf
            log.info(
                "Loading %s from Hugging Face repo %s (downloaded once, then cached)",
                filename,
                repo,
            )
            try:
                self._llama = Llama.from_pretrained(repo, filename, **options)
            except Exception as exc:  # hub errors come in many types; all mean "no model"
                raise LLMUnavailableError(
                    f"LLM model {filename} could not be fetched from Hugging Face repo {repo}: "
                    f"{type(exc).__name__}: {exc}. Download it and set LLM_MODEL to its path"
                ) from None
        log.info("LLM model loaded: %s", self.model)

    async def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """Generate in the worker thread; chunks cross to the event loop through a queue."""
        async with self._lock:
            await self.load()
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
            stop = threading.Event()

            def put(item: str | BaseException | None) -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(queue.put_nowait, item)

            def generate() -> None:
                assert self._llama is not None
                try:
                    chunks = self._llama.create_chat_completion(
                        messages,  # type: ignore[arg-type]
                        grammar=self._grammar,
                        stream=True,
                        temperature=self.sampling.temperature,
                        top_p=self.sampling.top_p,
                        top_k=TOP_K,
                        max_tokens=self.sampling.max_tokens,
                        seed=seed,
                    )
                    for chunk in chunks:
                        if stop.is_set():
                            break
                        text = chunk["choices"][0]["delta"].get("content")  # type: ignore[index]
                        if text:
                            put(text)
                except Exception as exc:
                    put(exc)
                finally:
                    put(None)

            worker = loop.run_in_executor(self._executor, generate)
            try:
                while (item := await queue.get()) is not None:
                    if isinstance(item, BaseException):
                        raise StoryError(f"llama.cpp failed while writing: {item}") from item
                    yield item
            finally:
                stop.set()
                await asyncio.shield(worker)

    def unload(self) -> None:
        """Drop the model (frees its GPU memory); the next story loads it again."""
        if self._llama is not None:
            self._llama.close()
            self._llama = None

    async def close(self) -> None:
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.unload)
        self._executor.shutdown(wait=False)


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


def make_writer(settings: Settings) -> StoryWriter:
    """llama-server when LLM_SERVER_URL is set, else llama.cpp in this process."""
    if settings.llm_server_url:
        return LlamaServerWriter.from_settings(settings)
    return LlamaCppWriter.from_settings(settings)


async def check_llm(settings: Settings) -> list[Check]:
    """Doctor rows: the grammar, and the model file or the llama-server."""
    from storybot.doctor import Check

    rows = []
    try:
        grammar = read_grammar(settings.llm_grammar)
        rows.append(Check("story grammar", "OK", f"{settings.llm_grammar} ({len(grammar)} bytes)"))
    except StoryError as exc:
        rows.append(Check("story grammar", "FAIL", str(exc)))
    if settings.llm_server_url:
        rows.append(await _check_server(settings.llm_server_url))
        return rows
    try:
        hf = parse_hf_model(settings.llm_model)
        if hf is None:
            path = Path(settings.llm_model).expanduser()
            check_gguf_file(path)
            size = path.stat().st_size / 2**20
            rows.append(Check("LLM model", "OK", f"{path} ({size:,.0f} MB)"))
        else:
            rows.append(_check_hf_cache(*hf))
    except StoryError as exc:
        rows.append(Check("LLM model", "FAIL", str(exc)))
    return rows


def _check_hf_cache(repo: str, filename: str) -> Check:
    from huggingface_hub import try_to_load_from_cache

    from storybot.doctor import Check

    cached = try_to_load_from_cache(repo, filename)
    if isinstance(cached, str):
        return Check("LLM model", "OK", f"hf:{repo}/{filename} (cached at {cached})")
    return Check(
        "LLM model",
        "WARN",
        f"hf:{repo}/{filename} is not downloaded yet: it is fetched on first use (several GB); "
        "or download it yourself and set LLM_MODEL to its path",
    )


async def _check_server(url: str) -> Check:
    from storybot.doctor import Check

    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{url}/health") as response,
        ):
            if response.status == 200:
                return Check("llama-server", "OK", f"{url} is up")
            return Check("llama-server", "FAIL", f"{url}/health answered {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check("llama-server", "FAIL", f"{url} is not reachable ({exc}); start llama-server")
