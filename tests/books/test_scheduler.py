from __future__ import annotations

import asyncio

import pytest

from storybot.books.queue import Scheduler, UserBusyError


async def hold(
    scheduler: Scheduler,
    run_id: str,
    gate: asyncio.Event,
    log: list[str],
    positions: dict[str, list[int]],
    *,
    lane: str,
    user_id: int | None = None,
) -> None:
    """A book: its place in `lane`, then its turn until `gate` opens."""
    ticket = scheduler.enqueue(
        run_id, lane=lane, user_id=user_id, on_position=positions.setdefault(run_id, []).append
    )
    async with scheduler.hold(ticket):
        log.append(f"start {run_id}")
        await gate.wait()
        log.append(f"end {run_id}")


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_one_book_per_lane_fifo_with_positions() -> None:
    scheduler = Scheduler(concurrency=4)
    gates = {name: asyncio.Event() for name in "abc"}
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(
            hold(scheduler, name, gates[name], log, positions, lane="lane:1", user_id=index)
        )
        for index, name in enumerate("abc")
    ]
    await settle()
    assert log == ["start a"] and scheduler.depth_by_lane() == {"lane:1": 2}
    assert positions == {"a": [], "b": [1], "c": [2]}
    gates["a"].set()
    await settle()
    assert log[-1] == "start b" and positions["c"] == [2, 1]
    gates["b"].set()
    gates["c"].set()
    await asyncio.gather(*tasks)
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]
    assert scheduler.running == [] and scheduler.depth_by_lane() == {}


async def test_two_lanes_run_at_once_and_each_keeps_its_order() -> None:
    scheduler = Scheduler(concurrency=2)
    gates = {name: asyncio.Event() for name in ("x1", "x2", "y1", "y2")}
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(hold(scheduler, name, gates[name], log, positions, lane=name[0]))
        for name in ("x1", "x2", "y1", "y2")
    ]
    await settle()
    assert sorted(scheduler.running) == ["x1", "y1"]
    assert scheduler.depth_by_lane() == {"x": 1, "y": 1}
    gates["y1"].set()  # lane y moves on while lane x is still busy
    await settle()
    assert sorted(scheduler.running) == ["x1", "y2"] and scheduler.depth_by_lane() == {"x": 1}
    for gate in gates.values():
        gate.set()
    await asyncio.gather(*tasks)
    assert log.index("start x2") > log.index("end x1")
    assert positions == {"x1": [], "x2": [1], "y1": [], "y2": [2]}  # y2 went from 2nd to running


async def test_other_lanes_run_side_by_side_up_to_the_global_limit() -> None:
    scheduler = Scheduler(concurrency=2)
    gate = asyncio.Event()
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(hold(scheduler, f"g{g}", gate, log, positions, lane=f"lane:{g}"))
        for g in range(3)
    ]
    await settle()
    assert sorted(scheduler.running) == ["g0", "g1"] and scheduler.depth_by_lane() == {"lane:2": 1}
    assert positions["g2"] == [1]
    gate.set()
    await asyncio.gather(*tasks)
    assert log.count("start g2") == 1


async def test_a_lane_of_its_own_never_waits_behind_a_busy_lane() -> None:
    """A DM's book (a lane of its own) starts while a server's lane has a line."""
    scheduler = Scheduler(concurrency=3)
    gate = asyncio.Event()
    log: list[str] = []
    positions: dict[str, list[int]] = {}
    tasks = [
        asyncio.create_task(hold(scheduler, name, gate, log, positions, lane="server"))
        for name in ("s1", "s2", "s3")
    ]
    await settle()
    dm = asyncio.create_task(hold(scheduler, "dm", gate, log, positions, lane="run:dm"))
    await settle()
    assert sorted(scheduler.running) == ["dm", "s1"] and positions["dm"] == []
    assert scheduler.depth_by_lane() == {"server": 2}
    gate.set()
    await asyncio.gather(*tasks, dm)


async def test_per_user_cap() -> None:
    scheduler = Scheduler(concurrency=1, per_user=1)
    gate = asyncio.Event()
    task = asyncio.create_task(hold(scheduler, "a", gate, [], {}, lane="lane:1", user_id=9))
    await settle()
    with pytest.raises(UserBusyError, match="already have 1 book"):
        scheduler.enqueue("b", lane="lane:2", user_id=9)
    assert scheduler.depth_by_lane() == {}  # the refused book took no place
    scheduler.check_user(10)  # another user is fine
    gate.set()
    await task
    scheduler.check_user(9)  # free again


@pytest.mark.parametrize("how", ["fail", "cancel running", "cancel waiting"])
async def test_slot_is_released_on_every_path(how: str) -> None:
    scheduler = Scheduler(concurrency=1)
    gate = asyncio.Event()

    async def failing() -> None:
        async with scheduler.hold(scheduler.enqueue("a", lane="lane:1")):
            raise RuntimeError("engine crashed mid-book")

    if how == "fail":
        with pytest.raises(RuntimeError):
            await failing()
    else:
        first = asyncio.create_task(hold(scheduler, "a", gate, [], {}, lane="lane:1"))
        second = asyncio.create_task(hold(scheduler, "b", gate, [], {}, lane="lane:1"))
        await settle()
        victim = first if how == "cancel running" else second
        victim.cancel()
        await settle()
        if how == "cancel running":
            assert scheduler.running == ["b"]
        else:
            assert scheduler.running == ["a"] and scheduler.depth_by_lane() == {}
        gate.set()
        await asyncio.gather(first, second, return_exceptions=True)
    assert scheduler.running == [] and scheduler.depth_by_lane() == {}
    async with asyncio.timeout(1):  # and the lane is free again
        async with scheduler.hold(scheduler.enqueue("next", lane="lane:1")):
            assert scheduler.running == ["next"]


async def test_release_before_hold_gives_the_place_back() -> None:
    """A run that ends before it ever waits (cancelled at once) leaves no place behind."""
    scheduler = Scheduler(concurrency=1)
    ticket = scheduler.enqueue("a", lane="lane:1", user_id=4)
    assert scheduler.depth_by_lane() == {"lane:1": 1}
    scheduler.release(ticket)
    scheduler.release(ticket)  # twice is harmless
    assert scheduler.depth_by_lane() == {} and scheduler.running == []
    scheduler.check_user(4)


async def test_a_broken_position_callback_does_not_jam_the_queue() -> None:
    scheduler = Scheduler(concurrency=1)
    gate = asyncio.Event()

    def broken(position: int) -> None:
        raise ValueError("renderer bug")

    first = asyncio.create_task(hold(scheduler, "a", gate, [], {}, lane="lane:1"))
    await settle()

    async def second() -> None:
        async with scheduler.hold(scheduler.enqueue("b", lane="lane:1", on_position=broken)):
            pass

    task = asyncio.create_task(second())
    await settle()
    gate.set()
    async with asyncio.timeout(1):
        await asyncio.gather(first, task)
