"""Issue 22: what comes after the first pass through a book — a story attempt discarded after
a picture failed, a final story that changes only a prompt, keys in another order, a redraw
whose picture is flagged twice, a redraw on a painter that never finishes, metrics labels."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from storybot.books import BookMaker, Metrics, Scheduler
from storybot.books.metrics import installation_salt, lane_label
from storybot.models import Done, Failed, Status
from tests.books.test_book_runs import PHOTO, assert_free, collect
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story


def _cut(data: dict[str, Any], index: int) -> dict[str, Any]:
    """`data` with page `index` stopping mid-sentence: the content review refuses it."""
    data["pages"][index]["text"] = "어느 날 토끼가 연못에 빠져서 호랑이가 허둥지둥 달려가"
    return data


async def test_a_picture_failed_in_a_discarded_attempt_is_painted_for_the_next(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """Attempt 1's page 1 picture fails, then attempt 1 is refused (page 3 is cut): attempt 2's
    page 1 is painted anew, and the book is whole (on main: FAILED, "internal error")."""
    first = _cut(story(), 3)
    first["pages"][1]["image_prompt"] = "a lonely old tiger XYZZY in a quiet palace garden"
    llama_server.replies = [Reply(dumps(first), chunk_delay=0.02), Reply(dumps(story()))]
    comfy.fail_class, comfy.fail_prompt_containing = "KSampler", "XYZZY"
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request(), requester_id=1).events())
    done = events[-1]
    assert isinstance(done, Done), done
    assert all(image is not None and image.is_file() for image in done.book.images)
    assert not done.book.warnings
    assert_free(maker, 1)


async def test_a_final_story_that_changes_only_a_prompt_keeps_every_narration(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """Narration depends on the text alone: the final repair of an image prompt (a name the
    text declared late) must not lose the page's voice."""
    data = story()
    data["pages"][1]["image_prompt"] = "Horangi walking alone in a quiet palace garden"
    data["character_sheet"] = "Horangi: a big orange tiger; a small white rabbit in a pink hanbok"
    llama_server.replies = [Reply(dumps(data))]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    done = (await collect(maker.submit(request(), requester_id=1).events()))[-1]
    assert isinstance(done, Done), done
    assert all(audio is not None and audio.is_file() for audio in done.book.audio)
    assert not done.book.warnings


async def test_a_story_with_its_title_last_keeps_every_narration(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """`json_object` mode lets a server write the keys in any order: pages 1-4 narrated while
    the title was unknown are the book's voices (their text has no title)."""
    data = story()
    reordered = {"character_sheet": data["character_sheet"], "pages": data["pages"]}
    reordered["title"] = data["title"]
    llama_server.replies = [Reply(json.dumps(reordered, ensure_ascii=False))]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    done = (await collect(maker.submit(request(), requester_id=1).events()))[-1]
    assert isinstance(done, Done), done
    assert all(audio is not None and audio.is_file() for audio in done.book.audio)
    assert done.book.story.title == data["title"]
    assert not done.book.warnings


async def test_a_redraw_flagged_twice_keeps_the_old_picture_and_says_so(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = [Reply(dumps(story()))]
    maker: BookMaker = served_makers(
        comfy.url, llama_server.url, book_video=False, picture_check_labels="FACE_FEMALE"
    )
    done = (await collect(maker.submit(request(), requester_id=1).events()))[-1]
    assert isinstance(done, Done)
    before = done.book.images[2].read_bytes()  # type: ignore[union-attr]
    comfy.next_images = [PHOTO.read_bytes()] * 2  # the new picture, and its repaint: flagged
    outcome = (await collect(maker.redraw(done.book.run_id, 2).events()))[-1]
    assert isinstance(outcome, Failed), "a placeholder is no redraw"
    record = maker.store.get(done.book.run_id)
    assert record is not None and record.status is Status.DONE
    assert record.pages[2].image_path.read_bytes() == before  # type: ignore[union-attr]
    assert not any("placeholder" in w for w in record.warnings)
    assert_free(maker, 1)


async def test_a_redraw_on_a_painter_that_never_finishes_is_cancellable_and_bounded(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """One 🎨 click on a ComfyUI that accepts the job and never finishes it: Cancel stops it,
    and without Cancel it gives the lane back after one painting's deadline, not every retry's."""
    llama_server.replies = [Reply(dumps(story()))]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    done = (await collect(maker.submit(request(), requester_id=1, lane="g").events()))[-1]
    assert isinstance(done, Done)
    comfy.hang = True
    redraw = maker.redraw(done.book.run_id, 1)
    await asyncio.sleep(0.5)
    assert maker.cancel(done.book.run_id).value == "stopping"
    async with asyncio.timeout(10):
        record = await redraw.wait()
    assert record.status is Status.DONE  # the book is as it was
    assert_free(maker, 1)


def test_lane_labels_are_salted_per_installation(tmp_path) -> None:
    salt = installation_salt(tmp_path)
    assert installation_salt(tmp_path) == salt  # kept
    assert installation_salt(tmp_path / "other") != salt
    guild_lane = "guild:123456789012345678"
    assert lane_label(guild_lane, salt) != lane_label(guild_lane, installation_salt(tmp_path / "x"))
    import hashlib

    unsalted = hashlib.sha256(guild_lane.encode()).hexdigest()[:12]
    assert lane_label(guild_lane, salt) != unsalted
    metrics = Metrics(Scheduler(1), None, salt=salt)
    metrics.close()


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_metrics_listen_on_loopback_by_default(host: str) -> None:
    from storybot.config import Settings

    assert Settings.load(env={}, env_file=None).metrics_host == host


async def test_a_dm_being_sent_keeps_its_version_while_a_redraw_lands(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """📬 racing 🎨: what is being sent (a DM waiting out a 429) is one version of the book —
    its pictures, MP4 and PDF stay as they were while the redraw replaces the run's files; the
    next 📬 carries the new version, with the MP4 and PDF made again from it."""
    llama_server.replies = [Reply(dumps(story()))]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=True)
    done = (await collect(maker.submit(request(), requester_id=1).events()))[-1]
    assert isinstance(done, Done) and done.book.video is not None
    run_id = done.book.run_id
    async with maker.delivery(run_id) as sending:
        assert sending is not None and sending.video is not None
        files = [*sending.images, sending.video, sending.directory / "book.pdf"]
        before = {path.name: path.read_bytes() for path in files if path is not None}
        outcome = (await collect(maker.redraw(run_id, 0).events()))[-1]
        assert isinstance(outcome, Done)  # it lands while the DM is still being sent
        assert {name: (sending.directory / name).read_bytes() for name in before} == before
    async with maker.delivery(run_id, remake=True) as newest:
        assert newest is not None and newest.video is not None
        assert newest.images[0].read_bytes() != before["cover.png"]  # type: ignore[union-attr]
        assert newest.video.read_bytes() != before["book.mp4"]
        assert (newest.directory / "book.pdf").read_bytes() != before["book.pdf"]
    assert not (maker.store.run_dir(run_id) / ".versions").exists() or not any(
        (maker.store.run_dir(run_id) / ".versions").iterdir()
    )  # every snapshot is gone once sent
