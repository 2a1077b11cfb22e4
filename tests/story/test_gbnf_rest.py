"""The grammar of the rest of an answer (storybot.story.gbnf_rest), on the real story grammars,
on small grammars checked against Python's `re`, through llama.cpp's grammar parser, and once
end to end: the tiny model resumes a story under the remainder grammar."""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from llama_cpp import Llama, LlamaGrammar
from llama_cpp.llama_grammar import json_schema_to_gbnf

from storybot.models import AGE_BANDS
from storybot.story.gbnf import GrammarSyntaxError, max_bytes, worst_case_tokens
from storybot.story.gbnf_rest import accepts, remainder_grammar
from storybot.story.grammar import (
    BAND_BOUNDS,
    LANGUAGES,
    GrammarKey,
    default_paths,
    story_grammar,
    story_schema,
)
from tests.support.stories import story, with_page

log = logging.getLogger(__name__)

KEYS: list[GrammarKey] = [(language, band) for language in LANGUAGES for band in AGE_BANDS]
# Characters no story grammar allows anywhere: outside Hangul, printable ASCII and “”‘’…·.
NEVER = ["🦊", "é", "中", "\x00", "\r", "\u3000", "ㄱ"]


@cache
def grammar_text(key: GrammarKey) -> str:
    """The grammar file the writers load for a language and an age band."""
    return default_paths()[key].read_text(encoding="utf-8")


@cache
def parses_in_llama_cpp(grammar: str) -> bool:
    """Whether llama.cpp's own GBNF parser reads `grammar` (it raises ValueError if not)."""
    LlamaGrammar.from_string(grammar, verbose=False)
    return True


def story_texts(key: GrammarKey) -> list[str]:
    """The sample story as models write it: compact, and one space per indent level (the most
    the grammar's `ws` allows at the deepest level, "\\n" and three spaces)."""
    data = story(key[0])
    return [json.dumps(data, ensure_ascii=False, indent=indent) for indent in (None, 1)]


def test_grammar_files_are_the_generated_grammars() -> None:
    for key in KEYS:
        assert grammar_text(key) == story_grammar(*key)


@pytest.mark.parametrize("key", KEYS)
def test_real_stories_are_accepted_and_broken_ones_refused(key: GrammarKey) -> None:
    grammar = grammar_text(key)
    language = key[0]
    for text in story_texts(key):
        assert accepts(grammar, text)
        assert not accepts(grammar, text[:-1])
        assert not accepts(grammar, text + " ")  # nothing may follow the closing brace
        assert remainder_grammar(grammar, text) == 'root ::= ""\n'
    data = story(language)
    bound = BAND_BOUNDS[key].title
    wrong = [
        with_page(data, 2, page=3),  # page numbers are fixed
        story(language, title=data["title"][0] * (bound + 1)),  # past the title's bound
        story(language, character_sheet="1 " + data["character_sheet"]),  # must start a letter
        {key: data[key] for key in ("character_sheet", "title", "pages")},  # keys in order
        {**data, "pages": data["pages"][:4]},
    ]
    for broken in wrong:
        assert not accepts(grammar, json.dumps(broken, ensure_ascii=False))
    # The default indent (2) runs past `ws` ([ \t\n]{0,4}) inside the pages: "\n" + 6 spaces.
    assert not accepts(grammar, json.dumps(data, ensure_ascii=False, indent=2))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), indented=st.booleans(), data=st.data())
def test_every_split_of_a_story_continues(
    key: GrammarKey, indented: bool, data: st.DataObject
) -> None:
    grammar = grammar_text(key)
    text = story_texts(key)[indented]
    split = data.draw(st.integers(0, len(text)), label="split")
    rest = remainder_grammar(grammar, text[:split])
    assert accepts(rest, text[split:])
    assert not accepts(rest, text[split:] + "}")
    if text[split : split + 1] in tuple('{}[]"'):  # none of these is inside a story's strings
        assert not accepts(rest, text[split + 1 :])  # a bracket or a quote short
    assert parses_in_llama_cpp(rest)
    # The remainder's own bound is the original's less (at least) the bytes already written.
    longest = max_bytes(grammar)
    assert longest is not None
    assert max_bytes(rest) <= longest - len(text[:split].encode("utf-8"))


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    indented=st.booleans(),
    wrong=st.sampled_from(NEVER),
    data=st.data(),
)
def test_a_character_the_grammar_never_allows_is_refused(
    key: GrammarKey, indented: bool, wrong: str, data: st.DataObject
) -> None:
    grammar = grammar_text(key)
    text = story_texts(key)[indented]
    split = data.draw(st.integers(0, len(text)), label="split")
    with pytest.raises(ValueError, match="no string of the grammar"):
        remainder_grammar(grammar, text[:split] + wrong)
    assert not accepts(remainder_grammar(grammar, text[:split]), wrong + text[split:])


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(KEYS),
    replacement=st.sampled_from(list('{}[]:,"0 ab가\n')),
    data=st.data(),
)
def test_corrupted_json_is_refused_by_both(
    key: GrammarKey, replacement: str, data: st.DataObject
) -> None:
    grammar = grammar_text(key)
    text = story_texts(key)[0]
    at = data.draw(st.integers(0, len(text) - 1), label="at")
    corrupted = text[:at] + replacement + text[at + 1 :]
    try:
        json.loads(corrupted)
    except json.JSONDecodeError:
        assert not accepts(grammar, corrupted)
    split = data.draw(st.integers(0, at), label="split")
    whole = accepts(grammar, corrupted)
    assert accepts(remainder_grammar(grammar, corrupted[:split]), corrupted[split:]) == whole


