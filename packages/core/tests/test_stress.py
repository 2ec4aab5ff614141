"""Stress: many tasks, deep chains; memory stays flat and nothing warns.

The full sizes are marked ``slow`` (``nox -s stress``); the default run uses small sizes
of the same code.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
import types
from collections.abc import Callable, Generator
from typing import Any

import pytest

from gearwork.core import Cancelled, Task, sleep_forever, start
from gearwork.core.lowlevel import Registrar, Resumption

# Memory allowed to remain after a run, whatever its size: caches warming up, interned
# names, the runtime's deque growing its blocks once.
SLACK_BYTES = 64 * 1024


def sizes(small: int, full: int) -> list[Any]:
    return [small, pytest.param(full, marks=pytest.mark.slow)]


def retained_bytes(run: Callable[[], object]) -> int:
    """Traced bytes still allocated after *run* and a full collection."""
    run()  # warm up: first-time allocations are not leaks
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("n", sizes(10_000, 1_000_000))
def test_starting_and_cancelling_many_tasks_leaves_memory_flat(
    n: int, report_figure: Callable[[str], None]
) -> None:
    cleaned: list[int] = [0]

    async def sleeper() -> None:
        try:
            await sleep_forever()
        except Cancelled:
            cleaned[0] += 1
            raise

    def run() -> None:
        for _ in range(n):
            start(sleeper()).cancel()

    began = time.perf_counter()
    retained = retained_bytes(run)
    elapsed = time.perf_counter() - began
    assert cleaned[0] == 2 * n
    assert retained < SLACK_BYTES
    report_figure(
        f"{n:,} tasks started and cancelled (x2 runs): {retained:,} B retained, {elapsed:.1f} s"
    )


class Wakeup:
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


@pytest.mark.parametrize("links", sizes(10_000, 100_000))
def test_deep_wakeup_chains_complete_in_order_and_leave_memory_flat(
    links: int, report_figure: Callable[[str], None]
) -> None:
    rounds = 3

    async def link(i: int, wakeups: list[Wakeup], order: list[int]) -> None:
        await wakeups[i].wait()
        order.append(i)
        wakeups[i + 1].fire()

    def run() -> None:
        for _ in range(rounds):
            wakeups = [Wakeup() for _ in range(links + 1)]
            order: list[int] = []
            tasks = [start(link(i, wakeups, order)) for i in range(links)]
            wakeups[0].fire()
            assert order == list(range(links))
            assert all(t.finished for t in tasks)

    began = time.perf_counter()
    retained = retained_bytes(run)
    elapsed = time.perf_counter() - began
    assert retained < SLACK_BYTES
    report_figure(
        f"{links:,}-link wake-up chain x{rounds} (x2 runs): {retained:,} B retained, "
        f"{elapsed:.1f} s, no RecursionError"
    )
