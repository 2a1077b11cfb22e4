"""Repairs of what a model writes, so that a story is not thrown away for a detail.

Story text loses surrounding whitespace and, past its bound, the sentences that do not fit.
The image side (character sheet, prompts) is made printable ASCII: typographic quotes and
dashes become plain ones, accents are dropped, emoji and other scripts go; a character's name
in a prompt becomes the character's description. Each function returns the repaired string and
notes in plain words of what it changed (empty when nothing was).
"""

from __future__ import annotations

import re
import unicodedata

from storybot.story.names import ARTICLES, NameBook

_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "′": "'", "“": "", "”": "", "„": "", "″": "",
        '"': "", "«": "", "»": "", "–": "-", "—": "-", "‐": "-", "−": "-",
        "…": "...", "\u00a0": " ", "\u3000": " ", "×": "x", "·": " ", "\t": " ", "\n": " ",
        "\\": " ",
    }
)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?…。~]+[\"'”’)]*(?=\s|$)")
# Whether a text ends a sentence: punctuation, or a Korean final ending without a full stop.
_ENDS_SENTENCE = re.compile(
    r"(?:[.!?…。~]+|(?<=[다요죠네까자]))[\"'”’)\]]*(?:\s*[^\w\s,;:\"'])*\s*$"
)  # a closing quote, then maybe an emoji or two (🎄)
_HANGUL_WORD = re.compile(r"[가-힣]+")
# What may open an image prompt: a letter or a digit ("3 little pigs").
_LEADING_JUNK = re.compile(r"^[^A-Za-z0-9]+")


def ends_a_sentence(text: str) -> bool:
    """Whether `text` ends a sentence (punctuation, or a Korean ending such as …답니다)."""
    return bool(_ENDS_SENTENCE.search(text.strip()))


def story_text(text: str, limit: int, whole_sentences: bool = False) -> tuple[str, list[str]]:
    """A title or page text: trimmed, and cut after its last whole sentence when it reaches
    `limit` (a grammar stops a string there, mid-word) or, with `whole_sentences`, when it
    does not end one."""
    notes = []
    trimmed = text.strip()
    if len(trimmed) >= 2 and trimmed[0] + trimmed[-1] in ('""', "“”", "**"):
        trimmed = trimmed.strip('"“”*').strip()
        notes.append("removed the quotes around it")
    unfinished = whole_sentences and not ends_a_sentence(trimmed)
    if len(trimmed) >= limit or unfinished:
        ends = [m.end() for m in _SENTENCE_END.finditer(trimmed[:limit])]
        if ends and ends[-1] < len(trimmed):
            notes.append(f"cut from {len(trimmed)} to {ends[-1]} characters (a whole sentence)")
            trimmed = trimmed[: ends[-1]].rstrip()
        elif len(trimmed) > limit:
            notes.append(f"cut from {len(trimmed)} to {limit} characters")
            trimmed = trimmed[:limit].rstrip()
    return trimmed, notes


def title(text: str, limit: int) -> tuple[str, list[str]]:
    """A title: trimmed, and at `limit` cut back to its last whole word."""
    trimmed, notes = story_text(text, limit + 1)
    if len(trimmed) >= limit and " " in trimmed[:limit]:
        cut = trimmed[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
        notes.append(f"cut from {len(trimmed)} to {len(cut)} characters (a whole word)")
        trimmed = cut
    return trimmed, notes


def english(text: str, limit: int, book: NameBook | None = None) -> tuple[str, list[str]]:
    """A character sheet or image prompt: printable ASCII, names described, within `limit`."""
    notes: list[str] = []
    text = re.sub(r"\s*\n\s*", "; ", text.strip())  # a sheet's lines stay apart as entries
    if book is not None:
        text = _korean_words(text, book, notes)
        text = _describe_names(text, book, notes)
    ascii_text = _to_ascii(text)
    if not text.isascii():
        notes.append("made plain ASCII")
    stripped = _LEADING_JUNK.sub("", ascii_text)
    if stripped != ascii_text and any(c.isalnum() for c in ascii_text):
        notes.append("dropped leading punctuation")
        ascii_text = stripped
    if len(ascii_text) >= limit:  # at the limit a grammar stopped it, maybe mid-word
        cut = ascii_text[:limit]
        comma = cut.rfind(",")
        cut = cut[:comma] if comma > limit // 2 else cut.rsplit(" ", 1)[0]
        notes.append(f"cut from {len(ascii_text)} to {len(cut)} characters")
        ascii_text = cut.rstrip(" ,;")
    return ascii_text, notes


def _to_ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY))
    text = "".join(c for c in text if c.isascii() and (c.isprintable()))
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;])(?:\s*[,;])+", r"\1", text)  # ", ," left where something was dropped
    # "the a small squirrel", left where a name after an article became a description
    text = re.sub(r"\b(?:a|an|the) ((?:a|an|the) )", r"\1", text, flags=re.IGNORECASE)
    return text.strip()


def _korean_words(text: str, book: NameBook, notes: list[str]) -> str:
    """Korean words (a server without the grammar may let them through): a character's name
    becomes the character's description; anything else is dropped by `_to_ascii`."""

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        for base, character in book.korean.items():
            if word.startswith(base):
                notes.append(f"described {word} instead of naming them")
                return character.description
        return word

    return _HANGUL_WORD.sub(replace, text)


def _describe_names(text: str, book: NameBook, notes: list[str]) -> str:
    """Each name becomes its character's description; a second mention or a possessive
    becomes "the <noun>" so the prompt does not grow with every mention."""
    spans = book.find(text)
    if not spans:
        return text
    out = []
    position = 0
    described: set[str] = set()
    for start, end, character in spans:
        before = text[position:start]
        possessive = text[end : end + 2] in ("'s", "’s")
        words = before.rstrip().rsplit(" ", 1)
        if words[-1].lower() in ARTICLES and before.endswith(" "):
            before = before.rstrip()[: -len(words[-1])]  # "the Horangi" -> "the <description>"
        out.append(before)
        first = character.name not in described and not possessive
        out.append(character.description if first else character.head)
        if first:
            described.add(character.name)
        notes.append(f"described {text[start:end]} instead of naming them")
        position = end
    out.append(text[position:])
    return "".join(out)
