"""`LlamaCppWriter`: llama.cpp (llama-cpp-python) in this process.

Pausing (`paused()`) does not ask for the next token: the worker thread waits between tokens
(`ThreadParking`) while the model, its KV cache and the same `Llama.generate` generator stay as
they are. While paused:
- `judge()` and `complete()` (the guard's verdict, before and after a story) do not wait for
  the pause (they are short, and the guard's timeout must not run out while a picture is
  painted). They need the worker thread, so they wait for a story in progress to end; a
  task that itself holds the pause would wait forever, so it gets StoryError at once instead.
  `release()` likewise.
- `close()` never waits for a story: the parked thread wakes up and ends; the stream raises
  StoryError.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from storybot.config import Settings
from storybot.errors import LLMUnavailableError, StoryError, one_line
from storybot.story.grammar import GrammarKey
from storybot.story.llama_verdict import greedy_answer, judge, model_fingerprint
from storybot.story.pause import PauseGate, ThreadParking
from storybot.story.prompt import Message, grammar_key
from storybot.story.verdicts import Judgement, Question
from storybot.story.writers import (
    TOP_K,
    Sampling,
    check_gguf_file,
    parse_hf_model,
    read_grammars,
    token_budget,
)

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

_T = TypeVar("_T")
MIN_P = 0.05  # llama-cpp-python's chat-completion default, kept from before

log = logging.getLogger(__name__)


class LlamaCppWriter:
    """llama.cpp in this process: the model is loaded once, on first use, and kept."""

    name = "llama.cpp"

    def __init__(
        self,
        model: str,
        *,
        grammar_path: Path,
        n_gpu_layers: int = Settings.model_fields["llm_n_gpu_layers"].default,
        n_ctx: int = Settings.model_fields["llm_n_ctx"].default,
        threads: int | None = None,
        sampling: Sampling | None = None,
        keep_loaded: bool = Settings.model_fields["llm_keep_loaded"].default,
    ) -> None:
        self.model = model
        self.keep_loaded = keep_loaded
        self.grammar_path = grammar_path
        self.n_gpu_layers = n_gpu_layers
        self.n_ctx = n_ctx
        self.threads = threads
        self.sampling = sampling or Sampling()
        self._llama: Llama | None = None
        self._grammars: dict[GrammarKey, LlamaGrammar] = {}  # per language and age band
        self._budgets: dict[GrammarKey, int] = {}  # max_tokens per grammar, from its worst case
        self._short_context_warned: set[GrammarKey] = set()
        self._formatter: Jinja2ChatFormatter | None = None
        self._is_end: Callable[[int], bool] = bool
        self.tokens_used = 0  # tokens of the last answer (for measurements)
        # llama.cpp's context is not thread-safe: one worker thread owns it.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llama")
        self._lock = asyncio.Lock()
        self._parking = ThreadParking()
        self._pause = PauseGate(
            halt=self._parking.halt, halted=self._parking.halted, resume=self._parking.resume
        )
        self._writing: tuple[threading.Event, threading.Event] | None = None  # (stop, go)
        self._closed = False

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        """See `StoryWriter.paused`: the worker thread waits between tokens (module docstring).
        A story started while paused waits before its first token (its prompt is not read)."""
        return self._pause.hold()

    @property
    def can_pause(self) -> bool:
        return True

    @property
    def paused_seconds(self) -> float:
        return self._pause.paused_seconds

    async def count_tokens(self, text: str) -> int | None:
        """How many tokens `text` is in the model's vocabulary (an honest tokens/s)."""
        if self._llama is None:
            return None
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    async def load(self) -> None:
        """Load the model and the grammar (once), off the event loop."""
        if self._llama is None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, self._load_blocking)

    def _load_blocking(self) -> None:
        if self._llama is not None:
            return
        import llama_cpp
        from llama_cpp import Llama, LlamaGrammar

        parsed: dict[str, LlamaGrammar] = {}  # one parse per file (a custom one serves all)
        for key, text in read_grammars(self.grammar_path).items():
            try:
                if text not in parsed:
                    parsed[text] = LlamaGrammar.from_string(text, verbose=False)
            except ValueError as exc:
                raise LLMUnavailableError(
                    f"story grammar {self.grammar_path} is invalid: {exc}"
                ) from None
            self._grammars[key] = parsed[text]
            self._budgets[key] = token_budget(text, self.sampling.max_tokens)
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
        self._formatter = _chat_formatter(self._llama)
        vocab = llama_cpp.llama_model_get_vocab(self._llama.model)
        self._is_end = lambda token: bool(llama_cpp.llama_vocab_is_eog(vocab, token))
        log.info("LLM model loaded: %s", self.model)

    async def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """Generate in the worker thread; chunks cross to the event loop through a queue.
        Between tokens the thread waits while the writer is paused."""
        async with self._lock:
            self._check_open()
            await self.load()
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[str | BaseException | None] = asyncio.Queue()
            stop, go = threading.Event(), threading.Event()

            def put(item: str | BaseException | None) -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(queue.put_nowait, item)

            key = grammar_key(messages)

            def turn() -> bool:
                if self._parking.wait_turn(go, stop):
                    return True
                if self._closed:
                    raise StoryError("the writer was closed while writing")
                return False

            def generate() -> None:
                try:
                    with contextlib.closing(self._generate(messages, key, seed, turn)) as texts:
                        for text in texts:
                            if stop.is_set():
                                break
                            put(text)
                except Exception as exc:
                    put(exc)
                finally:
                    put(None)

            worker = self._parking.submit(self._executor, generate, go=go)
            self._writing = (stop, go)
            try:
                while (item := await queue.get()) is not None:
                    if isinstance(item, BaseException):
                        raise StoryError(f"llama.cpp failed while writing: {item}") from item
                    yield item
            finally:
                self._writing = None
                stop.set()
                go.set()  # a parked thread wakes up to stop
                await asyncio.shield(worker)

    def _check_open(self) -> None:
        if self._closed:
            raise StoryError("the llama.cpp writer is closed")

    def _refuse_to_wait_for_own_pause(self, what: str) -> None:
        """Raise instead of waiting for a story that this very task holds paused."""
        if self._writing is not None and self._pause.held_by_current_task():
            raise StoryError(
                f"{what} cannot run inside paused() while a story is being written: it would "
                "wait for the story, which waits for the pause to end"
            )

    def _generate(
        self, messages: list[Message], key: GrammarKey, seed: int, turn: Callable[[], bool]
    ) -> Iterator[str]:
        """The answer's text under the grammar, piece by piece (runs in the worker thread);
        `turn()` is asked before each token (it waits while paused; False: stop).

        Tokens come from `Llama.generate` and are decoded one at a time: llama-cpp-python's
        chat completion decodes the whole answer again at every token, which costs more than
        the model itself once a story is a few thousand tokens long."""
        llama = self._llama
        assert llama is not None
        if self._formatter is None:  # no chat template in the GGUF: llama-cpp-python's own
            yield from self._generate_chat(messages, key, seed, turn)
            return
        formatted = self._formatter(messages=messages)
        prompt = llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        budget = self._fit(len(prompt), key)
        llama.set_seed(seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.tokens_used = 0
        tokens = llama.generate(
            prompt,
            top_k=TOP_K,
            top_p=self.sampling.top_p,
            min_p=MIN_P,
            temp=self.sampling.temperature,
            grammar=self._grammars[key],
        )
        with contextlib.closing(tokens):
            while turn():  # the next token: llama.cpp runs only inside next()
                token = next(tokens, None)
                if token is None or self._is_end(token):
                    break
                self.tokens_used += 1
                text = decoder.decode(llama.detokenize([token]))
                if text:
                    yield text
                if self.tokens_used >= budget:
                    break

    def _generate_chat(
        self, messages: list[Message], key: GrammarKey, seed: int, turn: Callable[[], bool]
    ) -> Iterator[str]:
        assert self._llama is not None
        chunks = self._llama.create_chat_completion(
            messages,  # type: ignore[arg-type]
            grammar=self._grammars[key],
            stream=True,
            temperature=self.sampling.temperature,
            top_p=self.sampling.top_p,
            top_k=TOP_K,
            max_tokens=self._budgets[key],
            seed=seed,
        )
        assert isinstance(chunks, Iterator)
        while turn() and (chunk := next(chunks, None)) is not None:
            text = chunk["choices"][0]["delta"].get("content")  # type: ignore[index]
            if text:
                yield text

    def _fit(self, prompt_tokens: int, key: GrammarKey) -> int:
        """The token budget that fits LLM_N_CTX after the prompt; warns (once) when the
        grammar's longest story does not fit, since such a story would be cut off."""
        assert self._llama is not None
        room = self._llama.n_ctx() - prompt_tokens
        if room <= 0:
            raise StoryError(
                f"the prompt ({prompt_tokens} tokens) does not fit LLM_N_CTX={self._llama.n_ctx()}"
            )
        budget = self._budgets[key]
        if budget > room and key not in self._short_context_warned:
            self._short_context_warned.add(key)
            log.warning(
                "LLM_N_CTX=%d leaves %d tokens after the prompt, fewer than the longest story "
                "the grammar allows (%d); raise LLM_N_CTX or a long story may be cut off",
                self._llama.n_ctx(),
                room,
                budget,
            )
        return min(budget, room)

    async def complete(
        self,
        messages: list[Message],
        *,
        grammar: str,
        schema: dict[str, Any],
        max_tokens: int,
        timeout: float,
    ) -> str:
        """A short greedy answer under `grammar` (`schema` is for servers): the safety guard's
        category (storybot/story/guard.py). Waits and times out as `judge` does."""
        return await self._short_job(
            lambda: greedy_answer(self._llama, messages, grammar, max_tokens), timeout
        )

    async def judge(
        self, messages: list[Message], question: Question, *, timeout: float
    ) -> Judgement:
        """The model's probabilities at the question's decision (storybot/story/verdicts.py),
        on the loaded model and its worker thread: the safety guard's verdict. It waits for its
        turn at the model (another book's story holds it) without a limit — a book waits
        rather than go unchecked — and then has `timeout` seconds for its own work."""
        return await self._short_job(
            lambda: judge(self._llama, self._formatter, messages, question), timeout
        )

    async def fingerprint(self) -> str:
        """What identifies the model (a guard's calibration is cached for it): the file."""
        return model_fingerprint(self.model)

    async def _short_job(self, job: Callable[[], _T], timeout: float) -> _T:
        self._refuse_to_wait_for_own_pause("the safety check")
        async with self._lock:
            self._check_open()
            async with asyncio.timeout(timeout):
                await self.load()
                return await self._parking.submit(self._executor, job)

    def unload(self) -> None:
        """Drop the model (frees its GPU memory); the next story loads it again."""
        if self._llama is not None:
            self._llama.close()
            self._llama = None

    async def release(self) -> None:
        """Unload the model unless it is to be kept (a GPU shared with ComfyUI needs it back)."""
        if not self.keep_loaded and not self._closed:
            self._refuse_to_wait_for_own_pause("release()")
            async with self._lock:
                await asyncio.get_running_loop().run_in_executor(self._executor, self.unload)

    async def close(self) -> None:
        """Unload the model and end the worker thread. A story in progress, even a paused one,
        stops: its thread wakes up and ends, and its stream raises StoryError."""
        if self._closed:
            return
        self._closed = True
        if self._writing is not None:
            stop, go = self._writing
            stop.set()
            go.set()
        # Queued behind whatever the thread is doing, which ends at its next turn.
        await asyncio.get_running_loop().run_in_executor(self._executor, self.unload)
        self._executor.shutdown(wait=False)


def _chat_formatter(llama: Llama) -> Jinja2ChatFormatter | None:
    """The GGUF's own chat template, as llama-cpp-python renders it for chat completions."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None

    def text(token: int) -> str:
        if token < 0:
            return ""
        return llama.detokenize([token], special=True).decode("utf-8", "ignore")

    return Jinja2ChatFormatter(
        template=template,
        eos_token=text(llama.token_eos()),
        bos_token=text(llama.token_bos()),
        stop_token_ids=[llama.token_eos()],
    )
