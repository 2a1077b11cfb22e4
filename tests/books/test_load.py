"""Issue 22's load scenario: 3 guilds, 10 members, 30 books, with 🎨 redraws and 📬 re-sends
clicked while the books are being delivered — every book is made and delivered once, each DM
carries one version of its book (the newest when it was taken), no file is missing, and no slot,
lane, lock or snapshot is left held."""

from __future__ import annotations

import asyncio
import random

from storybot.books import BookMaker
from storybot.books.versions import SNAPSHOTS
from storybot.models import Book, Done, Status
from tests.books.test_book_runs import assert_free, collect
from tests.support.fake_comfyui import FakeComfyUI
from tests.support.fake_llama_server import FakeLlamaServer, Reply
from tests.support.stories import dumps, request, story

GUILDS, MEMBERS, BOOKS_EACH = 3, 10, 3


def files_of(book: Book) -> list:
    return [path for path in [*book.images, *book.audio, book.video] if path is not None]


async def test_thirty_books_in_three_guilds_with_redraws_and_resends_during_delivery(
    served_makers, comfy: FakeComfyUI, llama_server: FakeLlamaServer
) -> None:
    llama_server.replies = [Reply(dumps(story()), chunk_size=64)] * (MEMBERS * BOOKS_EACH)
    maker: BookMaker = served_makers(comfy.url, llama_server.url, book_video=False)
    chance = random.Random(22)
    delivered: dict[str, int] = {}

    async def deliver(run_id: str) -> None:
        """A DM: one version of the book, every file there for as long as it is being sent."""
        async with maker.delivery(run_id, remake=True) as book:
            assert book is not None and book.run_id == run_id
            sent = {path: path.read_bytes() for path in files_of(book)}
            assert len([p for p in book.images if p is not None]) == 5
            await asyncio.sleep(chance.random() * 0.2)  # Discord's 429 waits
            assert {path: path.read_bytes() for path in sent} == sent
        delivered[run_id] = delivered.get(run_id, 0) + 1

    async def member(user: int) -> None:
        lane = f"guild:{user % GUILDS}"
        for _ in range(BOOKS_EACH):
            events = await collect(maker.submit(request(), requester_id=user, lane=lane).events())
            done = events[-1]
            assert isinstance(done, Done), done
            run_id = done.book.run_id
            sending = asyncio.create_task(deliver(run_id))  # the first DM
            await asyncio.sleep(chance.random() * 0.05)
            redrawn = (await collect(maker.redraw(run_id, chance.randrange(5)).events()))[-1]
            assert isinstance(redrawn, Done), redrawn  # 🎨 while the DM is being sent
            await sending
            await deliver(run_id)  # 📬: the newest version, its MP4/PDF made again from it
            newest = maker.finished_book(run_id)
            assert newest is not None and all(p is not None and p.is_file() for p in newest.images)

    async with asyncio.timeout(600):
        await asyncio.gather(*(member(user) for user in range(1, MEMBERS + 1)))
    assert len(delivered) == MEMBERS * BOOKS_EACH
    assert set(delivered.values()) == {2}  # the first DM and one re-send, each book
    for user in range(1, MEMBERS + 1):
        assert_free(maker, user)
        assert all(r.status is Status.DONE for r in maker.recent(user, 10))
    for run_id in delivered:
        assert not (maker.store.run_dir(run_id) / SNAPSHOTS).exists()  # no snapshot left
    assert maker.delivering == set()
    assert all(not lock.locked() for lock in maker._owners.values())
