"""`LlamaCppWriter`: llama.cpp (llama-cpp-python) in this process."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storybot.config import Settings
from storybot.errors import LLMUnavailableError, StoryError, one_line
from storybot.story.prompt import Message
from storybot.story.writers import (
    TOP_K,
    Sampling,
    check_gguf_file,
    parse_hf_model,
    read_grammar,
)

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

log = logging.getLogger(__name__)


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
        keep_loaded: bool = True,
    ) -> None:
        self.model = model
        self.keep_loaded = keep_loaded
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
            keep_loaded=settings.llm_keep_loaded,
        )

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
                    f"LLM model {path} could not be loaded (corrupt or unsupported GGUF): "
                    f"{one_line(exc)}"
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
                    f"{type(exc).__name__}: {one_line(exc)}. "
                    "Download it and set LLM_MODEL to its path"
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

    async def release(self) -> None:
        """Unload the model unless it is to be kept (a GPU shared with ComfyUI needs it back)."""
        if not self.keep_loaded:
            async with self._lock:
                await asyncio.get_running_loop().run_in_executor(self._executor, self.unload)

    async def close(self) -> None:
        async with self._lock:
            await asyncio.get_running_loop().run_in_executor(self._executor, self.unload)
        self._executor.shutdown(wait=False)