def test_the_schema_converters_grammar_splits_too() -> None:
    """llama.cpp's own schema converter nests `x{0,n}` as n optional groups: deep trees."""
    grammar = json_schema_to_gbnf(json.dumps(story_schema("ko")))
    text = json.dumps(story("ko"), ensure_ascii=False)
    assert accepts(grammar, text)
    for split in (0, 9, 400, 777, len(text) - 10, len(text) - 1):
        rest = remainder_grammar(grammar, text[:split])
        assert accepts(rest, text[split:])
        assert not accepts(rest, text[split:-1])  # without the closing brace
        assert parses_in_llama_cpp(rest)


def test_a_prefix_that_leaves_the_grammar_raises() -> None:
    grammar = grammar_text(("ko", "4-8"))
    for prefix in ('{"title": "Tiger', '{"name"', '{"title": "호랑이"}', "[", " {"):
        with pytest.raises(ValueError, match="no string of the grammar"):
            remainder_grammar(grammar, prefix)


def test_unreadable_grammars_raise_syntax_errors() -> None:
    for grammar in ('root ::= "a', "root ::= missing", "root = 'a'", r"root ::= [\xZZ]"):
        with pytest.raises(GrammarSyntaxError):
            remainder_grammar(grammar, "")
    with pytest.raises(GrammarSyntaxError, match="no 'story' rule"):
        remainder_grammar('root ::= "a"', "", root="story")
    with pytest.raises(GrammarSyntaxError, match="left-recursive"):
        accepts('root ::= root "a" | "b"', "ba")


# Small grammars and the same language as a Python regular expression.
SMALL: list[tuple[str, str]] = [
    ('root ::= "a" [b-d]* ("x" | "yz"){1,3}', r"a[b-d]*(?:x|yz){1,3}"),
    ("root ::= [^a-c]+ [a]?", r"[^a-c]+a?"),
    ('root ::= ("ab" | "a")* "b"', r"(?:ab|a)*b"),
    ('root ::= item{2} item{0,}\nitem ::= "a" | "b" "c"?', r"(?:a|bc?){2}(?:a|bc?)*"),
    ('root ::= x{2,4} "!"?\nx ::= ( [ab] ( "c" | "" ) )', r"(?:[ab]c?){2,4}!?"),
    ('root ::= list\nlist ::= item ("," list)?\nitem ::= [ab]+', r"[ab]+(?:,[ab]+)*"),
    ('root ::= "\\"" ( [^"\\\\] | "\\\\" ["\\\\n] )* "\\""', r'"(?:[^"\\]|\\["\\n])*"'),
    (
        "root ::= [\\x61-\\x62] [\\u00e9\\t] .",
        r"[ab][é\t].",
    ),
    ('root ::= ws "a" ws "b"\nws ::= [ ]{0,2}', r" {0,2}a {0,2}b"),
    ('root ::= ("a" | "b"){0,3} "a"', r"[ab]{0,3}a"),
    ('root ::= [a ]{0,3} [ ]{1,2} "b"', r"[a ]{0,3} {1,2}b"),
    ('root ::= "a"{0,2} ("a" | "b")+ "a"{2,} "z"?', r"a{0,2}[ab]+a{2,}z?"),
]
ALPHABET = 'abcxyz!,"\\n\t é'


def viable(pattern: re.Pattern[str], prefix: str, longest: int = 4) -> bool:
    """Whether some string of at most `longest` more characters completes `prefix`."""
    letters = sorted(set(ALPHABET))
    for size in range(longest + 1):
        for tail in itertools.product(letters, repeat=size):
            if pattern.fullmatch(prefix + "".join(tail)):
                return True
    return False


