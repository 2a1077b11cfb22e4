"""A book run cannot wedge the bot, lose a book or mix two books up (issue 9's cases), on the
real tiny engines: the llama-server stand-in, the ComfyUI stand-in, tiny Supertonic, ffmpeg and
SQLite. Each test names the case it covers."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from storybot.books.maker import BookMaker, CancelOutcome
from storybot.books.store import AUDIO_NAMES, IMAGE_NAMES, TIMING_NAMES
from storybot.engines.image_pool import ComfyPool
from storybot.models import (
    Cancelled,
    Done,
    Event,
    Failed,
    PageAudio,
    PageImage,
    PageText,
    Progress,
    Status,
    Waiting,
)
from tests.support import SAMPLES
from tests.support.fake_comfyui import FakeComfyUI, free_port
from tests.support.fake_llama_server import FakeLlamaServer, Reply, asks_for_a_verdict
from tests.support.stories import dumps, request, story, with_page

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def stories_asked(llama_server: FakeLlamaServer) -> int:
    """Requests for a story (not the guard's questions)."""
    return sum(not asks_for_a_verdict(body) for body in llama_server.requests)


def replies(*stories: dict, delay: float = 0.0) -> list[Reply]:
    return [Reply(dumps(s), chunk_size=8, chunk_delay=delay) for s in stories]


async def collect(events: AsyncIterator[Event]) -> list[Event]:
    async with asyncio.timeout(120):
        return [event async for event in events]


def assert_free(maker: BookMaker, user: int) -> None:
    """Nothing is held: no slot, no job, and the user may start another book."""
    assert maker.scheduler.running == [] and maker.scheduler.depth_by_lane() == {}
    assert maker.active == {}
    maker.scheduler.check_user(user)


# --- case 1: Cancel pressed twice, during cleanup, after Done --------------------------------


async def test_double_cancel_then_the_same_user_makes_another_book(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story(), story())
    comfy.hang = True
    maker: BookMaker = served_makers(comfy.url, llama_server.url)
    run = maker.submit(request(), requester_id=1, lane="lane:5")
    outcomes = []
    async with asyncio.timeout(60):
        async for event in run.events():
            if isinstance(event, Progress) and not outcomes:
                outcomes = [maker.cancel(run.run_id), maker.cancel(run.run_id)]
    assert outcomes == [CancelOutcome.STOPPING, CancelOutcome.ALREADY_STOPPING]
    assert (await run.wait()).status is Status.CANCELLED
    assert maker.cancel(run.run_id) is CancelOutcome.NOT_ACTIVE  # a press after the end
    assert_free(maker, 1)
    comfy.hang = False
    again = await collect(maker.submit(request(), requester_id=1, lane="lane:5").events())
    assert isinstance(again[-1], Done)


async def test_a_cancel_landing_in_the_cleanup_cannot_skip_the_end(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """Raw task cancellation, twice, the second while the first is still unwinding (what a
    double click did on main): the run still ends, the slot is released, close() returns."""
    llama_server.replies = replies(story())
    comfy.hang = True
    maker: BookMaker = served_makers(comfy.url, llama_server.url)
    run = maker.submit(request(), requester_id=2, lane="lane:5")
    task = run._task
    assert task is not None
    async with asyncio.timeout(60):
        async for event in run.events():
            if isinstance(event, Progress):
                task.cancel()
                await asyncio.sleep(0)  # the first cancellation starts unwinding…
                task.cancel()  # …and a second one lands in the middle of it
    record = await asyncio.wait_for(run.wait(), 30)
    assert record.status is Status.CANCELLED
    assert maker.store.get(run.run_id).status is Status.CANCELLED  # type: ignore[union-attr]
    assert_free(maker, 2)


async def test_cancel_after_done_changes_nothing(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story(), story())
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    run = maker.submit(request(), requester_id=3, lane="lane:6")
    events = await collect(run.events())
    assert isinstance(events[-1], Done)
    assert maker.cancel(run.run_id) is CancelOutcome.NOT_ACTIVE
    assert maker.store.get(run.run_id).status is Status.DONE  # type: ignore[union-attr]
    assert_free(maker, 3)
    assert isinstance((await collect(maker.submit(request(), requester_id=3).events()))[-1], Done)


# --- case 2: a paint cancelled during the health probe ------------------------------------


async def test_a_paint_cancelled_during_the_probe_gives_the_server_back(
    comfy: FakeComfyUI, tmp_path: Path
) -> None:
    from storybot.config import PROJECT_ROOT

    pool = ComfyPool([comfy.url], PROJECT_ROOT / "workflows" / "flux_schnell.json")
    server = pool._servers[0]
    server.down_until = time.monotonic() - 1  # due for a probe before it is used again
    probing = asyncio.Event()
    real_health = server.client.health

    async def slow_health() -> dict:  # the probe is in flight when the cancel lands
        probing.set()
        await asyncio.sleep(30)
        return await real_health()

    server.client.health = slow_health  # type: ignore[method-assign]
    paint = asyncio.create_task(pool.paint("a rabbit", tmp_path / "a.png", seed=1))
    await asyncio.wait_for(probing.wait(), 5)
    paint.cancel()
    with pytest.raises(asyncio.CancelledError):
        await paint
    assert not server.busy, "the server went back to the pool"
    server.client.health = real_health  # type: ignore[method-assign]
    async with asyncio.timeout(30):  # and the next paint gets it
        path = await pool.paint("a rabbit", tmp_path / "b.png", seed=1)
    assert path.read_bytes().startswith(b"\x89PNG")
    await pool.close()


async def test_one_deadline_covers_the_whole_paint(comfy: FakeComfyUI, tmp_path: Path) -> None:
    from storybot.config import PROJECT_ROOT
    from storybot.engines.comfyui import ComfyTimeoutError

    comfy.hang = True
    pool = ComfyPool(
        [comfy.url], PROJECT_ROOT / "workflows" / "flux_schnell.json", paint_deadline=1.0
    )
    started = time.monotonic()
    with pytest.raises(ComfyTimeoutError):
        await pool.paint("a rabbit", tmp_path / "a.png", seed=1)
    assert time.monotonic() - started < 10
    assert not pool._servers[0].busy
    await pool.close()


# --- case 4: a retry trusts nothing it did not accept ---------------------------------------


async def test_retry_after_a_cancelled_story_makes_everything_from_the_new_story(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """The first draft's cover and narration were made while it was written, then the book was
    cancelled; the retry writes a new story and must paint and narrate it, not reuse them."""
    old = with_page(story(), 0, image_prompt="an old draft cover of a grey wolf in the snow")
    old = with_page(old, 0, text="옛날 옛적 눈 덮인 산에 회색 늑대가 살았어요.")
    new = story()
    llama_server.replies = [Reply(dumps(old), chunk_size=4, chunk_delay=0.02), *replies(new)]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    run = maker.submit(request(), requester_id=4)
    async with asyncio.timeout(60):
        async for event in run.events():
            if isinstance(event, PageAudio) and event.page == 0:
                maker.cancel(run.run_id)  # the draft's cover and voice exist by now
    record = await run.wait()
    assert record.status is Status.CANCELLED and record.story is None
    folder = maker.store.run_dir(run.run_id)
    assert not any((folder / name).exists() for name in (*IMAGE_NAMES, *AUDIO_NAMES))
    painted_before = len(comfy.prompts)

    again = await collect(maker.retry(run.run_id).events())
    done = again[-1]
    assert isinstance(done, Done)
    assert done.book.story.pages[0].text == new["pages"][0]["text"]
    assert {e.page for e in again if isinstance(e, PageAudio)} == set(range(5))
    new_prompts = [str(p) for p in comfy.prompts[painted_before:]]
    assert any(new["pages"][0]["image_prompt"] in p for p in new_prompts), "cover repainted"
    assert not any("grey wolf" in p for p in new_prompts)
    # Every file in the folder belongs to the accepted story.
    names = {p.name for p in folder.iterdir()}
    assert names == {*IMAGE_NAMES, *AUDIO_NAMES, *TIMING_NAMES, "story.json", "book.pdf"}


async def test_a_superseded_attempt_leaves_nothing_in_the_run_folder(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    bad = story(title="No Hangul at all")  # pages stream, then the whole story is refused
    llama_server.replies = [Reply(dumps(bad), chunk_size=4, chunk_delay=0.01), *replies(story())]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request()).events())
    done = events[-1]
    assert isinstance(done, Done), events[-1]
    for index in range(5):
        image, audio = done.book.images[index], done.book.audio[index]
        assert image is not None and image.parent == done.book.directory
        assert audio is not None and audio.parent == done.book.directory


# --- case 5: retention never removes a book being delivered or recently touched --------------


async def test_retention_spares_a_book_being_delivered_and_a_recent_retry(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story(), story(), story())
    maker: BookMaker = served_makers(comfy.url, llama_server.url, keep_runs=1, book_video=False)
    first = await collect(maker.submit(request(), requester_id=1).events())
    assert isinstance(first[-1], Done)
    old_id = first[-1].book.run_id
    maker.delivering.add(old_id)  # the bot is sending it to DMs right now
    for user in (2, 3):
        events = await collect(maker.submit(request(), requester_id=user).events())
        assert isinstance(events[-1], Done)
    later = datetime.now() + timedelta(hours=2)
    assert old_id not in maker.store.prune(1, protect=maker.delivering, now=later)
    assert maker.store.run_dir(old_id).is_dir()
    maker.delivering.discard(old_id)
    # A run touched within the hour (a retry, a 📬) is left alone, even when it is old.
    assert old_id not in maker.store.prune(1)
    assert old_id in maker.store.prune(1, now=later)


# --- case 7: the painter being down is said, not hidden ------------------------------------


async def test_painter_down_fails_fast_when_told_to(
    served_makers, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story())
    down = f"http://127.0.0.1:{free_port()}"
    maker: BookMaker = served_makers(down, llama_server.url, painter_down="fail")
    events = await collect(maker.submit(request(), requester_id=1).events())
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "painter_down"
    assert llama_server.requests == [], "no LLM time spent on a book that cannot be painted"
    assert_free(maker, 1)


async def test_painter_down_waits_visibly_and_starts_when_it_is_back(
    served_makers, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story())
    port = free_port()
    maker: BookMaker = served_makers(f"http://127.0.0.1:{port}", llama_server.url, book_video=False)
    run = maker.submit(request(), requester_id=1)
    comfy = FakeComfyUI()
    seen: list[Event] = []
    try:
        async with asyncio.timeout(60):
            async for event in run.events():
                seen.append(event)
                if isinstance(event, Waiting):
                    assert event.reason == "painter_down"
                    await asyncio.sleep(0.5)
                    assert llama_server.requests == []  # still waiting: not even the guard asked
                    await comfy.start(port)  # the painter comes back
    finally:
        await comfy.stop()
    assert isinstance(seen[-1], Done)
    assert len([e for e in seen if isinstance(e, PageImage)]) == 5


async def test_painter_down_while_waiting_cancel_stops_it(
    served_makers, llama_server: FakeLlamaServer
) -> None:
    maker: BookMaker = served_makers(f"http://127.0.0.1:{free_port()}", llama_server.url)
    run = maker.submit(request(), requester_id=7)
    async with asyncio.timeout(30):
        async for event in run.events():
            if isinstance(event, Waiting):
                assert maker.cancel(run.run_id) is CancelOutcome.STOPPING
    assert (await run.wait()).status is Status.CANCELLED
    assert_free(maker, 7)


async def test_a_book_without_a_single_picture_fails_with_retry(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story())
    comfy.fail_class = "KSampler"  # ComfyUI answers, but every picture fails
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request(), requester_id=1).events())
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "no_pictures"
    record = maker.store.recent(1)[0]
    assert record.status is Status.FAILED
    assert record.story is not None  # the story and narration are kept for the retry
    comfy.fail_class = None
    again = await collect(maker.retry(record.run_id).events())
    assert isinstance(again[-1], Done)
    assert stories_asked(llama_server) == 1 and not any(isinstance(e, PageAudio) for e in again)


