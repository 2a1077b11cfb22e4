"""The whole book pipeline on the real tiny engines: tiny GGUF (or the llama-server stand-in),
the ComfyUI stand-in, tiny Supertonic models, real ffmpeg and SQLite."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import ffmpeg
import pytest
import soundfile

from storybot.books.maker import BookMaker, RequestRefused
from storybot.books.queue import UserBusyError
from storybot.books.store import RunStore
from storybot.config import Settings
from storybot.models import (
    Cancelled,
    Done,
    Event,
    Failed,
    PageAudio,
    PageImage,
    PageText,
    Progress,
    Queued,
    Stage,
    StageStarted,
    Status,
    StoryReady,
)
from storybot.wiring import make_book_maker
from tests.support.fake_comfyui import FakeComfyUI, png_size
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

OUTPUT_NAMES = {
    "cover.png",
    "panel_1.png",
    "panel_2.png",
    "panel_3.png",
    "panel_4.png",
    "page_0.wav",
    "page_1.wav",
    "page_2.wav",
    "page_3.wav",
    "page_4.wav",
    "story.json",
    "book.mp4",
    "book.pdf",
    *(f"page_{i}.json" for i in range(5)),  # each narration's sentence timings
}


def settings(tmp_path: Path, comfy: FakeComfyUI, **values: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "comfyui_urls": comfy.url,
        "llm_n_ctx": 4096,
        "llm_max_tokens": 2000,
        "llm_threads": 2,
        "image_width": 256,
        "image_height": 256,
        "shared_gpu": False,
        "safety_guard": "off",  # the tiny model's verdict is noise (tests/story/test_guard.py)
    }
    base.update(values)
    return Settings.load(env={}, env_file=None, **base)


@pytest.fixture
async def maker_factory(
    tmp_path: Path, comfy: FakeComfyUI, tiny_gguf: Path, tiny_supertonic: Path
) -> AsyncIterator:
    made: list[BookMaker] = []

    def make(**values: object) -> BookMaker:
        if "llm_server_url" not in values:
            values.setdefault("llm_model", str(tiny_gguf))
            values.setdefault("story_review", False)  # random prose: the review refuses it
        values.setdefault("tts_model_dir", tiny_supertonic)
        maker = make_book_maker(settings(tmp_path, comfy, **values))
        made.append(maker)
        return maker

    yield make
    for maker in made:
        await maker.close()


async def collect(events: AsyncIterator[Event]) -> list[Event]:
    async with asyncio.timeout(120):
        return [event async for event in events]


def wav_seconds(path: Path) -> float:
    return soundfile.info(str(path)).duration


async def test_whole_book_on_the_tiny_engines(maker_factory, comfy: FakeComfyUI) -> None:
    maker: BookMaker = maker_factory()
    book = maker.submit(request(), requester_id=1, origin={"chat": 100}, lane="lane:10")
    events = await collect(book.events())

    assert events[0] == StageStarted(stage=Stage.LLM)  # nobody in line: no Queued event
    done = events[-1]
    assert isinstance(done, Done), events[-1]
    folder = maker.store.run_dir(book.run_id)
    assert {p.name for p in folder.iterdir()} == OUTPUT_NAMES
    for index in range(5):
        image = done.book.images[index]
        assert image is not None and png_size(image.read_bytes()) == (256, 256)
        audio = done.book.audio[index]
        assert audio is not None and soundfile.info(str(audio)).samplerate == 44100
    # The MP4 lasts as long as the narration (plus the gap after each page).
    video = ffmpeg.probe(str(folder / "book.mp4"))
    narration = sum(wav_seconds(folder / f"page_{i}.wav") for i in range(5))
    gap = maker.pipeline.options.video.gap
    assert float(video["format"]["duration"]) == pytest.approx(narration + 5 * gap, abs=0.3)

    # One seed for the whole book, and the story's image prompts reached ComfyUI.
    seeds = {_seed(prompt) for prompt in comfy.prompts}
    assert len(comfy.prompts) == 5 and len(seeds) == 1
    async with asyncio.timeout(10):  # ComfyUI's memory is freed right after the book
        while not comfy.frees:
            await asyncio.sleep(0.05)

    record = maker.store.get(book.run_id)
    assert record is not None and record.status is Status.DONE
    assert record.ready_max_page == 4 and record.ready_max_audio_page == 4
    assert record.story is not None and record.story.title == done.book.story.title
    assert {"llm", "total", "image_0", "narration_4"} <= set(record.timings)

    kinds = [type(event) for event in events]
    assert kinds.count(PageImage) == 5 and kinds.count(PageAudio) == 5
    assert kinds.count(StoryReady) == 1 and Progress in kinds
    first_text = kinds.index(PageText)
    assert first_text < kinds.index(StoryReady)  # pages arrive while the story is written


def _seed(prompt: dict) -> int:
    for node in prompt["prompt"].values():
        if node.get("_meta", {}).get("title") == "seed":
            inputs = node["inputs"]
            return inputs.get("noise_seed", inputs.get("seed"))
    raise AssertionError("no seed node")


async def slow_story_server() -> FakeLlamaServer:
    server = FakeLlamaServer(replies=[Reply(dumps(story()), chunk_size=4, chunk_delay=0.01)])
    await server.start()
    return server


async def test_separate_gpu_paints_the_cover_while_the_story_is_written(maker_factory) -> None:
    server = await slow_story_server()
    try:
        maker: BookMaker = maker_factory(llm_server_url=server.url, shared_gpu=False)
        events = await collect(maker.submit(request()).events())
    finally:
        await server.stop()
    kinds = [type(e) for e in events]
    cover = next(i for i, e in enumerate(events) if isinstance(e, PageImage) and e.page == 0)
    first_audio = kinds.index(PageAudio)
    assert cover < kinds.index(StoryReady)
    assert first_audio < kinds.index(StoryReady)
    assert isinstance(events[-1], Done)


async def test_shared_gpu_story_first_paints_only_after_the_story(maker_factory) -> None:
    server = await slow_story_server()
    try:
        maker: BookMaker = maker_factory(
            llm_server_url=server.url, shared_gpu=True, gpu_schedule="story-first"
        )
        events = await collect(maker.submit(request()).events())
    finally:
        await server.stop()
    kinds = [type(e) for e in events]
    story_ready = kinds.index(StoryReady)
    assert all(i > story_ready for i, k in enumerate(kinds) if k in (PageImage, Progress))
    assert kinds.index(PageAudio) < story_ready  # narration does not wait for the GPU
    stages = [e.stage for e in events if isinstance(e, StageStarted)]
    assert stages[:2] == [Stage.LLM, Stage.COVER]
    assert isinstance(events[-1], Done)


async def test_shared_gpu_interleave_pauses_the_server_writer_for_each_picture(
    maker_factory,
) -> None:
    """The llama-server writer ends its request for each picture and continues with a second
    one (prefilled with the text so far, the cached prefix reused, a grammar for the rest);
    the book is the same story, its cover seen while pages were still being written."""
    server = await slow_story_server()
    try:
        maker: BookMaker = maker_factory(
            llm_server_url=server.url, shared_gpu=True, gpu_schedule="interleave"
        )
        events = await collect(maker.submit(request()).events())
    finally:
        await server.stop()
    kinds = [type(e) for e in events]
    cover = next(i for i, e in enumerate(events) if isinstance(e, PageImage) and e.page == 0)
    assert cover < kinds.index(StoryReady)
    done = events[-1]
    assert isinstance(done, Done)
    written = done.book.story  # resumed into the very same story
    assert written.title == story()["title"]
    assert [page.text for page in written.pages] == [page["text"] for page in story()["pages"]]
    stories = [body for body in server.requests if "grammar" in body]
    assert len(stories) >= 2  # the first request, then at least one continuation
    for body in stories[1:]:
        *_, last = body["messages"]
        assert last["role"] == "assistant" and last["content"].startswith('{"title"')
        assert body["cache_prompt"] is True
        assert body["grammar"] != stories[0]["grammar"]


async def test_a_failed_picture_never_loses_the_book(maker_factory, comfy: FakeComfyUI) -> None:
    server = FakeLlamaServer(replies=[Reply(dumps(story()))])
    await server.start()
    comfy.fail_class = "KSampler"
    comfy.fail_prompt_containing = story()["pages"][2]["image_prompt"][:40]  # page 2 only
    try:
        maker: BookMaker = maker_factory(llm_server_url=server.url)
        events = await collect(maker.submit(request()).events())
    finally:
        await server.stop()
    done = events[-1]
    assert isinstance(done, Done)
    assert done.book.images[2] is None
    assert all(done.book.images[i] is not None for i in (0, 1, 3, 4))
    assert len([w for w in done.book.warnings if "picture could not be made" in w]) == 1
    assert done.book.video is not None and done.book.video.is_file()
    record = maker.store.get(done.book.run_id)
    assert record is not None and record.pages[2].image_failed
    assert record.ready_max_page == 4  # a failed page counts as settled
    # Page 2 was tried twice (one retry), then given up; the others once.
    assert len(comfy.prompts) == 6


async def test_invalid_story_fails_with_the_reason_and_frees_the_guild(
    maker_factory, tiny_gguf: Path
) -> None:
    server = FakeLlamaServer(replies=[Reply(dumps(story(title="No Hangul")))] * 3)
    await server.start()
    try:
        maker: BookMaker = maker_factory(llm_server_url=server.url)
        events = await collect(maker.submit(request(), lane="lane:5").events())
    finally:
        await server.stop()
    failed = events[-1]
    assert isinstance(failed, Failed) and failed.stage is Stage.LLM
    assert "not valid after 3 attempt(s)" in failed.error and "Hangul" in failed.error
    assert maker.scheduler.running == [] and maker.active == {}


async def test_cancel_interrupts_the_picture_and_keeps_the_files(
    maker_factory, comfy: FakeComfyUI
) -> None:
    comfy.hang = True  # the cover never finishes until interrupted
    maker: BookMaker = maker_factory()
    book = maker.submit(request(), requester_id=3, lane="lane:7")
    seen: list[Event] = []
    async with asyncio.timeout(60):
        async for event in book.events():
            seen.append(event)
            if isinstance(event, Progress):
                assert maker.cancel(book.run_id)
    assert isinstance(seen[-1], Cancelled)
    record = await book.wait()
    assert record.status is Status.CANCELLED
    assert maker.store.get(book.run_id).status is Status.CANCELLED  # type: ignore[union-attr]
    assert comfy.interrupts or comfy.deleted, "the ComfyUI book was stopped"
    assert maker.store.run_dir(book.run_id).is_dir()  # what was made is kept
    assert maker.scheduler.running == [] and maker.active == {}
    maker.scheduler.check_user(3)  # the requester may start another book


async def test_queue_order_positions_and_the_per_user_cap(
    maker_factory, comfy: FakeComfyUI
) -> None:
    comfy.hang = True
    maker: BookMaker = maker_factory()
    first = maker.submit(request(), requester_id=1, lane="lane:9")
    second = maker.submit(request(topic="모험"), requester_id=2, lane="lane:9")
    with pytest.raises(UserBusyError):
        maker.submit(request(), requester_id=1, lane="lane:9")
    second_events: list[Event] = []

    async def follow() -> None:
        async for event in second.events():
            second_events.append(event)

    follower = asyncio.create_task(follow())
    async with asyncio.timeout(60):
        async for event in first.events():
            if isinstance(event, Progress):
                assert maker.scheduler.depth_by_lane() == {"lane:9": 1}
                comfy.hang = False
                maker.cancel(first.run_id)
        await follower
    assert second_events[0] == Queued(position=1)
    assert isinstance(second_events[-1], Done)
    assert second_events.index(Queued(position=1)) < [type(e) for e in second_events].index(
        StageStarted
    )


async def test_safety_screen_refuses_before_anything_is_made(maker_factory) -> None:
    maker: BookMaker = maker_factory()
    with pytest.raises(RequestRefused, match="어린이 그림책으로 만들 수 없어요"):
        maker.submit(request(topic="마약 파는 토끼"), requester_id=1)
    with pytest.raises(RequestRefused, match="can't become a children's picture book"):
        maker.submit(request(topic="a murder mystery", language="en"), requester_id=1)
    assert maker.store.recent(1) == []


async def test_retry_reuses_the_story_and_the_pages_made(maker_factory, comfy: FakeComfyUI) -> None:
    server = FakeLlamaServer(replies=[Reply(dumps(story()))])
    await server.start()
    try:
        maker: BookMaker = maker_factory(llm_server_url=server.url)
        comfy.fail_class = "KSampler"
        comfy.fail_prompt_containing = story()["pages"][2]["image_prompt"][:40]
        first = await collect(maker.submit(request(), requester_id=4).events())
        assert isinstance(first[-1], Done)
        run_id = first[-1].book.run_id
        comfy.fail_class = None
        painted = len(comfy.prompts)
        again = await collect(maker.retry(run_id).events())
        assert len(comfy.prompts) == painted + 1  # only the missing picture is painted
    finally:
        await server.stop()
    done = again[-1]
    assert isinstance(done, Done) and done.book.run_id == run_id
    assert len(server.requests) == 1  # the story was not written again
    assert not any(isinstance(e, PageAudio) for e in again)  # narration was kept
    assert all(image is not None and image.is_file() for image in done.book.images)


async def test_restart_marks_unfinished_runs_interrupted(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = store.create(request(), requester_id=8, origin={"chat": 2}, lane="lane:1")
    record.status = Status.RUNNING
    store.save(record)
    store.close()  # the process dies here
    store = RunStore(tmp_path)
    interrupted = store.recover()
    assert [r.run_id for r in interrupted] == [record.run_id]
    assert interrupted[0].requester_id == 8 and interrupted[0].status is Status.INTERRUPTED


async def test_no_narration_still_makes_a_video(maker_factory) -> None:
    maker: BookMaker = maker_factory()
    events = await collect(maker.submit(request(narration=False)).events())
    done = events[-1]
    assert isinstance(done, Done) and all(a is None for a in done.book.audio)
    assert done.book.video is not None
    duration = float(ffmpeg.probe(str(done.book.video))["format"]["duration"])
    assert duration == pytest.approx(5 * maker.pipeline.options.video.silent_page, abs=0.3)
