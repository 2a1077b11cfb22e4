"""A model with uniformly random weights gives a valid story on the first attempt.

Such a model (no per-class bias) writes whatever the grammar allows and runs every string to its
bound, so it checks that the grammar forces every rule the validator checks and that the token
budget covers the grammar's longest story: with the bytes-only vocabulary, Korean text costs
three tokens a syllable, the worst case of any tokenizer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from storybot.config import PROJECT_ROOT
from storybot.models import PAGE_COUNT, Story, StoryRequest
from storybot.story import LlamaCppWriter, StoryAuthor
from storybot.story.grammar import BOUNDS, grammar_path
from storybot.story.writers import Sampling, read_grammar, token_budget
from tests.support.tiny_gguf import build_tiny_gguf

GRAMMAR = PROJECT_ROOT / "grammars" / "story.gbnf"
HANGUL = re.compile(r"[가-힣]")
LETTER = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def uniform_bytes_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uniformly random weights; byte-fallback vocabulary only (Korean costs 3 tokens)."""
    path = tmp_path_factory.mktemp("models") / "uniform-bytes.gguf"
    return build_tiny_gguf(path, hangul=False, uniform=True, seed=1)


@pytest.fixture(scope="module")
def uniform_hangul_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uniformly random weights; every Hangul syllable is a token of its own."""
    path = tmp_path_factory.mktemp("models") / "uniform-hangul.gguf"
    return build_tiny_gguf(path, uniform=True, seed=2)


def writer(model: Path) -> LlamaCppWriter:
    # LLM_MAX_TOKENS below the grammar's worst case: the writer must ask for enough anyway.
    return LlamaCppWriter(
        str(model), grammar_path=GRAMMAR, n_ctx=8192, threads=1, sampling=Sampling(max_tokens=1000)
    )


async def write_first_time(
    model: Path, request: StoryRequest, seeds: tuple[int, ...]
) -> list[tuple[int, int]]:
    """Write a story per seed; each must be valid at once. (tokens used, budget) per story."""
    llm = writer(model)
    budget = token_budget(read_grammar(grammar_path(GRAMMAR, request.language)), 1000)
    used = []
    try:
        for seed in seeds:
            written = await StoryAuthor(llm, review=False, retries=0, seed=seed).write(request)
            assert written.attempts == 1
            check(written.story, request)
            used.append((llm.tokens_used, budget))
    finally:
        await llm.close()
    return used


def check(story: Story, request: StoryRequest) -> None:
    limits = BOUNDS[request.language]
    assert [page.page for page in story.pages] == list(range(PAGE_COUNT))
    assert LETTER.match(story.character_sheet) and len(story.character_sheet) <= limits.sheet
    for page in story.pages:
        assert LETTER.match(page.image_prompt) and page.image_prompt.isascii()
        if request.language == "ko":
            assert HANGUL.match(page.text)
    if request.language == "ko":
        assert HANGUL.match(story.title)


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_byte_level_random_model_is_valid_first_time(
    uniform_bytes_gguf: Path,
    ko_request: StoryRequest,
    en_request: StoryRequest,
    language: str,
) -> None:
    request = ko_request if language == "ko" else en_request
    used = await write_first_time(uniform_bytes_gguf, request, seeds=(1, 2))
    # The stories run close to the grammar's bounds, yet never past the token budget.
    for tokens, budget in used:
        assert 1000 < tokens < budget


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_hangul_vocabulary_random_model_is_valid_first_time(
    uniform_hangul_gguf: Path,
    ko_request: StoryRequest,
    en_request: StoryRequest,
    language: str,
) -> None:
    request = ko_request if language == "ko" else en_request
    await write_first_time(uniform_hangul_gguf, request, seeds=(3,))
