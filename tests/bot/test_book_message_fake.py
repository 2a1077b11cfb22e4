"""`BookMessage` on the fake Discord, driven by the real discord.py client: pipeline events in
(drafts, a rewritten page, finals, failed edits), the message the channel sees out."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import discord
import numpy as np
import pytest
import soundfile

from storybot.bot.book_message import BookMessage
from storybot.bot.book_render import EMBED_TOTAL, embed_size
from storybot.models import (
    Book,
    Done,
    Event,
    Page,
    PageAudio,
    PageImage,
    PageText,
    Story,
    StoryReady,
)
from tests.support.fake_comfyui import png
from tests.support.fake_discord import FakeDiscord, FakeMessage
from tests.support.stories import story

pytest_plugins = ["tests.support.bot_harness"]  # the `fake` fixture
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

IMAGES = ["cover.png", *(f"panel_{i}.png" for i in range(1, 5))]
VOICES = [f"page_{i}.ogg" for i in range(5)]
PATCH = "PATCH /channels/{channel_id}/messages/{message_id}"


@pytest.fixture
async def channel(fake: FakeDiscord) -> AsyncIterator[discord.TextChannel]:
    """#stories as a plain discord.py client sees it."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    task = asyncio.create_task(client.start(fake.token))
    await asyncio.wait_for(client.wait_until_ready(), 10)
    found = client.get_channel(fake.channel_id)
    assert isinstance(found, discord.TextChannel)
    try:
        yield found
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """What storybot logged at ERROR (nothing here may be lost loudly)."""
    caplog.set_level(logging.WARNING, "storybot")
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def posted(
    fake: FakeDiscord, channel: discord.TextChannel, limit: int | None = None
) -> tuple[BookMessage, FakeMessage]:
    message = await channel.send(embed=discord.Embed(title="📖 새 그림책 만들기"))
    book = BookMessage(
        message,
        "ko",
        filesize_limit=limit or channel.guild.filesize_limit,
        view_factory=lambda finished: None,
    )
    return book, fake.message(message.id)


