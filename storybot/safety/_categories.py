"""The categories the screen refuses, and what a match reports."""

from __future__ import annotations

from typing import NamedTuple

VIOLENCE = "violence"
WEAPONS = "weapons"
SEXUAL = "sexual"
DRUGS = "drugs"  # and alcohol abuse, drunken violence
SELF_HARM = "self-harm"
HATE = "hate"
PROFANITY = "profanity"
CATEGORIES = (VIOLENCE, WEAPONS, SEXUAL, DRUGS, SELF_HARM, HATE, PROFANITY)


class Hit(NamedTuple):
    """A refused word: its category and the word as the matcher knows it."""

    category: str
    term: str
