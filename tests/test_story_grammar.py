"""The per-language grammars, their worst case in tokens, the JSON schema, and the repairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from llama_cpp import LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

from storybot.config import PROJECT_ROOT
from storybot.story import repair
from storybot.story.gbnf import GrammarSyntaxError, max_bytes, worst_case_tokens
from storybot.story.grammar import BOUNDS, default_paths, grammar_path, story_grammar, story_schema
from storybot.story.writers import read_grammars, token_budget

N_CTX = 8192  # LLM_N_CTX's default
PROMPT_ROOM = 1500  # what the system prompt and the request may take


@pytest.mark.parametrize("language", ["ko", "en"])
def test_checked_in_grammars_are_the_generated_ones(language: str) -> None:
    path = default_paths()[language]
    assert path.read_text(encoding="utf-8") == story_grammar(language)  # type: ignore[arg-type]
    assert grammar_path(PROJECT_ROOT / "grammars" / "story.gbnf", language) == path
    LlamaGrammar.from_string(path.read_text(encoding="utf-8"), verbose=False)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_longest_story_fits_the_context(language: str) -> None:
    worst = worst_case_tokens(story_grammar(language))  # type: ignore[arg-type]
    assert worst is not None and worst + PROMPT_ROOM <= N_CTX
    # ... and the writers ask for it even when LLM_MAX_TOKENS is lower
    assert token_budget(story_grammar(language), 3072) == worst  # type: ignore[arg-type]


def test_a_custom_grammar_serves_every_language(tmp_path: Path) -> None:
    path = tmp_path / "mine.gbnf"
    path.write_text('root ::= "{}"', encoding="utf-8")
    assert read_grammars(path) == {"ko": 'root ::= "{}"', "en": 'root ::= "{}"'}
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


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_schema_carries_the_rules_and_bounds(language: str) -> None:
    schema = story_schema(language)  # type: ignore[arg-type]
    # llama-cpp-python turns it into a grammar that parses and is bounded
    gbnf = json_schema_to_gbnf(json.dumps(schema))
    LlamaGrammar.from_string(gbnf, verbose=False)
    assert max_bytes(gbnf) is not None
    pages = schema["properties"]["pages"]
    assert pages["minItems"] == pages["maxItems"] == 5
    prompt = pages["items"]["properties"]["image_prompt"]
    assert prompt["maxLength"] == BOUNDS[language].prompt
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