# --- shutdown ------------------------------------------------------------------------------


async def test_close_interrupts_running_and_queued_books(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story(), story())
    comfy.hang = True
    maker: BookMaker = served_makers(comfy.url, llama_server.url)
    running = maker.submit(request(), requester_id=1, lane="lane:9")
    queued = maker.submit(request(), requester_id=2, lane="lane:9")
    async with asyncio.timeout(60):
        async for event in running.events():
            if isinstance(event, Progress):
                break
    stopped = await asyncio.wait_for(maker.close(), 30)
    assert sorted(r.run_id for r in stopped) == sorted([running.run_id, queued.run_id])
    assert all(r.status is Status.INTERRUPTED for r in stopped)
    assert isinstance((await collect(queued.events()))[-1], Cancelled)


# --- issue 10: every picture is looked at before anyone sees it ------------------------------

PHOTO = SAMPLES / "grace_hopper.jpg"


async def test_a_flagged_picture_is_repainted_then_replaced_by_a_placeholder(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    """The real detector looks at what ComfyUI returned. A photo with a face stands in for an
    unsuitable picture: with PICTURE_CHECK_LABELS=FACE_FEMALE the detector really flags it."""
    from storybot.engines.placeholder import placeholder_png
    from tests.support.fake_comfyui import png_size

    llama_server.replies = replies(story(), story())
    maker: BookMaker = served_makers(
        comfy.url, llama_server.url, book_video=False, picture_check_labels="FACE_FEMALE"
    )
    # Every picture comes back flagged twice: each is repainted once, then a placeholder
    # (pages are painted side by side, so which page gets which image is not fixed).
    comfy.next_images = [PHOTO.read_bytes()] * 10
    events = await collect(maker.submit(request(), requester_id=1).events())
    done = events[-1]
    assert isinstance(done, Done)  # a placeholder is still a page: the book is made
    for image in done.book.images:
        assert image is not None and image.read_bytes() == placeholder_png(128, 128)
    assert sum("placeholder" in w for w in done.book.warnings) == 5
    assert len(comfy.prompts) == 10  # every page twice
    assert not comfy.next_images
    shown = [e for e in events if isinstance(e, PageImage) and e.page == 0]
    assert all(png_size(e.path.read_bytes()) == (128, 128) for e in shown), "never the photo"
    # Flagged once: the repaint is used and nothing is noted.
    comfy.next_images = [PHOTO.read_bytes()]
    again = await collect(maker.submit(request(), requester_id=2).events())
    assert isinstance(again[-1], Done) and not again[-1].book.warnings
    assert maker.store.get(again[-1].book.run_id).timings["picture_check_0"] >= 0  # type: ignore[union-attr]


# --- issue 10: a model's second look at the request and at the story --------------------------

UNSAFE = '{"safe": false, "category": "violence"}'
SAFE = '{"safe": true, "category": "none"}'


async def test_the_guard_refuses_a_request_before_any_story_is_written(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story())
    llama_server.verdicts = [Reply(UNSAFE)]
    maker: BookMaker = served_makers(comfy.url, llama_server.url)  # SAFETY_GUARD=llm (the default)
    events = await collect(maker.submit(request(), requester_id=1).events())
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "unsafe_request"
    verdicts = [body for body in llama_server.requests if asks_for_a_verdict(body)]
    assert len(verdicts) == 1 and "조선시대" in str(verdicts[0]["messages"])
    # The story may have started beside the check (a llama-server has a slot for each), but
    # nothing of it was shown, narrated or painted before the guard's answer.
    shown = [e for e in events if isinstance(e, PageText | PageImage | PageAudio)]
    assert shown == [] and comfy.prompts == []


async def test_the_guards_check_runs_beside_the_story_and_nothing_shows_before_its_yes(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    # The guard takes 0.6 s to answer; the whole story streams in far less.
    llama_server.replies = replies(story())
    llama_server.verdicts = [Reply(SAFE, delay=0.6)]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    started = time.perf_counter()
    seen: list[tuple[float, Event]] = []
    async with asyncio.timeout(120):
        async for event in maker.submit(request(), requester_id=1).events():
            seen.append((time.perf_counter() - started, event))
    assert isinstance(seen[-1][1], Done)
    asked, arrived = llama_server.requests, llama_server.arrived
    assert asks_for_a_verdict(asked[0]) and not asks_for_a_verdict(asked[1])
    assert arrived[1] - arrived[0] < 0.3  # the story was asked for while the guard read
    first_shown = min(t for t, e in seen if isinstance(e, PageText | PageImage | PageAudio))
    assert first_shown >= 0.6  # nothing before the guard's yes


@pytest.mark.parametrize("story_fails", ["server_error", "invalid_story"])
async def test_a_refusal_is_not_lost_when_the_story_fails_before_the_guard_answers(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer, story_fails: str
) -> None:
    failing = (
        [Reply(status=500, error="out of memory")] * 3
        if story_fails == "server_error"
        else [Reply('{"title": "x"}')] * 3
    )
    llama_server.replies = failing
    llama_server.verdicts = [Reply(UNSAFE, delay=0.8)]
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request(), requester_id=1).events())
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.code == "unsafe_request", failed
    assert comfy.prompts == []


