"""The bot's language: which catalogue a Discord client reads (`locale_of`), the slash commands'
names and descriptions, and the command translator. The texts themselves are `storybot.texts`."""

from __future__ import annotations

import discord
from discord import app_commands

from storybot.texts import Locale, text

__all__ = [
    "COMMAND_TEXTS",
    "Locale",
    "StoryTranslator",
    "command_description",
    "command_name",
    "locale_of",
    "text",
]


# The slash commands' names, descriptions and option descriptions, by key: one definition of
# each. A name's default is its English form (what the code calls it; Korean clients get the
# Korean one); a description's default is Korean (English clients get the English one).
COMMAND_TEXTS: dict[str, dict[Locale, str]] = {
    "story.name": {"en": "story", "ko": "동화"},
    "story.description": {
        "ko": "그림책을 만들어요: 시대, 장소, 등장인물, 주제를 알려 주세요",
        "en": "Make a picture book: tell me the era, place, characters and topic",
    },
    "story.era.name": {"en": "era", "ko": "시대"},
    "story.era.description": {
        "ko": "이야기의 시대 (예: 조선시대)",
        "en": "When the story happens (e.g. long ago)",
    },
    "story.place.name": {"en": "place", "ko": "장소"},
    "story.place.description": {
        "ko": "이야기의 장소 (예: 궁궐)",
        "en": "Where it happens (e.g. a palace)",
    },
    "story.characters.name": {"en": "characters", "ko": "등장인물"},
    "story.characters.description": {
        "ko": "등장인물 (예: 호랑이, 토끼)",
        "en": "Who is in it (e.g. a tiger and a rabbit)",
    },
    "story.topic.name": {"en": "topic", "ko": "주제"},
    "story.topic.description": {
        "ko": "주제 (예: 우정)",
        "en": "What it is about (e.g. friendship)",
    },
    "story.voice.name": {"en": "voice", "ko": "목소리"},
    "story.voice.description": {
        "ko": "낭독 목소리 (M1–M5, F1–F5)",
        "en": "Narrator voice (M1–M5, F1–F5)",
    },
    "story.narration.name": {"en": "narration", "ko": "낭독"},
    "story.narration.description": {"ko": "목소리로 읽어 줄까요?", "en": "Read it aloud?"},
    "story.style.name": {"en": "style", "ko": "그림체"},
    "story.style.description": {
        "ko": "그림체 (기본: 수채화)",
        "en": "Picture style (default: watercolor)",
    },
    "story.age.name": {"en": "age", "ko": "나이"},
    "story.age.description": {
        "ko": "읽을 아이의 나이 (기본: 4~8세)",
        "en": "Age of the young reader (default: 4–8)",
    },
    "story.sequel.name": {"en": "sequel", "ko": "다음이야기"},
    "story.sequel.description": {
        "ko": "내 그림책의 다음 이야기 (같은 친구들, 같은 그림체)",
        "en": "The next adventure of one of my books (same friends, same look)",
    },
    "books.name": {"en": "books", "ko": "내책"},
    "books.description": {
        "ko": "내가 만든 그림책을 보고 DM으로 다시 받아요",
        "en": "See my picture books and get one in DMs again",
    },
}


def command_name(key: str) -> app_commands.locale_str:
    """A command or option name by key: English by default, Korean for Korean clients."""
    return app_commands.locale_str(COMMAND_TEXTS[key]["en"], key=key)


def command_description(key: str) -> app_commands.locale_str:
    """A command or option description by key: Korean by default, English for English ones."""
    return app_commands.locale_str(COMMAND_TEXTS[key]["ko"], key=key)


def locale_of(value: discord.Locale | str | None) -> Locale:
    """ "en" for English-speaking Discord clients, Korean for everyone else."""
    return "en" if str(value or "").startswith("en") else "ko"


class StoryTranslator(app_commands.Translator):
    """The command texts of COMMAND_TEXTS by key; choices carry their English label along."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        if locale in (discord.Locale.american_english, discord.Locale.british_english):
            language: Locale = "en"
        elif locale is discord.Locale.korean:
            language = "ko"
        else:
            return None  # Discord shows the default
        key = string.extras.get("key")
        if key is not None:
            translated = COMMAND_TEXTS[key].get(language)
        else:  # a style or age choice: Korean by default, its English label with it
            translated = string.extras.get(language)
        return None if translated == string.message else translated
