"""The child-safety screen: what a picture-book bot for children aged 4 to 8 turns down.

`screen` looks at a request before any GPU time is spent; `screen_page` and `screen_story` apply
the same screen to what the LLM wrote (a page's Korean or English text and its English image
prompt), so an unsafe page is never shown, narrated or painted.

Matching works on several normalised views of the text (see `_normalise`): NFKC, lower case and
no accents, jamo composed into syllables, marks and stray jamo inside a Korean word dropped, a
drawn-out vowel cut, leetspeak read as letters, letters typed apart joined into the word they
spell, and Korean words typed apart joined (a match across a gap counts only when it begins and
ends where typed words do, so innocent neighbours never meet into a refused word). Korean is
matched on Kiwi's morphological analysis (a verb by its stem, in any ending), English as whole
words with their inflections; acts that need a sentence (a jump from a bridge, drinking till
one drops, an animal smoking, sexual acts in everyday words) are read in their sentence
(`_korean_rules`, `_english_acts`), and so are the kinds of a second round (`_korean_acts`,
`_english_more`: sleeping with an adult partner, groping, a wedding night, a rope round the
neck, lying on the tracks, a child or an animal drinking, stamping on a friend, "mexicans are
dirty"); swear words typed partly as initials (`ㅆ발`, `개ㅅ끼`) are read by `_slang`.
Innocent phrases that contain a refused word (마약김밥, killer whale, water gun, shooting star,
a frog jumping into a pond, 엄마랑 자는 아기, a naked statue) are known by their context.
Killing is refused whoever is killed, so "용을 죽이는 기사" is refused and "용을 물리친 기사"
(defeating the dragon) is not, nor a knight who *slays* a dragon or an ogre (a tale's word);
classic tales whose villains eat or chase are allowed. The third round (`_korean_harm`,
`_english_harm`) reads harm by its outcome, its means or its method said indirectly: a beating
that ends in blood, a club, a tail set on fire, a suicide note by a bridge, a spiked drink, a
grown-up's secret with a child, a people said to rule the world.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import storybot.safety._english as english
import storybot.safety._korean as korean
from storybot.models import Story, StoryRequest
from storybot.safety._categories import CATEGORIES, Hit
from storybot.safety._english_harm import find_emoji
from storybot.safety._normalise import (
    CHOSEONG,
    JONGSEONG,
    JUNGSEONG,
    base,
    echoed,
    korean_runs,
    leet_variants,
    spaced_words,
    spelled_out,
    unhyphenated,
)
from storybot.safety._slang import WORDS as SLANG_WORDS
from storybot.safety._slang import find_initials
from storybot.texts import text

__all__ = [
    "CATEGORIES",
    "CHOSEONG",
    "JONGSEONG",
    "JUNGSEONG",
    "PAGE_REFUSAL_EN",
    "PAGE_REFUSAL_KO",
    "REFUSAL_EN",
    "REFUSAL_KO",
    "SLANG_WORDS",
    "Hit",
    "Verdict",
    "base",
    "leet_variants",
    "screen",
    "screen_page",
    "screen_story",
    "screen_text",
    "spaced_words",
    "warm_up",
]

log = logging.getLogger(__name__)

# The refusals a user reads live in the catalogue; these names are kept for the CLI and tests.
REFUSAL_KO = text("ko", "safety.request")
REFUSAL_EN = text("en", "safety.request")
PAGE_REFUSAL_KO = text("ko", "safety.page")
PAGE_REFUSAL_EN = text("en", "safety.page")
HANGUL = re.compile("[가-힣ㄱ-ㆎ]")
# Initials (any jamo block) or an 8 that may stand for a syllable of a swear word.
INITIALS = re.compile("[ㄱ-ㅎ\u1100-\u11ff\uffa0-\uffdc8]")


@dataclass(frozen=True)
class Verdict:
    """The screen's answer: allowed, or refused with the category and a friendly message."""

    allowed: bool
    category: str | None = None
    term: str | None = None
    message: str = ""


def screen_text(text: str) -> Hit | None:
    """The first refused word in `text` (any language), as (category, term); None if clean."""
    hit = find_emoji(text)
    if hit:
        return hit
    view = base(text)
    spaced = spaced_words(view)
    variants = (view, *leet_variants(view), *spelled_out(view, spaced), *unhyphenated(view))
    for variant in variants:
        hit = english.find(variant)
        if hit:
            return hit
    for word in spaced:
        hit = english.find(word.word) if word.script == "en" else None
        hit = hit or (korean.find_substring(word.word, alone=True) if word.script == "ko" else None)
        if hit:
            return hit
    if not HANGUL.search(view):
        return None  # English only (image prompts): Kiwi has nothing to add
    if INITIALS.search(text):
        hit = find_initials(view) or find_initials(base(text, inside=False))
        if hit:
            return hit
    drawn_out = echoed(view)
    views = [view] if drawn_out == view else [view, drawn_out]
    for each in views:
        hit = korean.find_substring(each)
        if hit:
            return hit
    spaced_ko = [w.word for w in spaced if w.script == "ko"]
    runs = korean_runs(view)
    analysed = korean.analyse([*views, *spaced_ko, *(run.text for run in runs)])
    whole, alone, joined = (
        analysed[: len(views)],
        analysed[len(views) : len(views) + len(spaced_ko)],
        analysed[len(views) + len(spaced_ko) :],
    )
    for tokens in whole:
        hit = korean.find(tokens)
        if hit:
            return hit
    for tokens in alone:
        hit = korean.find_alone(tokens)
        if hit:
            return hit
    for run, tokens in zip(runs, joined, strict=True):
        hit = korean.find_joined(run, tokens)
        if hit:
            return hit
    return None


def screen(request: StoryRequest, enabled: bool = True) -> Verdict:
    """Screen the four answers together; a refusal speaks the request's language."""
    if not enabled:
        return Verdict(True)
    # Fields are joined with ", " so that letters typed apart never join across two fields.
    text = ", ".join((request.era, request.place, request.characters, request.topic))
    return _verdict(screen_text(text), REFUSAL_EN if request.language == "en" else REFUSAL_KO)


def screen_page(text: str, image_prompt: str, language: str = "ko") -> Verdict:
    """Screen one page the LLM wrote: its text and its English image prompt."""
    hit = screen_text(text) or screen_text(image_prompt)
    return _verdict(hit, PAGE_REFUSAL_EN if language == "en" else PAGE_REFUSAL_KO, "page")


def screen_story(story: Story, language: str = "ko") -> Verdict:
    """Screen a whole story: title, character sheet and every page."""
    hit = screen_text(story.title) or screen_text(story.character_sheet)
    for page in story.pages:
        hit = hit or screen_text(page.text) or screen_text(page.image_prompt)
    return _verdict(hit, PAGE_REFUSAL_EN if language == "en" else PAGE_REFUSAL_KO, "story")


def warm_up() -> None:
    """Load the Korean analyzer now, so the first screen does not pay for it."""
    screen_text("따뜻한 이야기")


def _verdict(hit: Hit | None, message: str, what: str = "request") -> Verdict:
    if hit is None:
        return Verdict(True)
    log.info("safety: %s refused (%s: %r)", what, hit.category, hit.term)
    return Verdict(False, hit.category, hit.term, message)