async def test_a_story_the_guard_refuses_is_rewritten(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    first = with_page(story(), 1, text="호랑이와 토끼가 궁궐 마당에서 술래잡기를 했어요.")
    llama_server.replies = replies(first, story())
    llama_server.verdicts = [Reply(SAFE), Reply(UNSAFE), Reply(SAFE)]  # request, story 1, story 2
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request(), requester_id=1).events())
    done = events[-1]
    assert isinstance(done, Done)
    assert done.book.story.pages[1].text == story()["pages"][1]["text"]  # the second story
    assert llama_server.verdicts == [] and stories_asked(llama_server) == 2


# --- issue 14: styles reach ComfyUI; one page drawn again -------------------------------------


async def test_the_requested_style_reaches_every_picture(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    from storybot.engines.styles import load_styles

    llama_server.replies = replies(story())
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    events = await collect(maker.submit(request(style="minhwa"), requester_id=1).events())
    assert isinstance(events[-1], Done)
    minhwa = load_styles()["minhwa"]
    assert len(comfy.prompts) == 5 and all(minhwa.prefix in str(p) for p in comfy.prompts)
    asked = [body for body in llama_server.requests if not asks_for_a_verdict(body)]
    assert minhwa.label_en in str(asked[0]["messages"])  # the writer knows the look too


async def test_redraw_paints_one_page_again_and_keeps_the_rest(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = replies(story())
    maker: BookMaker = served_makers(comfy.url, llama_server.url)
    first = await collect(maker.submit(request(), requester_id=1).events())
    book = first[-1]
    assert isinstance(book, Done) and book.book.video is not None
    run_id = book.book.run_id
    pictures = [p.read_bytes() for p in book.book.images if p is not None]
    painted = len(comfy.prompts)
    again = await collect(maker.redraw(run_id, 3).events())
    assert isinstance(again[-1], Done)
    assert len(comfy.prompts) == painted + 1  # one page, not the book
    record = maker.store.get(run_id)
    assert record is not None and record.status is Status.DONE
    now = [p.image_path.read_bytes() for p in record.pages if p.image_path is not None]
    assert now[3] != pictures[3] and now[:3] + now[4:] == pictures[:3] + pictures[4:]
    assert not maker.store.video_path(run_id).exists()  # stale: remade when the book is sent
    await maker.remake_keepsakes(run_id)
    assert maker.store.video_path(run_id).is_file()
    assert_free(maker, 1)
