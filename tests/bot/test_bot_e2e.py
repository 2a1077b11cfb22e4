"""The real StoryBot, end to end: discord.py against the fake Discord, the real tiny engines.

Everything is asserted on what the fake recorded (messages and their revisions, attachments,
embeds, components, DMs, interaction responses, requests), never on the bot's internals.
The harness (tests/support/bot_harness.py) starts the bot and fails a test on any logged error.
"""

from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import ffmpeg
import pytest

from storybot.books.store import RunStore
from storybot.bot.origin import DiscordOrigin
from storybot.models import Status, Story, StoryRequest
from tests.support.fake_discord import EPHEMERAL, FakeMessage
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import FULL, PAGE_FILES, dumps, story
from tests.support.tiny_whisper import VOICE_MESSAGE, speak, tone

if TYPE_CHECKING:
    from tests.support.bot_harness import Harness

pytest_plugins = ["tests.support.bot_harness"]
pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng",
)

PATCH_MESSAGE = "PATCH /channels/{channel_id}/messages/{message_id}"
ONLY_OWNER = "🙅 Only the person who asked for this book"


# -- /story with everything: the book message grows, the book arrives in DMs ------------------


async def test_story_with_all_options_grows_a_book_and_dms_it(harness: Harness) -> None:
    fake = harness.fake
    harness.comfy.step_delay = 0.15  # a picture takes 0.6 s: the book grows over many edits
    await harness.start(book_video=True, book_pdf=True)
    inter = await fake.invoke_command("story", FULL, user=fake.alice)
    response = await inter.response()
    assert response["type"] == 5 and not inter.failed  # deferred within 3 s
    assert response["data"]["flags"] & EPHEMERAL

    book = await harness.book_message()
    assert book.webhook_id is None and book.interaction_id is None  # a channel message
    await harness.said(inter, lambda c: c.startswith("📖") and str(book.id) in c)
    await harness.finished(book)

    embed = book.embed  # the header: title, progress, status
    assert embed is not None and embed["title"] != "📖 새 그림책 만들기"
    assert "■■■■■ 5/5" in book.text and "✅ 완성! DM으로 책을 보냈어요." in book.text
    assert sorted(book.attachment_names) == sorted(PAGE_FILES) and len(book.attachments) == 10
    assert book.buttons == []  # done and delivered: nothing left to press
    # The whole story reads top to bottom: one embed per page, its text and its picture.
    run_id = harness.run_id_in_store(book)
    written = _story(harness, run_id)
    assert embed["title"] == written.title
    pages = book.embeds[1:]
    assert [e["title"] for e in pages] == ["표지", "1쪽", "2쪽", "3쪽", "4쪽"]
    assert [e["description"] for e in pages] == [p.text for p in written.pages]
    urls = {a.filename: a.url for a in book.attachments}
    names = ["cover.png", *(f"panel_{i}.png" for i in range(1, 5))]
    assert [e["image"]["url"] for e in pages] == [urls[name] for name in names]
    assert all("url" not in e for e in pages)  # no shared url: Discord would merge them
    _assert_opus_smaller_than_wav(book, harness.data_dir / "outputs" / run_id, harness.data_dir)
    # Pages were added as they came, and no edit dropped the files before it.
    shown = [len(r.embeds) for r in book.revisions]  # the tiny model writes in a blink
    assert len(set(shown)) >= 2 and shown[-1] == 6, shown
    grown = [r.attachments for r in book.revisions]
    assert len({len(names) for names in grown}) >= 4, grown
    for before, after in itertools.pairwise(grown):
        assert after[: len(before)] == before
    bars = [r.embeds[0]["fields"][0]["value"] for r in book.revisions if r.embeds[0].get("fields")]
    assert any(re.match(r"■+□+ [1-4]/5", bar) for bar in bars), bars
    # At most one edit a second, so Discord never had to answer 429 (nor anything else bad).
    edits = [r.at for r in book.revisions[1:]]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(edits)), edits
    assert all(r.status < 400 for r in fake.requests), fake.describe_recent(20)
    assert all(len(r.files) <= 10 for r in fake.requests)

    mp4 = await fake.wait_for_dm(fake.alice, lambda m: "book.mp4" in m.attachment_names)
    *pages, last = fake.dms(fake.alice)
    assert last is mp4 and len(pages) == 5
    assert "book.pdf" in mp4.attachment_names  # the book to keep rides with the video
    assert mp4.attachments[mp4.attachment_names.index("book.pdf")].data.startswith(b"%PDF")
    assert embed["title"] in pages[0].content and embed["title"] in mp4.content
    for index, page in enumerate(pages):
        image = "cover.png" if index == 0 else f"panel_{index}.png"
        assert page.attachment_names == [image, f"page_{index}.ogg"]
        assert page.attachments[0].data.startswith(b"\x89PNG")
        assert page.attachments[1].data[:4] == b"OggS"
        assert re.match(r"\*\*(표지|\d쪽)\*\* — \S", page.content), page.content
    assert harness.channel_messages() == [book]  # nothing else in the channel

    # /books lists it (to the requester only) and sends it again.
    books = await fake.invoke_command("books", user=fake.alice)
    listing = await books.wait(lambda i: i.original)
    assert listing.flags & EPHEMERAL and embed["title"] in listing.text
    menu = harness.select_menu(listing)
    assert [o["value"] for o in menu["options"]] == [run_id]
    pick = await fake.select(listing.id, menu["custom_id"], [run_id], user=fake.alice)
    await harness.said(pick, lambda c: c.startswith("📬"))
    assert len(fake.dms(fake.alice)) == 12
    others = await fake.invoke_command("books", user=fake.bob)
    assert "no books yet" in (await others.wait(lambda i: i.original)).content


