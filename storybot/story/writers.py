"""The LLMs that write the story, behind one Protocol, and what their implementations share.

`LlamaCppWriter` (storybot/story/llama.py) runs llama.cpp in this process; `LlamaServerWriter`
(storybot/story/server.py) uses an existing llama-server. Both stream the answer to chat
messages as text chunks under the story grammar; what the chunks mean is `StoryAuthor`'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from storybot.config import Settings
from storybot.errors import LLMUnavailableError
from storybot.models import AGE_BANDS
from storybot.story.gbnf import GrammarSyntaxError, worst_case_tokens
from storybot.story.grammar import LANGUAGES, GrammarKey, grammar_path
from storybot.story.prompt import Message

TOP_K = 40  # llama.cpp's default: the setting small models are tuned and tested with
GGUF_MAGIC = b"GGUF"


class StoryWriter(Protocol):
    """Streams an LLM's answer to chat messages as text chunks, under the story grammar."""

    name: str

    def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """The answer, chunk by chunk; stops early when the consumer closes it."""
        ...

    def paused(self) -> contextlib.AbstractAsyncContextManager[None]:
        """While inside, the writer produces no tokens (the GPU is free); leaving resumes
        writing where it stopped. Entering returns once generation has actually stopped
        (never mid-token); entering when nothing is being written returns at once. Overlapping
        uses from several tasks count: writing resumes when the last one leaves.
        Cancellation-safe: a task cancelled inside or while entering never leaves the writer
        paused. A writer that cannot pause (`can_pause` is False) keeps writing inside."""
        ...

    @property
    def can_pause(self) -> bool:
        """False when this writer cannot resume (the pipeline then paints after the story)."""
        ...

    @property
    def paused_seconds(self) -> float:
        """How long the writer has been held paused in all, the pause now held included."""
        ...

    async def load(self) -> None:
        """Get ready to write now (an in-process model loads; a server has nothing to do)."""
        ...

    async def count_tokens(self, text: str) -> int | None:
        """How many tokens the model's tokenizer makes of `text` (None: cannot tell), so the
        log's tokens/s counts tokens, not streamed pieces."""
        ...

    async def release(self) -> None:
        """The story is written: give back what only writing needs (see LLM_KEEP_LOADED)."""
        ...

    async def close(self) -> None:
        """Free what the writer holds (model, connections)."""
        ...


@dataclass(frozen=True)
class Sampling:
    """How to sample; temperature 0.7 and top-p 0.9 (the settings' defaults) keep a story
    varied but on topic."""

    temperature: float = Settings.model_fields["llm_temperature"].default
    top_p: float = Settings.model_fields["llm_top_p"].default
    max_tokens: int = Settings.model_fields["llm_max_tokens"].default


def read_grammar(path: Path) -> str:
    """The grammar's text, or a clear error naming LLM_GRAMMAR."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LLMUnavailableError(
            f"story grammar {path} cannot be read ({exc.strerror}); check LLM_GRAMMAR"
        ) from None


def read_grammars(path: Path) -> dict[GrammarKey, str]:
    """LLM_GRAMMAR for each language and age band: the variant beside it for that language
    and band (`story.en.3-5.gbnf`, ...), if any (see `grammar_path`)."""
    return {
        (language, band): read_grammar(grammar_path(path, language, band))
        for language in LANGUAGES
        for band in AGE_BANDS
    }


def token_budget(grammar: str, configured: int) -> int:
    """max_tokens for `grammar`: never fewer than its longest output may need, so a story the
    grammar allows is never cut off; LLM_MAX_TOKENS when the grammar has no bound."""
    try:
        worst = worst_case_tokens(grammar)
    except GrammarSyntaxError:
        worst = None  # llama.cpp reports a broken grammar itself, in its own words
    return configured if worst is None else max(configured, worst)


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
