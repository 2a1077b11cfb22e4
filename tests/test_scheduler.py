from __future__ import annotations

import asyncio

import pytest

from storybot.scheduler import Scheduler, UserBusyError


async def hold(
    scheduler: Scheduler,
    run_id: str,
    gate: asyncio.Event,
    log: list[str],
    positions: dict[str, list[int]],
    **where: int | None,
) -> None:
    async with scheduler.slot(run_id, on_position=positions.setdefault(run_id, []).append, **where):
        log.append(f"start {run_id}")
        await gate.wait()
        log.append(f"end {run_id}")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_book_per_guild_fifo_with_positions() -> None:
    scheduler = Scheduler(concurrency=4)
    gates = {name: asyncio.Event() for name in "abc"}
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(
            hold(scheduler, name, gates[name], log, positions, guild_id=1, user_id=index)
        )
        for index, name in enumerate("abc")
    ]
    await settle()
    assert log == ["start a"] and scheduler.waiting == ["b", "c"]
    assert positions == {"a": [], "b": [1], "c": [2]}
    gates["a"].set()
    await settle()
    assert log[-1] == "start b" and scheduler.position("c") == 1
    assert positions["c"] == [2, 1]
    gates["b"].set()
    gates["c"].set()
    await asyncio.gather(*tasks)
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert scheduler.running == [] and scheduler.waiting == []


async def test_other_guilds_run_side_by_side_up_to_the_global_limit() -> None:
    scheduler = Scheduler(concurrency=2)
    gate = asyncio.Event()
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(hold(scheduler, f"g{g}", gate, log, positions, guild_id=g))
        for g in range(3)
    ]
    await settle()
    assert sorted(scheduler.running) == ["g0", "g1"] and scheduler.waiting == ["g2"]
    gate.set()
    await asyncio.gather(*tasks)
    assert log.count("start g2") == 1


async def test_per_user_cap() -> None:
    scheduler = Scheduler(concurrency=1, per_user=1)
    gate = asyncio.Event()
    task = asyncio.create_task(hold(scheduler, "a", gate, [], {}, guild_id=1, user_id=9))
    await settle()
    with pytest.raises(UserBusyError, match="already have 1 book"):
        async with scheduler.slot("b", guild_id=2, user_id=9):
            pass
    scheduler.check_user(10)  # another user is fine
    gate.set()
    await task
    scheduler.check_user(9)  # free again


@pytest.mark.parametrize("how", ["fail", "cancel running", "cancel waiting"])
async def test_slot_is_released_on_every_path(how: str) -> None:
    scheduler = Scheduler(concurrency=1)
    gate = asyncio.Event()

    async def failing() -> None:
        async with scheduler.slot("a", guild_id=1):
            raise RuntimeError("engine crashed mid-book")

    if how == "fail":
        with pytest.raises(RuntimeError):
            await failing()
    else:
        first = asyncio.create_task(hold(scheduler, "a", gate, [], {}, guild_id=1))
        second = asyncio.create_task(hold(scheduler, "b", gate, [], {}, guild_id=1))
        await settle()
        victim = first if how == "cancel running" else second
        victim.cancel()
        await settle()
        if how == "cancel running":
            assert scheduler.running == ["b"]
        else:
            assert scheduler.running == ["a"] and scheduler.waiting == []
        gate.set()
        await asyncio.gather(first, second, return_exceptions=True)
    assert scheduler.running == [] and scheduler.waiting == []
    async with asyncio.timeout(1):  # and the guild is free again
        async with scheduler.slot("next", guild_id=1):
            assert scheduler.running == ["next"]


async def test_a_broken_position_callback_does_not_jam_the_queue() -> None:
    scheduler = Scheduler(concurrency=1)
    gate = asyncio.Event()

    def broken(position: int) -> None:
        raise ValueError("renderer bug")

    first = asyncio.create_task(hold(scheduler, "a", gate, [], {}, guild_id=1))
    await settle()

    async def second() -> None:
        async with scheduler.slot("b", guild_id=1, on_position=broken):
            pass

    task = asyncio.create_task(second())
    await settle()
    gate.set()
    async with asyncio.timeout(1):
        await asyncio.gather(first, task)