def _story(harness: Harness, run_id: str) -> Story:
    store = RunStore(harness.data_dir)
    try:
        record = store.get(run_id)
    finally:
        store.close()
    assert record is not None and record.story is not None
    return record.story


def _assert_opus_smaller_than_wav(book: FakeMessage, outputs: Path, scratch: Path) -> None:
    """Each narration on the message is Opus in Ogg, decodes, lasts as long as its WAV (kept
    on disk) and is much smaller."""
    for index in range(5):
        voice = next(a for a in book.attachments if a.filename == f"page_{index}.ogg")
        assert voice.content_type == "audio/ogg" and voice.data[:4] == b"OggS"
        played = scratch / f"heard_{index}.ogg"
        played.write_bytes(voice.data)
        info = ffmpeg.probe(str(played))
        assert [s["codec_name"] for s in info["streams"]] == ["opus"]
        wav = outputs / f"page_{index}.wav"
        seconds = float(ffmpeg.probe(str(wav))["format"]["duration"])
        assert float(info["format"]["duration"]) == pytest.approx(seconds, abs=0.1)
        assert len(voice.data) < wav.stat().st_size / 4
        played.unlink()


# -- the story builder: typed in a modal, spoken in a voice message -----------------------------


async def test_builder_modal_fills_the_fields_and_start_makes_the_book(harness: Harness) -> None:
    fake = harness.fake
    await harness.start()
    inter = await fake.invoke_command("story", {"era": "조선시대"}, user=fake.alice)
    assert (await inter.response())["type"] == 5
    builder = await harness.builder_message()
    await harness.said(inter, lambda c: str(builder.id) in c)
    assert fake.alice.mention in builder.content
    assert harness.field(builder, "시대") == ("✅", "조선시대")
    assert [harness.field(builder, f)[0] for f in ("장소", "등장인물", "주제")] == ["⬜"] * 3
    assert harness.button(builder, "시작하기").get("disabled") is True

    typing = await fake.click_button(builder.id, harness.button(builder, "입력하기")["custom_id"])
    assert (await typing.response())["type"] == 9
    inputs = harness.modal_inputs(typing.modal)
    assert set(inputs) == {"시대", "장소", "등장인물", "주제"}
    answers = {
        inputs["장소"]: "궁궐",
        inputs["등장인물"]: "호랑이랑 토끼요",
        inputs["주제"]: "우정",
    }
    submit = await fake.submit_modal(None, answers, user=fake.alice)
    assert (await submit.response())["type"] == 7
    await fake.wait_for(lambda: harness.field(builder, "주제") == ("✅", "우정"))
    assert harness.field(builder, "등장인물") == ("✅", "호랑이, 토끼")
    start = harness.button(builder, "시작하기")
    assert not start.get("disabled")

    refused = await fake.click_button(builder.id, start["custom_id"], user=fake.bob)
    assert (await refused.wait(lambda i: i.original)).content.startswith(ONLY_OWNER)
    fake.inject_429(PATCH_MESSAGE, 0.2)  # the book message's first edit: retried (`Via`)
    go = await fake.click_button(builder.id, start["custom_id"], user=fake.alice)
    assert (await go.response())["type"] == 7
    book = await harness.book_message()
    await harness.said(go, lambda c: str(book.id) in c)
    await harness.finished(book)
    assert builder.buttons == []  # the builder is used up
    assert len(book.attachments) == 10 and "■■■■■ 5/5" in book.text
    assert [r.status for r in harness.edits_of(book)][:2] == [429, 200]
    assert len(fake.dms(fake.alice)) == 5  # BOOK_VIDEO off: pages only