def files(folder: Path, pages: range = range(5), rgb: tuple[int, int, int] = (200, 120, 40)):
    """Pictures and narration WAVs (16-bit, 44.1 kHz) of `pages`, as a painter and a narrator
    leave them in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    tone = (0.3 * np.sin(np.arange(22050) * 2 * np.pi * 440 / 44100)).astype(np.float32)
    for page in pages:
        (folder / IMAGES[page]).write_bytes(png(64, 64, rgb))
        soundfile.write(folder / f"page_{page}.wav", tone, 44100, subtype="PCM_16")
    return folder


def made(folder: Path, page: int) -> list[Event]:
    return [
        PageImage(page=page, path=folder / IMAGES[page]),
        PageAudio(page=page, path=folder / f"page_{page}.wav"),
    ]


def assert_reads_as_a_book(msg: FakeMessage, written: Story) -> None:
    """Header, then every page in order: its label, its whole text, its own picture."""
    header, *pages = msg.embeds
    assert header["title"] == written.title and "■■■■■ 5/5" in header["fields"][0]["value"]
    assert [e["title"] for e in pages] == ["표지", "1쪽", "2쪽", "3쪽", "4쪽"]
    assert [e["description"] for e in pages] == [p.text for p in written.pages]
    urls = {a.filename: a.url for a in msg.attachments}
    assert [e["image"]["url"] for e in pages] == [urls[name] for name in IMAGES]
    assert sorted(msg.attachment_names) == sorted(IMAGES + VOICES)
    assert all(a.content_type == "audio/ogg" for a in msg.attachments if a.filename in VOICES)
    assert sum(embed_size(e) for e in msg.embeds) <= EMBED_TOTAL


async def test_drafts_a_rewritten_page_and_the_finals_end_as_the_newest_book(
    fake: FakeDiscord, channel: discord.TextChannel, tmp_path: Path, errors
) -> None:
    first = Story.model_validate(story())
    cover = Page(page=0, text="다시 쓴 표지: 호랑이와 토끼", image_prompt="a new cover")
    final = first.model_copy(update={"pages": [cover, *first.pages[1:]]})
    old = files(tmp_path / "drafts" / "a0", range(1), rgb=(10, 10, 10))
    new = files(tmp_path / "drafts" / "a1", rgb=(250, 250, 250))
    book, msg = await posted(fake, channel)

    for page in first.pages:  # attempt 0 streams its pages, then paints the cover
        await book.apply(PageText(page=page))
    for event in made(old, 0):
        await book.apply(event)
    await fake.wait_for(lambda: {"cover.png", "page_0.ogg"} <= set(msg.attachment_names))
    assert len(msg.embeds) == 6 and msg.embeds[1]["image"]["url"] == msg.attachments[0].url

    await book.apply(PageText(page=cover))  # attempt 1 rewrites the cover
    await fake.wait_for(lambda: msg.embeds[1]["description"] == cover.text)
    assert msg.attachment_names == [] and "image" not in msg.embeds[1]  # not its picture
    shutil.rmtree(old)  # what attempt 0 made is gone with it
    for page in range(5):
        for event in made(new, page):
            await book.apply(event)
    await book.apply(StoryReady(story=final))
    outputs = tmp_path / "outputs"  # accepted: the drafts promoted under the same names
    outputs.mkdir()
    for name in os.listdir(new):
        if not name.endswith(".ogg"):
            os.link(new / name, outputs / name)
    finals = Book(
        run_id="r",
        story=final,
        directory=outputs,
        images=[outputs / name for name in IMAGES],
        audio=[outputs / f"page_{i}.wav" for i in range(5)],
    )
    await book.apply(Done(book=finals))
    book.set_status("✅ 완성! DM으로 책을 보냈어요.")
    await book.close()

    assert_reads_as_a_book(msg, final)
    assert next(a for a in msg.attachments if a.filename == "cover.png").data == png(
        64, 64, (250, 250, 250)
    )  # the newest picture, not attempt 0's
    uploads = [f.filename for r in fake.requests_to("PATCH") for f in r.files]
    assert sorted(uploads) == sorted(["cover.png", "page_0.ogg", *IMAGES, *VOICES])  # once each
    edits = [r.at for r in msg.revisions[1:]]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(edits)), edits
    assert all(r.status < 400 for r in fake.requests), fake.describe_recent(20)
    assert errors() == []


async def test_long_pages_stay_within_discords_limits(
    fake: FakeDiscord, channel: discord.TextChannel, tmp_path: Path, errors
) -> None:
    long = "호랑이와 토끼는 궁궐 연못가에서 함께 노래를 불렀어요. " * 140  # ~4,300 characters
    written = Story.model_validate(story())
    written = written.model_copy(
        update={"pages": [p.model_copy(update={"text": long}) for p in written.pages]}
    )
    folder = files(tmp_path / "outputs")
    book, msg = await posted(fake, channel)
    for page in written.pages:
        await book.apply(PageText(page=page))
        for event in made(folder, page.page):
            await book.apply(event)
    await book.apply(Done(book=Book(run_id="r", story=written, directory=folder)))
    await book.close()

    assert all(r.status < 400 for r in fake.requests), fake.describe_recent(5)
    assert len(msg.embeds) == 6 and len(msg.attachments) == 10
    assert sum(embed_size(e) for e in msg.embeds) <= EMBED_TOTAL
    texts = [e["description"] for e in msg.embeds[1:]]
    assert all(t.endswith("요. …") and long.startswith(t[:-2]) for t in texts)
    assert errors() == []


async def test_a_failed_edit_sends_its_files_again_and_a_refused_one_drops_them(
    fake: FakeDiscord, channel: discord.TextChannel, tmp_path: Path, errors
) -> None:
    written = Story.model_validate(story())
    folder = files(tmp_path / "outputs")
    book, msg = await posted(fake, channel)
    await book.apply(PageText(page=written.pages[0]))
    await fake.wait_for(lambda: len(msg.embeds) == 2)
    fake.inject_error(PATCH, 503)  # not retried by discord.py: the next edit carries it
    await book.apply(PageImage(page=0, path=folder / "cover.png"))
    await fake.wait_for(lambda: msg.attachment_names == ["cover.png"], timeout=10)
    assert msg.embeds[1]["image"]["url"] == msg.attachments[0].url

    fake.inject_error(PATCH, 413, code=40005, message="Request entity too large")
    await book.apply(PageImage(page=1, path=folder / "panel_1.png"))
    await book.apply(PageText(page=written.pages[1]))  # the refusal is not sent again …
    await fake.wait_for(lambda: len(msg.embeds) == 3, timeout=10)
    await book.close()  # … and the text still arrives
    assert msg.attachment_names == ["cover.png"] and "image" not in msg.embeds[2]
    assert [r.status for r in fake.requests_to("PATCH")] == [200, 503, 200, 413, 200, 200]
    assert errors() == []


async def test_narration_too_big_for_the_channel_is_left_to_the_dms(
    fake: FakeDiscord, channel: discord.TextChannel, tmp_path: Path, errors
) -> None:
    written = Story.model_validate(story())
    folder = files(tmp_path / "outputs", range(1))
    limit = (folder / "cover.png").stat().st_size  # the picture fits, the voice does not
    book, msg = await posted(fake, channel, limit=limit)
    await book.apply(PageText(page=written.pages[0]))
    for event in made(folder, 0):
        await book.apply(event)
    await book.close()
    assert msg.attachment_names == ["cover.png"]
    assert "🔊 목소리 파일은 DM으로 보낼게요" in msg.embeds[0]["fields"][0]["value"]
    assert (folder / "page_0.ogg").is_file() and (folder / "page_0.wav").is_file()
    assert errors() == []
