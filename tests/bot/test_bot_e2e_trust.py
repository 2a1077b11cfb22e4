"""The real StoryBot against the fake Discord, off the happy path: double clicks, a Cancel that
races the end of the book, a painter that is down. Asserted on what the fake recorded."""

from __future__ import annotations

import copy
import shutil
from typing import TYPE_CHECKING

import pytest

from tests.support.fake_discord import EPHEMERAL
from tests.support.stories import FULL, PAGE_FILES

if TYPE_CHECKING:
    from tests.support.bot_harness import Harness

pytest_plugins = ["tests.support.bot_harness"]
pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="needs ffmpeg and espeak-ng",
)


async def test_double_cancel_then_a_new_story_from_the_same_user(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    comfy.hang = True
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    cancel = f"storybot:cancel:{harness.run_id_of(book)}"
    await fake.wait_for(lambda: "표지를 그리고" in book.text, timeout=30)
    first = await fake.click_button(book.id, cancel, user=fake.alice)
    second = await fake.click_button(book.id, cancel, user=fake.alice)  # a double click
    assert (await first.response())["type"] == 6
    answer = await second.wait(lambda i: i.original)
    assert answer.flags & EPHEMERAL
    assert answer.content.startswith(("🛑 이미 멈추고", "이 책은 지금 만들고 있지 않아요"))
    await fake.wait_for(lambda: "🛑" in book.text, timeout=30)

    comfy.hang = False  # the same user starts again: not "you already have a book"
    inter = await fake.invoke_command("story", {**FULL, "topic": "모험"}, user=fake.alice)
    again = await harness.book_message(nth=1)
    await harness.said(inter, lambda c: c.startswith("📖"))
    await harness.finished(again)
    assert sorted(again.attachment_names) == sorted(PAGE_FILES)
    assert len(fake.dms(fake.alice)) == 5


async def test_cancel_after_done_then_a_new_story_from_the_same_user(harness: Harness) -> None:
    fake = harness.fake
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    cancel = f"storybot:cancel:{harness.run_id_of(book)}"
    running_buttons = copy.deepcopy(book.components)  # as shown while the book was made
    await harness.finished(book)
    # A press that raced the last edit: the book had ended, but the edit that removes Cancel
    # had not landed yet, so the message still carried the button when it was pressed.
    final_buttons, book.components = book.components, running_buttons
    late = await fake.click_button(book.id, cancel, user=fake.alice)
    answer = await late.wait(lambda i: i.original)
    book.components = final_buttons
    assert answer.flags & EPHEMERAL and "만들고 있지 않아요" in answer.content
    assert "✅" in book.text and "🛑" not in book.text  # the finished book is untouched

    await fake.invoke_command("story", {**FULL, "topic": "모험"}, user=fake.alice)
    again = await harness.finished(await harness.book_message(nth=1))
    assert sorted(again.attachment_names) == sorted(PAGE_FILES)
    assert len(fake.dms(fake.alice)) == 10


async def test_painter_down_is_said_and_the_book_starts_when_it_is_back(
    harness: Harness,
) -> None:
    fake, comfy = harness.fake, harness.comfy
    port = comfy.port
    await comfy.stop()
    await harness.start(painter_probe_every=0.3, comfyui_connect_timeout=1.0)
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    await fake.wait_for(lambda: "ComfyUI)에 연결할 수 없어요" in book.text, timeout=30)
    assert f"storybot:cancel:{harness.run_id_of(book)}" in harness.button_ids(book)
    assert "■■■■■" not in book.text and fake.dms(fake.alice) == []
    await comfy.start(port)  # back: the book starts by itself
    await harness.finished(book)
    assert sorted(book.attachment_names) == sorted(PAGE_FILES)
    assert len(fake.dms(fake.alice)) == 5


async def test_painter_down_fails_plainly_with_retry_when_told_to(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    port = comfy.port
    await comfy.stop()
    await harness.start(painter_down="fail", comfyui_connect_timeout=1.0)
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    run_id = harness.run_id_of(book)
    await fake.wait_for(lambda: "😢" in book.text, timeout=30)
    assert "그림을 그리는 서버(ComfyUI)에 연결할 수 없어요" in book.text
    assert "✅" not in book.text and fake.dms(fake.alice) == []  # never a 0-picture "done"
    assert harness.button_ids(book) == [f"storybot:retry:{run_id}"]
    await comfy.start(port)
    await fake.click_button(book.id, f"storybot:retry:{run_id}", user=fake.alice)
    again = await harness.finished(await harness.book_message(nth=1))
    assert sorted(again.attachment_names) == sorted(PAGE_FILES)


async def test_every_picture_failing_is_a_failed_book_not_a_done_one(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    comfy.fail_class = "KSampler"  # ComfyUI answers, but no picture comes out
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    await fake.wait_for(lambda: "😢" in book.text, timeout=60)
    assert "그림을 한 장도 그리지 못했어요" in book.text
    assert fake.dms(fake.alice) == []
    assert harness.button_ids(book) == [f"storybot:retry:{harness.run_id_of(book)}"]


async def test_the_dm_button_always_sends_to_the_requester(harness: Harness) -> None:
    fake = harness.fake
    fake.dms_closed.add(fake.alice.id)
    await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.finished(await harness.book_message())
    fake.dms_closed.discard(fake.alice.id)
    dm_button = f"storybot:dm:{harness.run_id_of(book)}"
    press = await fake.click_button(book.id, dm_button, user=fake.mod)
    await harness.said(press, lambda c: c.startswith("📬 책을 만든 분의 DM"))
    assert len(fake.dms(fake.alice)) == 5 and fake.dms(fake.mod) == []


async def test_sigterm_stops_the_bot_like_ctrl_c(harness: Harness) -> None:
    """`docker stop` sends SIGTERM: the book is marked interrupted and its requester told."""
    import asyncio
    import os
    import signal

    from storybot.bot.client import point_discord_at, serve
    from tests.support.bot_harness import HarnessBot

    fake, comfy = harness.fake, harness.comfy
    comfy.hang = True
    settings = harness.settings()
    point_discord_at(settings)
    bot = HarnessBot(settings)
    served = asyncio.create_task(serve(bot, fake.token))
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.book_message()
    await fake.wait_for(lambda: "표지를 그리고" in book.text, timeout=30)
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(served, 30)
    assert book.content.startswith("⚠️")
    ping = await fake.wait_for_message(fake.channel_id, lambda m: m.reference_id == book.id)
    assert fake.alice.id in ping.mentions
    asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)


# -- issue 10: an unsafe story from a llama-server never reaches Discord ----------------------

UNSAFE_TEXT = "호랑이는 칼로 토끼를 찔러 죽였어요. 피가 흘렀어요."


def _everything_said(harness: Harness) -> str:
    """Every revision of every channel message and every DM, as one text."""
    fake = harness.fake
    parts = []
    for msg in [*harness.channel_messages(), *fake.dms(fake.alice)]:
        for revision in msg.revisions:
            parts += [revision.content, str(revision.embeds)]
        parts.append(msg.text)
    return "\n".join(parts)


@pytest.mark.parametrize("attempts_unsafe", [1, 3])
async def test_an_unsafe_story_never_reaches_discord(
    harness: Harness, attempts_unsafe: int
) -> None:
    from tests.support.fake_llama_server import FakeLlamaServer, Reply
    from tests.support.stories import dumps, story, with_page

    fake = harness.fake
    unsafe = Reply(dumps(with_page(story(), 2, text=UNSAFE_TEXT)), chunk_size=16)
    writer = FakeLlamaServer(replies=[unsafe] * attempts_unsafe + [Reply(dumps(story()))])
    await writer.start()
    try:
        await harness.start(llm_server_url=writer.url, safety_guard="llm")  # all layers on
        await fake.invoke_command("story", FULL, user=fake.alice)
        book = await harness.book_message()
        if attempts_unsafe == 3:  # every attempt (LLM_RETRIES=2) was unsafe: a friendly failure
            await fake.wait_for(lambda: "😢" in book.text, timeout=60)
            assert "어린이에게 알맞은 이야기를 쓰지 못했어요" in book.text
            assert fake.dms(fake.alice) == []
        else:  # the unsafe attempt was thrown away and rewritten
            await harness.finished(book)
            assert len(fake.dms(fake.alice)) == 5
    finally:
        await writer.stop()
    said = _everything_said(harness)
    assert "찔러" not in said and "피가" not in said


# -- issue 14: redraw one page -------------------------------------------------------------------


async def test_redraw_one_page_in_place_then_the_dm_copy_on_request(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    await harness.start(book_video=True, book_pdf=True)
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.finished(await harness.book_message())
    run_id = harness.run_id_of(book)
    menu = f"storybot:redraw:{run_id}"
    assert [o["value"] for o in harness.select_menu(book)["options"]] == list("01234")

    def picture(name: str) -> bytes:
        return next(a.data for a in book.attachments if a.filename.startswith(name))

    before, others = picture("panel_2"), {n: picture(n) for n in ("cover", "panel_1")}
    painted = len(comfy.prompts)
    refused = await fake.select(book.id, menu, ["2"], user=fake.bob)  # not the requester
    assert (await refused.wait(lambda i: i.original)).content.startswith("🙅")
    press = await fake.select(book.id, menu, ["2"], user=fake.alice)
    await harness.said(press, lambda c: c.startswith("🎨 2쪽 그림을 새로 그렸어요"), timeout=60)
    assert len(comfy.prompts) == painted + 1  # one page, not the book
    assert picture("panel_2") != before  # a new seed, a new picture, in place
    assert {n: picture(n) for n in ("cover", "panel_1")} == others  # the rest is kept
    assert len(book.attachments) == len(set(book.attachment_names))
    dms_before = len(fake.dms(fake.alice))
    deliver = await fake.click_button(book.id, f"storybot:dm:{run_id}", user=fake.alice)
    # The MP4 and PDF are made again first: seconds, more on a busy machine.
    await harness.said(deliver, lambda c: c.startswith("📬"), timeout=120)
    assert len(fake.dms(fake.alice)) > dms_before  # the new copy, with a new read-along video
    folder = harness.data_dir / "outputs" / run_id
    assert (folder / "book.mp4").is_file() and (folder / "book.pdf").is_file()  # remade


async def test_an_untouched_story_builder_closes_after_30_minutes(harness: Harness) -> None:
    import time

    from storybot.bot.builder import BUILDER_TIMEOUT

    fake = harness.fake
    bot = await harness.start()
    await fake.invoke_command("story", {"era": "조선시대"}, user=fake.alice)
    builder = await harness.builder_message()
    cog = bot.get_cog("StoryCog")
    assert cog is not None and len(cog.builders) == 1
    assert await cog.expire_idle(time.monotonic() + BUILDER_TIMEOUT / 2) == []  # not yet
    expired = await cog.expire_idle(time.monotonic() + BUILDER_TIMEOUT + 1)  # 30 minutes on
    assert len(expired) == 1 and cog.builders == {} and cog.answers == {}
    await fake.wait_for(lambda: builder.content.startswith("⌛"), timeout=10)
    assert builder.buttons == [] and builder.embeds == []


async def test_the_redraw_menu_survives_a_restart(harness: Harness) -> None:
    fake, comfy = harness.fake, harness.comfy
    bot = await harness.start()
    await fake.invoke_command("story", FULL, user=fake.alice)
    book = await harness.finished(await harness.book_message())
    await harness.stop(bot)
    await harness.start()  # a new process: the menu is rebuilt from its custom_id
    painted = len(comfy.prompts)
    press = await fake.select(book.id, f"storybot:redraw:{harness.run_id_of(book)}", ["0"])
    await harness.said(press, lambda c: c.startswith("🎨 표지 그림을 새로 그렸어요"), timeout=60)
    assert len(comfy.prompts) == painted + 1