async def test_voice_reply_fills_the_chosen_field(harness: Harness, tmp_path: Path) -> None:
    fake = harness.fake
    await harness.start(stt_max_seconds=4)
    inter = await fake.invoke_command("story", {"era": "long ago"}, user=fake.bob)
    builder = await harness.builder_message()
    await harness.said(inter, lambda c: str(builder.id) in c)
    assert "**place**" in builder.embed["description"]  # replies fill the first empty field
    mic = harness.button(builder, "🎤 characters")["custom_id"]
    choose = await fake.click_button(builder.id, mic, user=fake.bob)
    assert (await choose.response())["type"] == 7
    await fake.wait_for(lambda: "**characters**" in builder.embed["description"])

    # A file that is not audio: a clear reply, and the builder does not change.
    revisions = len(builder.revisions)
    note = await fake.send_message(
        fake.channel_id,
        attachments=[("notes.txt", b"a rabbit and a turtle", "text/plain")],
        reply_to=builder.id,
        user=fake.bob,
    )
    reply = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == note.id)
    assert reply.content == "🎧 Please answer with a voice message or text."
    assert len(builder.revisions) == revisions

    # A clip over the limit: ❌ and the reason in the user's words; nothing changes.
    long_clip = tone(tmp_path / "long.ogg", 6.0, *VOICE_MESSAGE)
    too_long = await fake.send_message(
        fake.channel_id,
        attachments=[("voice.ogg", long_clip.read_bytes())],
        voice=True,
        reply_to=builder.id,
        user=fake.bob,
    )
    reply = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == too_long.id)
    assert reply.content == (
        "❌ I couldn't understand that: it is too long. Please keep it under 4 seconds."
    )
    assert fake.message(too_long.id).reactions == {"🎙️": [], "❌": [fake.bot_user.id]}
    assert len(builder.revisions) == revisions

    clip = speak("A rabbit and a turtle.", tmp_path / "characters.ogg")
    voice = await fake.send_message(
        fake.channel_id,
        attachments=[("voice.ogg", clip.read_bytes())],
        voice=True,
        reply_to=builder.id,
        user=fake.bob,
    )
    await fake.wait_for(lambda: "🎙️" in fake.message(voice.id).reactions)  # listening
    heard = await fake.wait_for(
        lambda: re.search(r"🎤 I heard: '(.+)' \((\d+)%\)", builder.embed.get("description", "")),
        timeout=30,
    )
    mark, value = harness.field(builder, "characters")
    assert mark == "✅" and value == heard[1] and "rabbit" in value.lower()
    assert 0 < int(heard[2]) <= 100
    assert harness.field(builder, "era") == ("✅", "long ago")
    assert harness.field(builder, "place")[0] == "⬜"
    assert fake.message(voice.id).reactions["🎙️"] == []  # done listening
    assert any(r.route == "/cdn" and r.path.endswith("voice-message.ogg") for r in fake.requests)

    # Replying to that answer redoes its field (here typed).
    await fake.send_message(fake.channel_id, "a fox and a bear", reply_to=voice.id, user=fake.bob)
    await fake.wait_for(lambda: harness.field(builder, "characters") == ("✅", "fox, bear"))
    assert "✏️ Got it: 'fox, bear'" in builder.embed["description"]
    assert harness.field(builder, "place")[0] == "⬜"


# -- delivery, buttons, permissions ---------------------------------------------------------------


async def test_closed_dms_get_a_quiet_note_and_a_button(harness: Harness) -> None:
    fake = harness.fake
    fake.dms_closed.add(fake.alice.id)
    await harness.start()
    inter = await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    dm_button = f"storybot:dm:{harness.run_id_of(book)}"
    await harness.finished(book)
    assert harness.button_ids(book) == [dm_button]
    assert harness.button(book, "📬 DM으로 받기")
    note = await harness.said(inter, lambda c: c.startswith("📪"))
    assert note.flags & EPHEMERAL
    assert "DM을 보낼 수 없어서" in book.text and fake.dms(fake.alice) == []
    assert harness.channel_messages() == [book]  # no channel spam

    refused = await fake.click_button(book.id, dm_button, user=fake.bob)
    assert (await refused.wait(lambda i: i.original)).content.startswith(ONLY_OWNER)
    fake.dms_closed.discard(fake.alice.id)
    press = await fake.click_button(book.id, dm_button, user=fake.alice)
    await harness.said(press, lambda c: c.startswith("📬"))
    assert len(fake.dms(fake.alice)) == 5
    assert sorted(harness.dm_files(fake.alice)) == sorted(PAGE_FILES)
    assert harness.channel_messages() == [book] and fake.dms(fake.bob) == []


