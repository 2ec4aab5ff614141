"""Bounded stack: long chains of wake-ups never raise RecursionError."""

from __future__ import annotations

import types
from collections.abc import Generator
from typing import Any

import pytest

from gearwork.core import Cancelled, Task, current_task, sleep_forever, start
from gearwork.core.lowlevel import RESUME_DEPTH_LIMIT, Registrar, Resumption

LINKS = 100_000


class Wakeup:
    """One waiter; fire() resumes it (a stand-in for an exclusive event)."""

    __slots__ = ("task",)

    def __init__(self) -> None:
        self.task: Task[Any] | None = None

    def _register(self, task: Task[Any]) -> None:
        self.task = task

    def fire(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.step()

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        return (yield self._register)


def test_a_chain_of_100000_wakeups_completes_from_one_call_in_chain_order() -> None:
    wakeups = [Wakeup() for _ in range(LINKS + 1)]
    order: list[int] = []

    async def link(i: int) -> None:
        await wakeups[i].wait()
        order.append(i)
        wakeups[i + 1].fire()

    tasks = [start(link(i)) for i in range(LINKS)]
    wakeups[0].fire()
    assert order == list(range(LINKS))
    assert all(task.finished for task in tasks)


def test_a_task_awaiting_current_task_100000_times_completes() -> None:
    async def body() -> int:
        count = 0
        for _ in range(LINKS):
            me = await current_task()
            count += 1
        assert me is not None
        return count

    assert start(body()).result == LINKS


def test_a_chain_of_100000_cancellations_completes() -> None:
    tasks: list[Task[Any]] = []

    async def link(i: int) -> None:
        try:
            await sleep_forever()
        except Cancelled:
            if i + 1 < LINKS:
                tasks[i + 1].cancel()
            raise

    for i in range(LINKS):
        tasks.append(start(link(i)))
    tasks[0].cancel()
    assert all(task.cancelled for task in tasks)


def test_shallow_resumption_stays_exactly_synchronous() -> None:
    # Below the depth limit, a nested wake-up runs before the waker continues.
    depth = RESUME_DEPTH_LIMIT // 2
    wakeups = [Wakeup() for _ in range(depth + 1)]
    log: list[str] = []

    async def link(i: int) -> None:
        await wakeups[i].wait()
        log.append(f"enter {i}")
        wakeups[i + 1].fire()
        log.append(f"leave {i}")

    for i in range(depth):
        start(link(i))
    wakeups[0].fire()
    expected = [f"enter {i}" for i in range(depth)] + [f"leave {i}" for i in reversed(range(depth))]
    assert log == expected


def test_resumptions_past_the_limit_are_queued_and_run_in_fifo_order_before_returning() -> None:
    fan_out = 5
    deep = RESUME_DEPTH_LIMIT + 3
    wakeups = [Wakeup() for _ in range(deep + 1)]
    leaves = [Wakeup() for _ in range(fan_out)]
    log: list[str] = []

    async def link(i: int) -> None:
        await wakeups[i].wait()
        if i + 1 < deep:
            wakeups[i + 1].fire()
        else:
            for leaf in leaves:
                leaf.fire()
            log.append("fired leaves")

    async def leaf(j: int) -> None:
        await leaves[j].wait()
        log.append(f"leaf {j}")

    for i in range(deep):
        start(link(i))
    for j in range(fan_out):
        start(leaf(j))
    wakeups[0].fire()
    assert log == ["fired leaves"] + [f"leaf {j}" for j in range(fan_out)]


def test_an_error_in_a_queued_resumption_reaches_the_top_level_caller_after_the_rest_ran() -> None:
    deep = RESUME_DEPTH_LIMIT + 2
    wakeups = [Wakeup() for _ in range(deep + 2)]
    ran: list[int] = []

    async def link(i: int) -> None:
        await wakeups[i].wait()
        ran.append(i)
        if i == deep:
            raise ValueError("deep failure")
        wakeups[i + 1].fire()

    for i in range(deep + 1):
        start(link(i))
    with pytest.raises(ValueError, match="deep failure"):
        wakeups[0].fire()
    assert ran == list(range(deep + 1))
