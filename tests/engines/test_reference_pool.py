"""A book painted with its reference picture on a pool of protocol-true fake ComfyUI servers:
every painter gets the upload before it paints a page of the book, late and recovered
painters too, and every page's graph names the upload in its `reference` node."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storybot.config import PROJECT_ROOT
from storybot.engines.image_pool import ComfyPool
from storybot.engines.reference import reference_filename
from tests.support.fake_comfyui import FakeComfyUI, free_port, png, png_size

WORKFLOWS = PROJECT_ROOT / "workflows"
KONTEXT = WORKFLOWS / "flux_kontext_reference.json"
BOOK = "20260101_120000_abc123"
NAME = f"storybot/storybot-{BOOK}-reference.png"


@pytest.fixture
async def painters() -> AsyncIterator[list[FakeComfyUI]]:
    fakes = [FakeComfyUI(step_delay=0.03), FakeComfyUI(step_delay=0.03)]
    for fake in fakes:
        await fake.start()
    yield fakes
    for fake in fakes:
        await fake.stop()


def make_pool(urls: list[str], workflow: Path = KONTEXT, **options: Any) -> ComfyPool:
    settings: dict[str, Any] = {
        "width": 96,
        "height": 64,
        "steps": 4,
        "connect_timeout": 2.0,
        "image_timeout": 30.0,
        "poll_interval": 0.02,
        "request_timeout": 10.0,
    }
    return ComfyPool(urls, workflow, **{**settings, **options})


async def paint_pages(pool: ComfyPool, folder: Path, pages: range, **options: Any) -> list[Path]:
    jobs = [
        pool.paint(f"page {i}", folder / f"page_{i}.png", seed=i, owner=BOOK, **options)
        for i in pages
    ]
    return await asyncio.gather(*jobs)


def references(fake: FakeComfyUI) -> list[Any]:
    """The `reference` node's image in every graph this server was sent."""
    return [body["prompt"].get("41", {}).get("inputs", {}).get("image") for body in fake.prompts]


def uploaded_before_painting(fake: FakeComfyUI) -> bool:
    """This server got the book's picture before its first page of the book."""
    return fake.log[0] == ("upload", NAME) and any(kind == "prompt" for kind, _ in fake.log)


