"""The grammars per language and age band, their worst case in tokens, the JSON schema, and the
repairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_cpp import LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

from storybot.config import PROJECT_ROOT, Language
from storybot.models import AGE_BANDS, AgeBand
from storybot.story import repair
from storybot.story.gbnf import GrammarSyntaxError, max_bytes, worst_case_tokens
from storybot.story.grammar import (
    BAND_BOUNDS,
    default_paths,
    grammar_path,
    story_grammar,
    story_schema,
)
from storybot.story.writers import read_grammars, token_budget

N_CTX = 8192  # LLM_N_CTX's default
PROMPT_ROOM = 1500  # what the system prompt and the request may take
KEYS = list(BAND_BOUNDS)  # every (language, age band)


@pytest.mark.parametrize(("language", "band"), KEYS)
def test_checked_in_grammars_are_the_generated_ones(language: Language, band: AgeBand) -> None:
    path = default_paths()[(language, band)]
    assert path.read_text(encoding="utf-8") == story_grammar(language, band)
    assert grammar_path(PROJECT_ROOT / "grammars" / "story.gbnf", language, band) == path
    LlamaGrammar.from_string(path.read_text(encoding="utf-8"), verbose=False)


def test_the_default_band_keeps_the_grammar_files_names() -> None:
    paths = default_paths()
    assert paths[("ko", "4-8")].name == "story.gbnf"
    assert paths[("en", "4-8")].name == "story.en.gbnf"
    assert paths[("ko", "3-5")].name == "story.3-5.gbnf"
    assert paths[("en", "7-10")].name == "story.en.7-10.gbnf"
    assert sorted(p.name for p in (PROJECT_ROOT / "grammars").glob("*.gbnf")) == sorted(
        p.name for p in paths.values()
    )


@pytest.mark.parametrize(("language", "band"), KEYS)
def test_the_longest_story_fits_the_context(language: Language, band: AgeBand) -> None:
    grammar = story_grammar(language, band)
    worst = worst_case_tokens(grammar)
    assert worst is not None and worst + PROMPT_ROOM <= N_CTX
    # ... and the writers ask for it even when LLM_MAX_TOKENS is lower
    assert token_budget(grammar, 3072) == worst


def test_a_custom_grammar_serves_every_language_and_band(tmp_path: Path) -> None:
    path = tmp_path / "mine.gbnf"
    path.write_text('root ::= "{}"', encoding="utf-8")
    every = {(lang, band): 'root ::= "{}"' for lang in ("ko", "en") for band in AGE_BANDS}
    assert read_grammars(path) == every
    # a variant beside it serves its language, at every band it has no file for
    (tmp_path / "mine.en.gbnf").write_text('root ::= "en"', encoding="utf-8")
    (tmp_path / "mine.3-5.gbnf").write_text('root ::= "young"', encoding="utf-8")
    grammars = read_grammars(path)
    assert grammars[("en", "3-5")] == grammars[("en", "7-10")] == 'root ::= "en"'
    assert grammars[("ko", "3-5")] == 'root ::= "young"'
    assert grammars[("ko", "7-10")] == 'root ::= "{}"'
    # unbounded: LLM_MAX_TOKENS is the budget
    assert token_budget('root ::= "a"+', 3072) == 3072


@pytest.mark.parametrize(
    ("grammar", "expected"),
    [
        ('root ::= "ab" [가-힣]{0,2}', 2 + 2 * 3),
        ('root ::= x | "long literal"  # comment\nx ::= [a-z]?', 12),
        ("root ::= [^a]{3}", 12),  # a negated class may be any 4-byte character
        ('root ::= ( "a" |\n  "bcd" ) "\\u00e9"', 3 + 2),
        ('root ::= "a" x*\nx ::= "b"', None),
        ('root ::= "(" root ")" | "x"', None),
    ],
)
def test_max_bytes(grammar: str, expected: int | None) -> None:
    assert max_bytes(grammar) == expected


def test_a_grammar_it_cannot_read_is_an_error() -> None:
    with pytest.raises(GrammarSyntaxError):
        max_bytes("root ::= missing-rule")
    assert token_budget("not a grammar", 3072) == 3072


@pytest.mark.parametrize(("language", "band"), KEYS)
def test_the_schema_carries_the_rules_and_bounds(language: Language, band: AgeBand) -> None:
    schema = story_schema(language, band)
    # llama-cpp-python turns it into a grammar that parses and is bounded
    gbnf = json_schema_to_gbnf(json.dumps(schema))
    LlamaGrammar.from_string(gbnf, verbose=False)
    assert max_bytes(gbnf) is not None
    pages = schema["properties"]["pages"]
    assert pages["minItems"] == pages["maxItems"] == 5
    prompt = pages["items"]["properties"]["image_prompt"]
    bounds = BAND_BOUNDS[(language, band)]
    assert prompt["maxLength"] == bounds.prompt
    text = pages["items"]["properties"]["text"]
    assert text["maxLength"] == max(bounds.cover, bounds.text)
    assert prompt["pattern"].startswith("^[A-Za-z]")
    if language == "ko":
        assert schema["properties"]["title"]["pattern"].startswith("^[가-힣]")


@settings(max_examples=300, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=10, max_value=300))
def test_the_image_side_repair_is_always_plain_ascii(text: str, limit: int) -> None:
    repaired, _ = repair.english(text, limit)
    assert repaired.isascii() and repaired.isprintable() and len(repaired) <= limit
    assert repaired == repaired.strip()


@settings(max_examples=300, deadline=None)
@given(text=st.text(), limit=st.integers(min_value=1, max_value=300))
def test_story_text_repair_keeps_within_the_bound(text: str, limit: int) -> None:
    repaired, _ = repair.story_text(text, limit)
    assert len(repaired) <= limit and repaired == repaired.strip()
    assert repaired in text or repaired.strip('"“”*') in text
