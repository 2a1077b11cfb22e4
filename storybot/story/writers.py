"""The LLMs that write the story, behind one Protocol, and the factory that picks one.

`LlamaCppWriter` (storybot/story/llama.py) runs llama.cpp in this process; `LlamaServerWriter`
(storybot/story/server.py) uses an existing llama-server. Both stream the answer to chat
messages as text chunks under the story grammar; what the chunks mean is `StoryAuthor`'s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import aiohttp

from storybot.config import Settings
from storybot.errors import LLMUnavailableError, StoryError
from storybot.models import AGE_BANDS
from storybot.story.gbnf import GrammarSyntaxError, worst_case_tokens
from storybot.story.grammar import LANGUAGES, GrammarKey, grammar_path
from storybot.story.prompt import Message

if TYPE_CHECKING:
    from storybot.checks import Check


TOP_K = 40  # llama.cpp's default, as the original's llama-cli ran with
GGUF_MAGIC = b"GGUF"


class StoryWriter(Protocol):
    """Streams an LLM's answer to chat messages as text chunks, under the story grammar."""

    name: str

    def stream(self, messages: list[Message], *, seed: int) -> AsyncIterator[str]:
        """The answer, chunk by chunk; stops early when the consumer closes it."""
        ...

    async def release(self) -> None:
        """The story is written: give back what only writing needs (see LLM_KEEP_LOADED)."""
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


async def check_llm(settings: Settings) -> list[Check]:
    """Doctor rows: the grammar, and the model file or the llama-server."""
    from storybot.checks import Check

    rows = []
    try:
        grammars = read_grammars(settings.llm_grammar)
        budget = max(token_budget(g, settings.llm_max_tokens) for g in grammars.values())
        rows.append(
            Check("story grammar", "OK", f"{settings.llm_grammar} (at most {budget} tokens)")
        )
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

    from storybot.checks import Check

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
    from storybot.checks import Check

    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            # llama-server answers /health; llama-cpp-python's server and others only /v1/models.
            for path in ("/health", "/v1/models"):
                async with session.get(f"{url}{path}") as response:
                    if response.status == 200:
                        return Check("llama-server", "OK", f"{url} is up")
            return Check("llama-server", "FAIL", f"{url}{path} answered {response.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check("llama-server", "FAIL", f"{url} is not reachable ({exc}); start llama-server")