async def test_cancel_is_for_the_requester_or_a_manager_and_retry_remakes(
    harness: Harness,
) -> None:
    fake, comfy = harness.fake, harness.comfy
    comfy.hang = True  # the cover never finishes until interrupted
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    cancel = f"storybot:cancel:{run_id}"
    await fake.wait_for(lambda: "표지를 그리고" in book.text, timeout=30)

    refused = await fake.click_button(book.id, cancel, user=fake.bob)
    answer = await refused.wait(lambda i: i.original)
    assert answer.flags & EPHEMERAL and answer.content.startswith(ONLY_OWNER)
    assert cancel in harness.button_ids(book)

    stop = await fake.click_button(book.id, cancel, user=fake.alice)
    assert (await stop.response())["type"] == 6
    await fake.wait_for(lambda: "🛑" in book.text)
    assert harness.button_ids(book) == [f"storybot:retry:{run_id}"]
    assert "🔁" in harness.button(book, "다시")["label"]

    comfy.hang = False
    retry = await fake.click_button(book.id, f"storybot:retry:{run_id}", user=fake.mod)
    again = await harness.book_message(nth=1)
    assert harness.run_id_of(again) == run_id
    await harness.said(retry, lambda c: str(again.id) in c)
    assert book.buttons == []  # its Retry is used up
    await harness.finished(again)
    assert sorted(again.attachment_names) == sorted(PAGE_FILES)
    assert len(fake.dms(fake.alice)) == 5 and fake.dms(fake.mod) == []  # to the requester


async def test_a_second_book_waits_in_line_and_shows_its_place(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    comfy.hang = True
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    first = await harness.book_message()
    await fake.wait_for(lambda: "표지를 그리고" in first.text, timeout=30)
    await fake.invoke_command("story", {**FULL, "topic": "모험"}, user=fake.mod)
    second = await harness.book_message(nth=1)
    await fake.wait_for(lambda: "⏳ 차례를 기다리고 있어요: 1번째" in second.text)
    assert "✍️" not in second.text  # not started

    comfy.hang = False
    await harness.finished(first)
    await harness.finished(second)
    # The second left the line when the first was done (give or take one coalesced edit).
    first_done = next(r.at for r in first.revisions if "✅" in str(r.embeds))
    waited = [r for r in second.revisions if "⏳" in str(r.embeds)]
    started = second.revisions[second.revisions.index(waited[-1]) + 1].at
    assert started >= first_done - 1.1, (started, first_done)
    assert len(fake.dms(fake.alice)) == 5 and len(fake.dms(fake.mod)) == 5


@pytest.mark.parametrize(
    ("denied", "named"),
    [("attach_files", "attach_files"), ("embed_links", "embed_links"), ("send_messages", "send")],
)
async def test_missing_channel_permissions_are_explained(
    harness: Harness, denied: str, named: str
) -> None:
    fake = harness.fake
    bot = await harness.start()
    await fake.set_bot_permissions(fake.channel_id, deny=[denied])
    channel = bot.get_channel(fake.channel_id)
    await fake.wait_for(lambda: not getattr(channel.permissions_for(channel.guild.me), denied))
    inter = await fake.invoke_command("story", FULL, user=fake.bob)
    note = await harness.said(inter, lambda c: c.startswith("🔒"))
    assert named in note.content and note.flags & EPHEMERAL
    builder = await fake.invoke_command("story", {"era": "today"}, user=fake.bob)
    if denied == "attach_files":  # the builder needs no files
        await harness.said(builder, lambda c: c.startswith("📝"))
    else:
        await harness.said(builder, lambda c: c.startswith("🔒") and named in c)
    assert not [m for m in harness.channel_messages() if harness.run_id_of(m)]


async def test_a_failed_book_says_so_plainly_keeps_its_pages_and_offers_retry(
    harness: Harness,
) -> None:
    fake = harness.fake
    invalid = Reply(dumps(story(title="No Hangul")))  # pages stream, then the title fails
    writer = FakeLlamaServer(replies=[invalid, invalid, invalid, Reply(dumps(story()))])
    await writer.start()
    try:
        await harness.start(llm_server_url=writer.url)
        await fake.invoke_command("story", FULL, user=fake.alice)
        book = await harness.book_message()
        run_id = harness.run_id_of(book)
        await fake.wait_for(lambda: "😢" in book.text, timeout=30)
        assert "😢 이야기를 쓰지 못했어요. 아래 🔁 버튼으로" in book.text
        assert "Hangul" not in book.text  # the technical reason stays in the log
        assert harness.button_ids(book) == [f"storybot:retry:{run_id}"]
        names = book.attachment_names
        assert len(names) == len(set(names)) <= 10  # a new attempt replaced its pages
        assert fake.dms(fake.alice) == []

        await fake.click_button(book.id, f"storybot:retry:{run_id}", user=fake.alice)
        again = await harness.finished(await harness.book_message(nth=1))
        assert sorted(again.attachment_names) == sorted(PAGE_FILES)
        assert len(fake.dms(fake.alice)) == 5 and len(writer.requests) == 4
    finally:
        await writer.stop()


# -- restarts and the safety screen ---------------------------------------------------------------


async def test_a_book_left_running_by_a_crash_is_offered_again(harness: Harness) -> None:
    fake = harness.fake
    posted = FakeMessage(  # the book message the crashed bot had posted
        id=fake.snowflake(),
        channel_id=fake.channel_id,
        guild_id=fake.guild.id,
        author_id=fake.bot_user.id,
        embeds=[{"type": "rich", "title": "📖 새 그림책 만들기"}],
        created_at=fake.now(),
    )
    fake.store_message(posted)
    store = RunStore(harness.data_dir)
    origin = DiscordOrigin(fake.guild.id, fake.channel_id)
    where = {"origin": origin.to_json(), "lane": origin.lane}
    running = store.create(StoryRequest(**FULL), requester_id=fake.alice.id, **where)
    running.status = Status.RUNNING
    running.origin = origin.with_message(fake.channel_id, posted.id).to_json()
    store.save(running)
    queued = store.create(StoryRequest(**FULL), requester_id=fake.bob.id, locale="en", **where)
    store.close()  # the process dies here

    await harness.start()
    retry = f"storybot:retry:{running.run_id}"
    await fake.wait_for(lambda: retry in harness.button_ids(posted))
    assert posted.content.startswith("⚠️ 봇이 다시 시작되어")
    ping = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == posted.id)
    assert ping.content.startswith(fake.alice.mention) and fake.alice.id in ping.mentions
    told = await fake.wait_for_message(fake.channel_id, lambda m: fake.bob.mention in m.content)
    assert "The bot restarted" in told.content  # no message yet: one is posted, in English
    assert harness.button_ids(told) == [f"storybot:retry:{queued.run_id}"]

    press = await fake.click_button(posted.id, retry, user=fake.alice)
    again = await harness.book_message(nth=2)
    assert harness.run_id_of(again) == running.run_id
    await harness.said(press, lambda c: str(again.id) in c)


