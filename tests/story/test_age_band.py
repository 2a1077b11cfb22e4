"""The age band: /story age: and --age, the prompt, and the grammar's shorter pages for 3-5.

The grammar's bound is checked with llama.cpp's own grammar sampler (the one that constrains
generation), and a whole story from a random model is held to the band's bounds.
"""

from __future__ import annotations

import ctypes
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import llama_cpp
import pytest
from llama_cpp import Llama

from storybot.cli import build_parser
from storybot.config import Language
from storybot.models import AGE_BANDS, AgeBand, StoryRequest
from storybot.story import LlamaCppWriter, LlamaServerWriter, StoryAuthor
from storybot.story.gbnf import max_bytes, worst_case_tokens
from storybot.story.grammar import BAND_BOUNDS, grammar_path, story_grammar
from storybot.story.prompt import build_messages
from storybot.story.validate import story_problems
from storybot.story.writers import Sampling, read_grammar, token_budget
from tests.conftest import GRAMMAR
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, story
from tests.support.tiny_gguf import build_tiny_gguf

if TYPE_CHECKING:
    from tests.support.bot_harness import Harness

pytest_plugins = ["tests.support.bot_harness"]

N_CTX = 8192  # LLM_N_CTX's default
PROMPT_ROOM = 1500  # what the system prompt and the request may take
# A story up to page 1's text: the shortest the grammar allows, no whitespace.
HEAD = (
    '{"title":"%s","character_sheet":"A","pages":[{"page":0,"text":"%s","image_prompt":"A"},'
    '{"page":1,"text":"'
)
LETTER = {"ko": "가", "en": "a"}
FULL = {"era": "조선시대", "place": "궁궐", "characters": "호랑이, 토끼", "topic": "우정"}
BYTES_PER_CHAR = {"ko": 3, "en": 1}


class GrammarSampler:
    """llama.cpp's grammar sampler over the tiny GGUF's vocabulary (one token per character)."""

    def __init__(self, model: Path) -> None:
        self.llama = Llama(model_path=str(model), vocab_only=True, verbose=False)
        self.vocab = llama_cpp.llama_model_get_vocab(self.llama.model)
        n = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.tokens = [llama_cpp.llama_vocab_get_text(self.vocab, i).decode() for i in range(n)]
        self.ids = {token: i for i, token in enumerate(self.tokens)}

    def allowed_after(self, grammar: str, prefix: str) -> set[str]:
        """The tokens the grammar allows after `prefix` (which it must accept)."""
        sampler = llama_cpp.llama_sampler_init_grammar(self.vocab, grammar.encode(), b"root")
        assert sampler, "llama.cpp could not parse the grammar"
        try:
            for char in prefix:
                llama_cpp.llama_sampler_accept(sampler, self.ids[char])
            n = llama_cpp.llama_vocab_n_tokens(self.vocab)
            data = (llama_cpp.llama_token_data * n)()
            for i in range(n):
                data[i].id, data[i].logit, data[i].p = i, 0.0, 0.0
            candidates = llama_cpp.llama_token_data_array(
                data=data, size=n, selected=-1, sorted=False
            )
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
            return {
                self.tokens[data[i].id]
                for i in range(candidates.size)
                if data[i].logit != -math.inf
            }
        finally:
            llama_cpp.llama_sampler_free(sampler)


@pytest.fixture(scope="module")
def sampler(tiny_gguf: Path) -> Iterator[GrammarSampler]:
    grammar_sampler = GrammarSampler(tiny_gguf)
    yield grammar_sampler
    grammar_sampler.llama.close()


def request(language: Language, band: AgeBand, **values: Any) -> StoryRequest:
    words = {"era": "옛날", "place": "숲", "characters": "토끼", "topic": "우정"}
    if language == "en":
        words = {"era": "long ago", "place": "a forest", "characters": "a rabbit", "topic": "x"}
    return StoryRequest(**words, language=language, age=band, **values)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_youngest_grammar_refuses_a_longer_page(
    sampler: GrammarSampler, language: Language
) -> None:
    grammar = read_grammar(grammar_path(GRAMMAR, language, "3-5"))
    limit = BAND_BOUNDS[(language, "3-5")].text
    assert limit == {"ko": 120, "en": 250}[language]
    letter = LETTER[language]
    head = HEAD % (letter, letter)
    # one character short of the bound: the page may go on
    assert letter in sampler.allowed_after(grammar, head + letter * (limit - 1))
    # at the bound: only the closing quote (as a character or as its byte)
    assert sampler.allowed_after(grammar, head + letter * limit) == {'"', "<0x22>"}
    # the default band's grammar lets the same page go on
    default = read_grammar(grammar_path(GRAMMAR, language, "4-8"))
    assert letter in sampler.allowed_after(default, head + letter * limit)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_bounds_and_budgets_grow_with_the_band(language: Language) -> None:
    worsts = []
    for band in AGE_BANDS:
        grammar = story_grammar(language, band)
        limits = BAND_BOUNDS[(language, band)]
        # a page's text is its quotes and at most `limits.text` characters
        assert max_bytes(grammar, root="text") == 2 + limits.text * BYTES_PER_CHAR[language]
        worst = worst_case_tokens(grammar)
        assert worst is not None and worst + PROMPT_ROOM <= N_CTX
        assert token_budget(grammar, 1000) == worst  # the writers ask for the worst case
        worsts.append(worst)
    assert worsts == sorted(worsts) and len(set(worsts)) == len(AGE_BANDS)


