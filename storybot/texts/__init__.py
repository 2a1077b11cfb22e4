"""The catalogue of every text a user reads, one module per language, looked up by key.

Korean is the default: a key missing from another language falls back to it, and a test
keeps the two catalogues' keys and placeholders the same."""

from __future__ import annotations

from storybot.texts import en, ko

Locale = str  # "ko" or "en"
CATALOGUES: dict[Locale, dict[str, str]] = {"ko": ko.TEXTS, "en": en.TEXTS}

__all__ = ["CATALOGUES", "Locale", "text"]


def text(locale: Locale, key: str, **values: object) -> str:
    """The text `key` in `locale` (Korean when the locale is unknown), filled in."""
    table = CATALOGUES.get(locale, ko.TEXTS)
    return table.get(key, ko.TEXTS[key]).format(**values)