async def test_stopping_the_bot_mid_book_tells_the_requester(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    comfy.hang = True
    bot = await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    await fake.wait_for(lambda: "표지를 그리고" in book.text, timeout=30)
    await harness.stop(bot)  # SIGINT / a deploy

    assert harness.button_ids(book) == [f"storybot:retry:{run_id}"]
    assert book.content.startswith("⚠️")
    ping = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == book.id)
    assert fake.alice.id in ping.mentions

    comfy.hang = False
    await harness.start()  # the Retry button outlives the bot that made it
    press = await fake.click_button(book.id, f"storybot:retry:{run_id}", user=fake.alice)
    again = await harness.book_message(nth=1)
    await harness.said(press, lambda c: str(again.id) in c)
    await harness.finished(again)
    assert len(fake.dms(fake.alice)) == 5
    assert [m for m in harness.channel_messages() if m.reference_id == book.id] == [ping]


async def test_safety_screen_refuses_in_the_users_language(harness: Harness) -> None:
    fake = harness.fake
    await harness.start(dev_guild_id=fake.guild.id)  # commands synced to one guild
    story = next(c for c in fake.commands[fake.guild.id] if c["name"] == "story")
    assert story["name_localizations"]["ko"] == "동화" and fake.commands.get(None, []) == []
    assert story["description_localizations"]["en-US"].startswith("Make a picture book")
    unsafe = {**FULL, "topic": "마약 파는 토끼"}
    korean = await fake.invoke_command("story", unsafe, user=fake.alice)
    note = await harness.said(korean, lambda c: "어린이 그림책으로 만들 수 없어요" in c)
    assert note.flags & EPHEMERAL
    english = await fake.invoke_command(
        "story",
        {"era": "today", "place": "a town", "characters": "a fox", "topic": "a murder mystery"},
        user=fake.bob,
    )
    note = await harness.said(english, lambda c: "can't become a children's picture book" in c)
    assert note.flags & EPHEMERAL
    assert harness.channel_messages() == [] and fake.dms(fake.alice) == []