@settings(max_examples=400, deadline=None)
@given(case=st.sampled_from(SMALL), text=st.text(alphabet=ALPHABET, max_size=10), data=st.data())
def test_small_grammars_agree_with_regular_expressions(
    case: tuple[str, str], text: str, data: st.DataObject
) -> None:
    grammar, regex = case
    pattern = re.compile(regex, re.DOTALL)
    whole = pattern.fullmatch(text) is not None
    assert accepts(grammar, text) == whole
    split = data.draw(st.integers(0, len(text)), label="split")
    try:
        rest = remainder_grammar(grammar, text[:split])
    except ValueError:
        assert not whole
        assert not viable(pattern, text[:split], longest=2)
        return
    assert accepts(rest, text[split:]) == whole
    assert parses_in_llama_cpp(rest)


@pytest.mark.parametrize(("grammar", "regex"), SMALL)
def test_small_grammars_print_for_llama_cpp(grammar: str, regex: str) -> None:
    assert parses_in_llama_cpp(remainder_grammar(grammar, ""))
    examples = [t for n in range(5) for t in map("".join, itertools.product("ab", repeat=n))]
    for prefix in examples:
        try:
            assert parses_in_llama_cpp(remainder_grammar(grammar, prefix))
        except ValueError:
            assert not viable(re.compile(regex, re.DOTALL), prefix, longest=3)


def test_recursion_nests_and_the_original_root_is_renamed() -> None:
    grammar = 'root ::= "[" (root ("," root)*)? "]" | "x"'
    assert accepts(grammar, "[x,[x,[]],x]")
    assert not accepts(grammar, "[x,[x,[]],x")
    rest = remainder_grammar(grammar, "[x,[x,[")
    assert accepts(rest, "]],x]")
    assert not accepts(rest, "]]")
    assert "root-0 ::=" in rest and parses_in_llama_cpp(rest)
    assert "root-1 ::=" in remainder_grammar(grammar + "\nroot-0 ::= [a]", "[")


def test_bounded_repetitions_stay_symbolic() -> None:
    grammar = grammar_text(("ko", "4-8"))
    text = story_texts(("ko", "4-8"))[1]
    start = text.index('"text"', text.index('"page": 2'))
    prefix = text[: start + len('"text": "') + 7]  # seven syllables into page 2's text
    rest = remainder_grammar(grammar, prefix)
    assert rest.startswith("root ::= tchar{0,193} ")
    assert len(rest) < 2 * len(grammar)


def longest_story(key: GrammarKey) -> str:
    """The story with every string at its bound and four characters in every `ws` around a
    comma or a colon: about the longest prefix a writer can have."""
    b = BAND_BOUNDS[key]
    word = "가" if key[0] == "ko" else "a"

    def page(number: int, size: int) -> dict[str, Any]:
        return {"page": number, "text": word * size, "image_prompt": "p" * b.prompt}

    data = {
        "title": word * b.title,
        "character_sheet": "s" * b.sheet,
        "pages": [page(0, b.cover), *(page(n, b.text) for n in range(1, 5))],
    }
    return json.dumps(data, ensure_ascii=False, separators=("    ,    ", "    :    "))


def test_a_whole_story_prefix_derives_quickly() -> None:
    for key in KEYS:
        grammar = grammar_text(key)
        text = longest_story(key)
        assert accepts(grammar, text)
        started = time.perf_counter()
        rest = remainder_grammar(grammar, text[:-3])
        elapsed = time.perf_counter() - started
        log.info("%s: a %d-character prefix in %.1f ms", key, len(text) - 3, elapsed * 1e3)
        assert accepts(rest, text[-3:])
    assert len(longest_story(("en", "7-10"))) > 5_000


def test_the_tiny_model_resumes_a_story(tiny_gguf: Path) -> None:
    grammar = grammar_text(("ko", "4-8"))
    text = story_texts(("ko", "4-8"))[1]
    prefix = text[: text.index('"text"', text.index('"page": 3')) + len('"text": "') + 3]
    rest = remainder_grammar(grammar, prefix)
    budget = worst_case_tokens(rest)
    whole_budget = worst_case_tokens(grammar)
    assert budget is not None and whole_budget is not None and budget < whole_budget
    llama = Llama(model_path=str(tiny_gguf), n_ctx=8192, n_threads=2, verbose=False, seed=7)
    started = time.perf_counter()
    answer = llama.create_completion(
        prompt="Write a story as JSON.\n" + prefix,
        grammar=LlamaGrammar.from_string(rest, verbose=False),
        max_tokens=budget,
        temperature=0.8,
        seed=7,
    )
    elapsed = time.perf_counter() - started
    output = answer["choices"][0]["text"]
    log.info("resumed %d characters in %.1f s (budget %d tokens)", len(output), elapsed, budget)
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert accepts(grammar, prefix + output)
    assert json.loads(prefix + output)["pages"][4]["page"] == 4