async def test_the_band_and_the_style_reach_the_llm(llama_server: FakeLlamaServer) -> None:
    young = request("ko", "3-5", style="colored_pencil")
    llama_server.replies = [Reply(dumps(story()), chunk_size=50)]
    writer = LlamaServerWriter(llama_server.url, grammar_path=GRAMMAR, sampling=Sampling())
    try:
        await StoryAuthor(writer, review=False, seed=1, safety_screen=False).write(young)
    finally:
        await writer.close()
    body = llama_server.requests[0]
    system = body["messages"][0]["content"]
    assert "3~5세" in system and "120자 이내" in system and "colored pencil" in system
    grammar = read_grammar(grammar_path(GRAMMAR, "ko", "3-5"))
    assert body["grammar"] == grammar == story_grammar("ko", "3-5")
    assert body["max_tokens"] == worst_case_tokens(grammar)


@pytest.fixture(scope="module")
def uniform_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uniformly random weights: every string runs to (about) its bound."""
    path = tmp_path_factory.mktemp("models") / "uniform-hangul.gguf"
    return build_tiny_gguf(path, uniform=True, seed=5)


@pytest.mark.parametrize("language", ["ko", "en"])
async def test_a_random_models_story_for_the_youngest_keeps_their_bounds(
    uniform_gguf: Path, language: Language
) -> None:
    young = request(language, "3-5")
    limits = BAND_BOUNDS[(language, "3-5")]
    writer = LlamaCppWriter(
        str(uniform_gguf), grammar_path=GRAMMAR, threads=1, sampling=Sampling(max_tokens=500)
    )
    try:
        # What the model wrote, before any repair: the writer chose the band's grammar.
        raw = "".join([c async for c in writer.stream(build_messages(young), seed=7)])
        budget = token_budget(read_grammar(grammar_path(GRAMMAR, language, "3-5")), 500)
        assert writer.tokens_used <= budget
        pages = json.loads(raw)["pages"]
        assert len(pages[0]["text"]) <= limits.cover
        lengths = [len(page["text"]) for page in pages[1:]]
        # a model that runs to the bound fills it; the 4-8 grammar would have let it go on
        assert limits.text >= max(lengths) > 0.8 * limits.text
        if language == "ko":  # and the author makes a valid story of such output
            author = StoryAuthor(writer, review=False, retries=0, seed=7, safety_screen=False)
            written = await author.write(young)
            assert written.attempts == 1
            assert story_problems(written.story, young) == []
            assert max(len(page.text) for page in written.story.pages) <= limits.text
    finally:
        await writer.close()


def test_story_and_make_take_an_age() -> None:
    parser = build_parser()
    fields = ["--era", "a", "--place", "b", "--characters", "c", "--topic", "d"]
    for command in ("story", "make"):
        assert parser.parse_args([command, *fields]).age == "4-8"
        assert parser.parse_args([command, *fields, "--age", "3-5"]).age == "3-5"
        with pytest.raises(SystemExit):
            parser.parse_args([command, *fields, "--age", "2-3"])


def age_option(commands: list[dict[str, Any]]) -> dict[str, Any]:
    story_command = next(c for c in commands if c["name"] == "story")
    return next(o for o in story_command["options"] if o["name"] == "age")


async def test_story_offers_the_bands_and_the_choice_reaches_the_request(
    harness: Harness,
) -> None:
    fake = harness.fake
    harness.comfy.hang = True  # the book stays on its cover until cancelled
    await harness.start()
    option = age_option(fake.commands[None])
    assert option["type"] == 3 and not option["required"]
    assert option["name_localizations"]["ko"] == "나이"
    assert option["description_localizations"]["en-US"].startswith("Age of the young reader")
    assert [c["value"] for c in option["choices"]] == list(AGE_BANDS)
    assert [c["name"] for c in option["choices"]] == ["3~5세", "4~8세", "7~10세"]
    english = [c["name_localizations"]["en-US"] for c in option["choices"]]
    assert english == ["Ages 3–5", "Ages 4–8", "Ages 7–10"]

    await fake.invoke_command("story", {**FULL, "age": "3-5"}, user=fake.alice)
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    assert run_id is not None and harness.stored_request(run_id).age == "3-5"
    await fake.click_button(book.id, f"storybot:cancel:{run_id}", user=fake.alice)
    await fake.wait_for(lambda: "🛑" in book.text)
