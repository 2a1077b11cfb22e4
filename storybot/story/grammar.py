"""The story grammar, one per language, and the same rules as a JSON schema.

The grammar forces every mechanical rule the validator checks, so that even a model that writes
noise gives a valid story: the JSON shape, Korean text that starts with a Hangul syllable (in
`ko`), a character sheet and image prompts in printable ASCII that start with a letter, and
string bounds sized for a children's page. Its longest output fits the token budget the writers
derive from it (`gbnf.worst_case_tokens`).

`grammars/story.gbnf` (Korean, the default language) and `grammars/story.en.gbnf` are written
from here; `python -m storybot.story.grammar` writes them again after a change of the bounds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storybot.config import PROJECT_ROOT, Language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounds:
    """The most characters each string may have."""

    title: int
    cover: int  # page 0: one line that goes with the title
    text: int  # pages 1-4: two to four sentences
    sheet: int
    prompt: int


# Sized to a children's page (two to four short sentences) with room to spare, and so that the
# grammar's worst case stays under about 6,000 tokens even one byte per token.
BOUNDS: dict[str, Bounds] = {
    "ko": Bounds(title=40, cover=80, text=200, sheet=600, prompt=300),
    "en": Bounds(title=60, cover=150, text=400, sheet=600, prompt=300),
}

HANGUL_CLASS = "가-힣"
# Printable ASCII but the quote and the backslash: no escapes, so one byte per character.
ASCII_CLASS = r" !#-\[\]-~"
# Typographic punctuation Korean text uses; three bytes each, no more than a Hangul syllable.
KO_PUNCTUATION = "“”‘’…·"
# An English title or page may open with a letter, a digit or a single quote (dialogue).
EN_FIRST_CLASS = "A-Za-z0-9'"

_HEADER = """\
# storybot story JSON ({language}):
#   {{"title", "character_sheet", "pages": [5 x {{"page", "text", "image_prompt"}}]}}
# Written by storybot/story/grammar.py (python -m storybot.story.grammar); edit the bounds there.
# Keys, their order and the page numbers are fixed; every string and run of whitespace is bounded
# so the longest output fits the token budget; nothing may follow the closing brace.
# {story_rule}
# The character sheet and image prompts are printable ASCII and start with a letter.
"""

_SHAPE = r"""
root  ::= "{" ws "\"title\"" ws ":" ws title ws "," ws sheet-member ws "," ws pages ws "}"
sheet-member ::= "\"character_sheet\"" ws ":" ws sheet
pages ::= "\"pages\"" ws ":" ws "[" ws page0 ws "," ws page1 ws "," ws page2 ws "," ws last2
last2 ::= page3 ws "," ws page4 ws "]"

page0 ::= "{" ws "\"page\"" ws ":" ws "0" ws "," ws cover-body "}"
page1 ::= "{" ws "\"page\"" ws ":" ws "1" ws "," ws body "}"
page2 ::= "{" ws "\"page\"" ws ":" ws "2" ws "," ws body "}"
page3 ::= "{" ws "\"page\"" ws ":" ws "3" ws "," ws body "}"
page4 ::= "{" ws "\"page\"" ws ":" ws "4" ws "," ws body "}"
cover-body ::= "\"text\"" ws ":" ws cover ws "," ws "\"image_prompt\"" ws ":" ws prompt ws
body  ::= "\"text\"" ws ":" ws text ws "," ws "\"image_prompt\"" ws ":" ws prompt ws
"""


def story_grammar(language: Language) -> str:
    """The GBNF grammar of the story JSON for `language`."""
    b = BOUNDS[language]
    if language == "ko":
        story_rule = "Title and page text start with a Hangul syllable; then Hangul, ASCII, “”‘’…·."
        first = f"[{HANGUL_CLASS}]"
        tchar = f"[{HANGUL_CLASS}] | [{ASCII_CLASS}] | [{KO_PUNCTUATION}]"
    else:
        story_rule = "Title and page text are printable ASCII; they start with a letter or digit."
        first = f"[{EN_FIRST_CLASS}]"
        tchar = f"[{ASCII_CLASS}]"
    strings = f"""
title  ::= "\\"" tfirst tchar{{0,{b.title - 1}}} "\\""
cover  ::= "\\"" tfirst tchar{{0,{b.cover - 1}}} "\\""
text   ::= "\\"" tfirst tchar{{0,{b.text - 1}}} "\\""
sheet  ::= "\\"" letter achar{{0,{b.sheet - 1}}} "\\""
prompt ::= "\\"" letter achar{{0,{b.prompt - 1}}} "\\""

tfirst ::= {first}
tchar  ::= {tchar}
letter ::= [A-Za-z]
achar  ::= [{ASCII_CLASS}]
ws     ::= [ \\t\\n]{{0,4}}
"""
    header = _HEADER.format(language=language, story_rule=story_rule)
    return header + _SHAPE + strings


def story_schema(language: Language) -> dict[str, Any]:
    """The same rules as a JSON schema, for servers that take `response_format`.

    The bounds sit in the patterns too: llama.cpp's schema converter ignores maxLength when a
    string has a pattern.
    """
    b = BOUNDS[language]
    if language == "ko":
        first, rest = f"[{HANGUL_CLASS}]", f"[{HANGUL_CLASS}{ASCII_CLASS}{KO_PUNCTUATION}]"
    else:
        first, rest = f"[{EN_FIRST_CLASS}]", f"[{ASCII_CLASS}]"

    def story_text(limit: int) -> dict[str, Any]:
        pattern = f"^{first}{rest}{{0,{limit - 1}}}$"
        return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": pattern}

    def english(limit: int) -> dict[str, Any]:
        pattern = f"^[A-Za-z][{ASCII_CLASS}]{{0,{limit - 1}}}$"
        return {"type": "string", "minLength": 1, "maxLength": limit, "pattern": pattern}

    # One schema for every page ("items", not "prefixItems"): the form every converter reads.
    # A page numbered out of place is renumbered by the writer; the cover gets the larger bound.
    page = {
        "type": "object",
        "properties": {
            "page": {"type": "integer", "enum": list(range(5))},
            "text": story_text(max(b.cover, b.text)),
            "image_prompt": english(b.prompt),
        },
        "required": ["page", "text", "image_prompt"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": story_text(b.title),
            "character_sheet": english(b.sheet),
            "pages": {"type": "array", "items": page, "minItems": 5, "maxItems": 5},
        },
        "required": ["title", "character_sheet", "pages"],
        "additionalProperties": False,
    }


def grammar_path(configured: Path, language: Language) -> Path:
    """The grammar file for `language`: `story.en.gbnf` beside `story.gbnf` when it exists,
    else LLM_GRAMMAR itself (one grammar for every language)."""
    variant = configured.with_name(f"{configured.stem}.{language}{configured.suffix}")
    return variant if variant.is_file() else configured


def default_paths() -> dict[str, Path]:
    """Where the generated grammars live: the default language's is LLM_GRAMMAR's default."""
    folder = PROJECT_ROOT / "grammars"
    return {"ko": folder / "story.gbnf", "en": folder / "story.en.gbnf"}


def main() -> None:
    """Write the grammars of every language."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for language, path in default_paths().items():
        path.write_text(story_grammar(language), encoding="utf-8")  # type: ignore[arg-type]
        log.info("wrote %s", path)


if __name__ == "__main__":
    main()
