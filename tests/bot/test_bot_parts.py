"""The Discord layer's plain parts: texts, the builder's state, the book message's lines,
splitting a book into DMs (narration as Opus), shrinking a picture that is too big."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import discord
import numpy as np
import pytest
import soundfile
from discord import app_commands

from storybot.bot.book_message import duration, progress_bar, stage_line
from storybot.bot.builder import StoryBuilder
from storybot.bot.command_sync import digest_path, tree_digest
from storybot.bot.delivery import book_messages
from storybot.bot.i18n import (
    COMMAND_TEXTS,
    StoryTranslator,
    command_description,
    command_name,
    locale_of,
    text,
)
from storybot.bot.media import fit_image
from storybot.models import Book, Stage, Story
from storybot.texts import CATALOGUES
from tests.support.fake_comfyui import png
from tests.support.stories import story


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_text_exists_in_both_languages() -> None:
    assert CATALOGUES["ko"].keys() == CATALOGUES["en"].keys()
    for key, korean in CATALOGUES["ko"].items():
        assert _placeholders(korean) == _placeholders(CATALOGUES["en"][key]), key
    assert text("ko", "book.queued", position=2) == "⏳ 차례를 기다리고 있어요: 2번째"
    assert text("en", "builder.heard", text="the Joseon era", confidence=0.92) == (
        "🎤 I heard: 'the Joseon era' (92%)"
    )
    assert text("ko", "builder.heard", text="조선시대", confidence=0.92) == (
        "🎤 들었어요: '조선시대' (92%)"
    )


def test_locale_of_discord_locales() -> None:
    assert locale_of(discord.Locale.american_english) == "en"
    assert locale_of(discord.Locale.british_english) == "en"
    assert locale_of(discord.Locale.korean) == "ko"
    assert locale_of(discord.Locale.japanese) == "ko" and locale_of(None) == "ko"


async def test_translator_localises_commands_by_key() -> None:
    translator = StoryTranslator()
    context = app_commands.TranslationContext(
        app_commands.TranslationContextLocation.command_name, None
    )
    name = command_name("story.name")
    assert name.message == "story"  # the default Discord falls back to
    assert await translator.translate(name, discord.Locale.korean, context) == "동화"
    assert await translator.translate(name, discord.Locale.american_english, context) is None
    description = command_description("story.topic.description")
    assert description.message == "주제 (예: 우정)"
    english = await translator.translate(description, discord.Locale.american_english, context)
    assert english == "What it is about (e.g. friendship)"
    assert await translator.translate(description, discord.Locale.korean, context) is None
    assert await translator.translate(name, discord.Locale.french, context) is None
    choice = app_commands.locale_str("크레용", en="Crayon")  # a style choice
    assert await translator.translate(choice, discord.Locale.british_english, context) == "Crayon"
    assert all(texts.keys() == {"ko", "en"} for texts in COMMAND_TEXTS.values())


def test_command_tree_digest_is_stable_and_sees_every_change(tmp_path: Path) -> None:
    payload = [{"name": "story", "options": [{"name": "era", "type": 3}], "nsfw": False}]
    reordered = [{"nsfw": False, "options": [{"type": 3, "name": "era"}], "name": "story"}]
    digest = tree_digest(1, None, payload)
    assert digest == tree_digest(1, None, reordered) and len(digest) == 64
    changed = [{**payload[0], "description_localizations": {"en-US": "Make a book"}}]
    assert tree_digest(1, None, changed) != digest
    assert tree_digest(2, None, payload) != digest  # another application
    assert tree_digest(1, 5, payload) != digest  # one guild's commands
    assert digest_path(tmp_path, None).name == "command_tree.sha256"
    assert digest_path(tmp_path, 5).name == "command_tree.5.sha256"


def test_progress_bar_and_stage_lines() -> None:
    assert progress_bar(2) == "■■□□□ 2/5"
    assert progress_bar(5) == "■■■■■ 5/5"
    assert duration(75) == "1:15"
    assert stage_line("ko", Stage.PANEL_3) == "🎨 3쪽 그림을 그리고 있어요"
    assert stage_line("en", Stage.COVER) == "🎨 Painting the cover"


def test_builder_fills_the_chosen_then_the_first_empty_field() -> None:
    builder = StoryBuilder(requester_id=1, channel_id=2, locale="ko")
    assert builder.next_field() == "era" and not builder.complete
    builder.fill("era", "조선시대")
    builder.target = "topic"
    assert builder.next_field() == "topic"
    builder.fill("topic", "우정")
    assert builder.next_field() == "place"  # the choice is used once
    builder.fill("place", "궁궐")
    builder.fill("characters", ["호랑이", "토끼"])
    assert builder.complete and builder.values["characters"] == "호랑이, 토끼"
    embed = builder.embed()
    assert [f.name for f in embed.fields] == ["✅ 시대", "✅ 장소", "✅ 등장인물", "✅ 주제"]
    assert "시작하기" in (embed.description or "")


def test_builder_embed_marks_missing_fields_and_says_what_to_reply() -> None:
    builder = StoryBuilder(requester_id=1, channel_id=2, locale="en", values={"era": "today"})
    embed = builder.embed()
    assert [f.name for f in embed.fields] == ["✅ era", "⬜ place", "⬜ characters", "⬜ topic"]
    assert "voice message" in (embed.description or "") and "**place**" in (embed.description or "")


def _book(tmp_path: Path) -> Book:
    images, audio = [], []
    for index in range(5):
        image = tmp_path / f"p{index}.png"
        image.write_bytes(png(64, 64))
        images.append(image)
        wav = tmp_path / f"a{index}.wav"
        soundfile.write(wav, np.zeros(4410, dtype=np.float32), 44100)
        audio.append(wav)
    video = tmp_path / "book.mp4"
    video.write_bytes(b"\0" * 100)
    return Book(
        run_id="r",
        story=Story.model_validate(story()),
        directory=tmp_path,
        images=images,
        audio=audio,
        video=video,
    )


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
async def test_book_is_split_into_dm_messages_within_limits(tmp_path: Path) -> None:
    book = _book(tmp_path)
    book.audio[3] = None  # a page without narration
    messages = await book_messages(book, "ko")
    assert len(messages) == 6  # five pages, then the video
    content, files = messages[0]
    assert content.startswith("**표지** — **호랑이와 토끼의 우정**")
    assert [f.name for f in files] == ["p0.png", "a0.ogg"]  # narration as Opus
    assert (tmp_path / "a0.wav").is_file()  # the WAV stays on disk
    assert [f.name for f in messages[3][1]] == ["p3.png"]
    assert messages[5][1] == [book.video] and "함께 읽기" in messages[5][0]
    assert all(len(c) <= 2000 and len(f) <= 10 for c, f in messages)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
async def test_too_big_picture_is_re_encoded_to_fit(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 255, (512, 512, 3), dtype=np.uint8)
    raw = tmp_path / "noise.ppm"
    raw.write_bytes(b"P6 512 512 255\n" + noise.tobytes())
    import ffmpeg

    big = tmp_path / "panel_1.png"
    ffmpeg.input(str(raw)).output(str(big)).run(quiet=True, overwrite_output=True)
    limit = big.stat().st_size // 3
    small = await fit_image(big, limit)
    assert small != big and small.suffix == ".jpg" and small.stat().st_size <= limit
    assert await fit_image(big, big.stat().st_size) == big  # fits already: unchanged
