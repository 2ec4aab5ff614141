"""TaskStats: deterministic, on a hand-advanced clock, with tasks driven by hand."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gearwork.adapters.stats import TaskRecord, TaskStats
from gearwork.adapters.trio import TaskStats as TrioTaskStats
from gearwork.core import Task, start
from gearwork.core.lowlevel import get_instrument, set_instrument
from gearwork.sync import Event


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _collect() -> tuple[list[tuple[str, TaskRecord]], Any]:
    ended: list[tuple[str, TaskRecord]] = []

    def on_end(task: Task[Any], record: TaskRecord) -> None:
        ended.append((task.get_name(), record))

    return ended, on_end


def test_slowest_step_leaves_out_nested_runs_of_other_tasks() -> None:
    clock = FakeClock()
    ended, on_end = _collect()
    go = Event()
    inner_go = Event()

    async def inner() -> None:
        await inner_go.wait()
        clock.t += 5.0  # the inner task's own step takes 5 s

    async def outer() -> None:
        await go.wait()
        clock.t += 1.0
        inner_go.fire()  # runs inner's step inside this one
        clock.t += 1.0

    with TaskStats(current_time=clock, on_task_end=on_end):
        start(inner(), name="inner")
        start(outer(), name="outer")
        go.fire()
    records = dict(ended)
    assert records["inner"].slowest_step == 5.0
    assert records["outer"].slowest_step == 2.0
    assert [name for name, _ in ended] == ["inner", "outer"]


def test_longest_wait_is_the_time_between_a_suspension_and_the_next_run() -> None:
    clock = FakeClock()
    ended, on_end = _collect()
    event = Event()

    async def waits() -> None:
        for _ in range(3):
            await event.wait()

    with TaskStats(current_time=clock, on_task_end=on_end) as stats:
        task = start(waits(), name="w")
        for gap in (1.0, 4.0, 2.0):
            clock.t += gap
            event.fire()
        assert stats.record(task) is None  # ended: reported, forgotten
    ((name, record),) = ended
    assert (name, record.runs, record.longest_wait) == ("w", 4, 4.0)


def test_highest_rate_counts_runs_within_the_window() -> None:
    clock = FakeClock()
    ended, on_end = _collect()
    event = Event()

    async def busy() -> None:
        while True:
            (stop,), _ = await event.wait()
            if stop:
                return

    with TaskStats(current_time=clock, rate_window=1.0, on_task_end=on_end):
        start(busy())
        for _ in range(10):  # 10 runs within 0.5 s, then slow ones
            clock.t += 0.05
            event.fire(False)
        for _ in range(3):
            clock.t += 2.0
            event.fire(False)
        event.fire(True)
    ((_, record),) = ended
    assert record.highest_rate == 11.0  # the start plus 10 runs within one second


def test_a_registrar_that_resumes_its_task_at_once_is_a_nested_run_with_no_wait() -> None:
    clock = FakeClock()
    ended, on_end = _collect()

    async def asks_itself() -> None:
        from gearwork.core import current_task

        await current_task()
        clock.t += 3.0

    with TaskStats(current_time=clock, on_task_end=on_end):
        start(asks_itself())
    ((_, record),) = ended
    assert record.runs == 2
    assert record.longest_wait == 0.0
    assert record.slowest_step == 3.0


def test_records_of_live_tasks_are_queryable() -> None:
    clock = FakeClock()
    event = Event()
    with TaskStats(current_time=clock) as stats:
        task = start(event.wait())
        record = stats.record(task)
        assert record is not None
        assert record.runs == 1
        assert [t for t, _ in stats.records()] == [task]
    task.cancel()


def test_off_means_no_instrument_and_the_previous_one_comes_back() -> None:
    seen: list[str] = []

    class Other:
        def before_step(self, task: Task[Any]) -> None:
            seen.append("before")

        def after_step(self, task: Task[Any]) -> None:
            seen.append("after")

    assert get_instrument() is None
    other = Other()
    set_instrument(other)
    try:
        stats = TaskStats()
        with stats:
            assert get_instrument() is stats
            start(Event().wait()).cancel()
        assert get_instrument() is other
        assert not stats.active
    finally:
        set_instrument(None)
    assert seen == ["before", "after", "before", "after"]


def test_by_default_an_ended_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def quick() -> None:
        pass

    with caplog.at_level(logging.INFO, logger="gearwork.adapters.stats"), TaskStats():
        start(quick(), name="quick-one")
    assert any("quick-one: 1 runs" in message for message in caplog.messages)


def test_bad_input_and_double_start_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        TaskStats(rate_window=0)
    stats = TaskStats()
    with stats, pytest.raises(RuntimeError, match="already active"):
        stats.start()
    stats.stop()  # idempotent


def test_trio_re_exports_the_same_class() -> None:
    assert TrioTaskStats is TaskStats
