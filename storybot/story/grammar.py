"""The story grammar, one per language and age band, and the same rules as a JSON schema.

The grammar forces every mechanical rule the validator checks, so that even a model that writes
noise gives a valid story: the JSON shape, Korean text that starts with a Hangul syllable (in
`ko`), a character sheet and image prompts in printable ASCII that start with a letter, and
string bounds sized for a children's page. Its longest output fits the token budget the writers
derive from it (`gbnf.worst_case_tokens`).

The page bounds follow the age band (`storybot.models.AgeBand`): shorter pages for 3-5, a little
more room for 7-10. `grammars/story.gbnf` (Korean, the default language, band 4-8) and
`grammars/story.en.gbnf` are written from here, with a file per other band beside them
(`story.3-5.gbnf`, `story.en.3-5.gbnf`, ...); `python -m storybot.story.grammar` writes them all
again after a change of the bounds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storybot.models import AGE_BANDS, DEFAULT_AGE, LANGUAGES, AgeBand, Language
from storybot.paths import GRAMMARS_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bounds:
    """The most characters each string may have."""

    title: int
    cover: int  # page 0: one line that goes with the title
    text: int  # pages 1-4: two to four sentences
    sheet: int
    prompt: int


GrammarKey = tuple[Language, AgeBand]
"""What a story grammar is chosen by: the request's language and age band."""

# Sized to a children's page with room to spare (3-5: two or three very short sentences; 4-8:
# two to four short ones; 7-10: three to five), and so that the grammar's worst case stays
# under about 6,500 tokens even at one byte per token (Korean: three bytes a syllable).
BAND_BOUNDS: dict[GrammarKey, Bounds] = {
    ("ko", "3-5"): Bounds(title=40, cover=60, text=120, sheet=600, prompt=300),
    ("ko", "4-8"): Bounds(title=40, cover=80, text=200, sheet=600, prompt=300),
    ("ko", "7-10"): Bounds(title=40, cover=100, text=280, sheet=600, prompt=300),
    ("en", "3-5"): Bounds(title=60, cover=120, text=250, sheet=600, prompt=300),
    ("en", "4-8"): Bounds(title=60, cover=150, text=400, sheet=600, prompt=300),
    ("en", "7-10"): Bounds(title=60, cover=180, text=550, sheet=600, prompt=300),
}
# The default band's bounds by language (what a grammar file without a band is written with).
BOUNDS: dict[Language, Bounds] = {lang: BAND_BOUNDS[(lang, DEFAULT_AGE)] for lang in LANGUAGES}

HANGUL_CLASS = "가-힣"
# Printable ASCII but the quote and the backslash: no escapes, so one byte per character.
ASCII_CLASS = r" !#-\[\]-~"
# Typographic punctuation Korean text uses; three bytes each, no more than a Hangul syllable.
KO_PUNCTUATION = "“”‘’…·"
# Korean text takes ASCII digits, spaces and punctuation, but no Latin letters: a Korean page
# holds Korean (a model that drifts into English cannot, under the grammar).
KO_ASCII_CLASS = r" !#-@\[\]-`{-~"
# An English title or page may open with a letter, a digit or a single quote (dialogue).
EN_FIRST_CLASS = "A-Za-z0-9'"

_HEADER = """\
# storybot story JSON ({language}, ages {band}):
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


def story_grammar(language: Language, band: AgeBand = DEFAULT_AGE) -> str:
    """The GBNF grammar of the story JSON for `language` and the age band `band`."""
    b = BAND_BOUNDS[(language, band)]
    if language == "ko":
        story_rule = (
            "Title and page text start with a Hangul syllable; then Hangul, ASCII digits and "
            "punctuation (no Latin letters), “”‘’…·."
        )
        first = f"[{HANGUL_CLASS}]"
        tchar = f"[{HANGUL_CLASS}] | [{KO_ASCII_CLASS}] | [{KO_PUNCTUATION}]"
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
    header = _HEADER.format(language=language, band=band, story_rule=story_rule)
    return header + _SHAPE + strings


def story_schema(language: Language, band: AgeBand = DEFAULT_AGE) -> dict[str, Any]:
    """The same rules as a JSON schema, for servers that take `response_format`.

    The bounds sit in the patterns too: llama.cpp's schema converter ignores maxLength when a
    string has a pattern.
    """
    b = BAND_BOUNDS[(language, band)]
    if language == "ko":
        first, rest = f"[{HANGUL_CLASS}]", f"[{HANGUL_CLASS}{KO_ASCII_CLASS}{KO_PUNCTUATION}]"
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


def grammar_path(configured: Path, language: Language, band: AgeBand = DEFAULT_AGE) -> Path:
    """The grammar file for `language` and `band`, the first that exists beside LLM_GRAMMAR
    (`story.gbnf`): `story.en.3-5.gbnf`, `story.en.gbnf`, `story.3-5.gbnf`, else LLM_GRAMMAR
    itself (one grammar for every language and band)."""
    stem, suffix = configured.stem, configured.suffix
    for infix in (f"{language}.{band}", language, band):
        variant = configured.with_name(f"{stem}.{infix}{suffix}")
        if variant.is_file():
            return variant
    return configured


def default_paths() -> dict[GrammarKey, Path]:
    """Where the generated grammars live: Korean at the default band is LLM_GRAMMAR's default;
    the other languages and bands are its variants (see `grammar_path`)."""
    folder = GRAMMARS_DIR
    paths = {}
    for language in LANGUAGES:
        for band in AGE_BANDS:
            lang = "" if language == "ko" else f".{language}"
            age = "" if band == DEFAULT_AGE else f".{band}"
            paths[(language, band)] = folder / f"story{lang}{age}.gbnf"
    return paths


def main() -> None:
    """Write the grammars of every language and band."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for (language, band), path in default_paths().items():
        path.write_text(story_grammar(language, band), encoding="utf-8")
        log.info("wrote %s", path)


if __name__ == "__main__":
    main()