async def test_a_book_on_two_painters_names_its_reference_on_every_page(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    sheet = tmp_path / "reference.png"
    sheet.write_bytes(png(48, 32, (10, 200, 30)))
    async with make_pool([fake.url for fake in painters]) as pool:
        # The reference picture itself: painted from the text alone, nothing uploaded.
        await pool.paint("the characters", sheet, seed=1, owner=BOOK)
        assert painters[0].uploads == painters[1].uploads == []
        assert await pool.share_reference(BOOK, sheet) == NAME
        paths = await paint_pages(pool, tmp_path, range(5), reference=True)
    assert [png_size(path.read_bytes()) for path in paths] == [(96, 64)] * 5
    pages = [image for fake in painters for image in references(fake)]
    assert sorted(pages, key=str) == [None] + [NAME] * 5  # the first prompt is the picture's
    for fake in painters:
        assert fake.prompts and len(fake.uploads) == 1, "both painted, each got it once"
        sent = fake.uploads[0]
        assert (sent["subfolder"], sent["name"], sent["overwrite"]) == (
            "storybot",
            f"storybot-{BOOK}-reference.png",
            "true",
        )
        assert sent["data"] == sheet.read_bytes()
        first_page = next(body for body in fake.prompts if "41" in body["prompt"])
        uploaded = fake.log.index(("upload", NAME))
        assert uploaded < fake.log.index(("prompt", first_page["prompt_id"])), fake.log


async def test_sharing_again_is_free_and_a_new_picture_replaces_the_old(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    first, second = png(16, 16, (1, 1, 1)), png(16, 16, (2, 2, 2))
    async with make_pool([painters[0].url]) as pool:
        await pool.share_reference(BOOK, first)
        await paint_pages(pool, tmp_path, range(2), reference=True)
        assert await pool.share_reference(BOOK, first) == NAME  # a redraw: same picture
        await paint_pages(pool, tmp_path, range(2, 3), reference=True)
        assert len(painters[0].uploads) == 1
        await pool.share_reference(BOOK, second)  # a new picture, same name, overwritten
        await paint_pages(pool, tmp_path, range(3, 4), reference=True)
    assert [u["name"] for u in painters[0].uploads] == [NAME.split("/")[1]] * 2
    assert painters[0].files[("input", "storybot", NAME.split("/")[1])] == second
    assert references(painters[0]) == [NAME] * 4


async def test_a_painter_that_comes_up_later_gets_the_reference_before_it_paints(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    late = FakeComfyUI(step_delay=0.03, port=free_port())
    urls = [painters[0].url, f"http://127.0.0.1:{late.port}"]
    async with make_pool(urls, reprobe_after=0.1) as pool:
        await pool.share_reference(BOOK, png(8, 8))
        await paint_pages(pool, tmp_path, range(2), reference=True)  # only the first is up
        await late.start()
        try:
            await asyncio.sleep(0.15)  # due for its probe
            await paint_pages(pool, tmp_path, range(2, 6), reference=True)
        finally:
            await late.stop()
    assert late.prompts, "the late painter took pages"
    assert uploaded_before_painting(late) and len(late.uploads) == 1
    assert references(late) == [NAME] * len(late.prompts)
    assert len(painters[0].uploads) == 1


async def test_a_painter_back_with_an_empty_input_folder_gets_it_again(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    fake = painters[0]
    async with make_pool([fake.url], reprobe_after=0.05) as pool:
        await pool.share_reference(BOOK, png(8, 8))
        await paint_pages(pool, tmp_path, range(1), reference=True)
        # Restarted without its volume (never seen down): the page is refused, so the pool
        # uploads again and paints there.
        fake.files.clear()
        await paint_pages(pool, tmp_path, range(1, 2), reference=True)
        assert len(fake.uploads) == 2 and len(fake.prompts) == 3  # one refused
        # Seen down (by a probe), back with an empty input/: uploaded before its next page,
        # so that page is not refused first.
        await fake.stop()
        assert not await pool.reachable()
        fake.files.clear()
        await fake.start()
        await asyncio.sleep(0.1)
        await paint_pages(pool, tmp_path, range(2, 3), reference=True)
    assert len(fake.uploads) == 3 and len(fake.prompts) == 4
    assert fake.log[-2:] == [("upload", NAME), ("prompt", fake.prompts[-1]["prompt_id"])]


async def test_two_books_have_their_own_reference_and_forget_it(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    fake = painters[0]
    async with make_pool([fake.url]) as pool:
        other = await pool.share_reference("other-book", png(4, 4, (5, 5, 5)))
        await pool.share_reference(BOOK, png(4, 4, (6, 6, 6)))
        await pool.paint("o", tmp_path / "o.png", seed=1, owner="other-book", reference=True)
        await paint_pages(pool, tmp_path, range(1), reference=True)
        assert references(fake) == [other, NAME]
        pool.forget_reference(BOOK)
        with pytest.raises(LookupError, match="share_reference first"):
            await paint_pages(pool, tmp_path, range(1, 2), reference=True)
        await pool.share_reference(BOOK, png(4, 4, (6, 6, 6)))  # a redraw days later
        await paint_pages(pool, tmp_path, range(2, 3), reference=True)
    assert [u["name"] for u in fake.uploads] == [
        reference_filename("other-book"),
        reference_filename(BOOK),
        reference_filename(BOOK),
    ]


async def test_a_workflow_without_a_reference_node_paints_as_before(
    painters: list[FakeComfyUI], tmp_path: Path
) -> None:
    fake = painters[0]
    async with make_pool([fake.url], WORKFLOWS / "flux_schnell.json") as pool:
        assert not pool.workflow.has_reference
        await pool.share_reference(BOOK, png(4, 4))
        await pool.paint("a", tmp_path / "a.png", seed=4, owner=BOOK, reference=True)
        await pool.paint("a", tmp_path / "b.png", seed=4, owner=BOOK)
        await pool.paint("a", tmp_path / "c.png", seed=4, owner="never-shared", reference=True)
    assert fake.uploads == []
    graphs = [body["prompt"] for body in fake.prompts]
    assert graphs[0] == graphs[1] == graphs[2]
    assert all(node["class_type"] != "LoadImage" for node in graphs[0].values())


def test_reference_names_are_per_book_and_safe() -> None:
    assert reference_filename(BOOK) == f"storybot-{BOOK}-reference.png"
    odd = reference_filename("guild 1/../book")
    assert "/" not in odd and " " not in odd and odd != reference_filename("guild 1/..book")
