"""periodic, wait, run_in_thread and Monitor, on the Clock (deterministic) and on sched."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from gearwork.adapters.clock import Clock
from gearwork.adapters.sched import SchedHost, run
from gearwork.adapters.timing import (
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    Monitor,
    periodic,
    run_in_thread,
    wait,
)
from gearwork.core import Task, TaskState, sleep_forever, start

# ------------------------------------------------------------------------- periodic


def test_periodic_starts_at_once_then_follows_a_fixed_grid(clock: Clock) -> None:
    seen: list[tuple[float, float | None]] = []

    async def main() -> None:
        async for elapsed, delta in periodic(clock, 1.0):
            seen.append((elapsed, delta))
            if len(seen) == 4:
                return

    task = start(main())
    assert seen == [(0.0, None)]
    for _ in range(12):
        clock.tick(0.25)
    assert task.finished
    assert seen == [(0.0, None), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]


def test_periodic_does_not_drift_when_ticks_are_late(clock: Clock) -> None:
    starts: list[float] = []

    async def main() -> None:
        async for elapsed, _ in periodic(clock, 1.0):
            starts.append(elapsed)
            if len(starts) == 5:
                return

    start(main())
    for _ in range(12):
        clock.tick(0.375)  # exact in binary: the times below are exact too
    # Each iteration starts at the first tick at or after k seconds: lateness is not carried
    # (sleeping one period from each late start would give 0, 1.125, 2.25, 3.375, 4.5).
    assert starts == [0.0, 1.125, 2.25, 3.0, 4.125]


def test_periodic_after_an_overrun_starts_the_next_iteration_at_once(clock: Clock) -> None:
    seen: list[tuple[float, float | None]] = []

    async def main() -> None:
        async for elapsed, delta in periodic(clock, 1.0):
            seen.append((elapsed, delta))
            if len(seen) == 1:
                await clock.sleep(2.5)  # overruns two grid points
            if len(seen) == 3:
                return

    task = start(main())
    for _ in range(8):
        clock.tick(0.5)
    assert task.finished
    assert seen == [(0.0, None), (2.5, 2.5), (3.0, 0.5)]


def test_a_cancelled_periodic_loop_leaves_no_timer(clock: Clock) -> None:
    async def main() -> None:
        async for _ in periodic(clock, 1.0):
            pass

    task = start(main())
    assert clock.pending_timers == 1
    task.cancel()
    assert clock.pending_timers == 0


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan")])
def test_periodic_refuses_a_period_that_is_not_positive_and_finite(
    clock: Clock, bad: float
) -> None:
    with pytest.raises(ValueError, match="finite period > 0"):
        periodic(clock, bad)


def test_periodic_refuses_what_is_not_a_number(clock: Clock) -> None:
    with pytest.raises(TypeError, match="period in seconds"):
        periodic(clock, "1")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- wait


def test_wait_returns_when_the_timeout_passes(clock: Clock) -> None:
    a, b = Task(sleep_forever()), Task(sleep_forever())

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait(clock, [a, b], timeout=2)

    task = start(main())
    a.step()
    clock.tick(1)
    assert not task.done()
    clock.tick(1)
    done, pending = task.result
    assert (done, pending) == ({a}, {b})
    assert b.state is TaskState.STARTED  # not cancelled: it belongs to the caller
    b.cancel()
    assert clock.pending_timers == 0


def test_wait_first_completed_before_the_timeout_takes_the_timer_back(clock: Clock) -> None:
    async def main() -> tuple[int, int]:
        done, pending = await wait(
            clock, [clock.sleep(1), clock.sleep(5)], timeout=10, return_when=FIRST_COMPLETED
        )
        for t in pending:
            t.cancel()
        return len(done), len(pending)

    task = start(main())
    clock.tick(1)
    assert task.result == (1, 1)
    assert clock.pending_timers == 0


def test_wait_first_exception_keeps_the_exception_in_the_task(clock: Clock) -> None:
    async def fails() -> None:
        await clock.sleep(1)
        raise ValueError("kept")

    async def main() -> tuple[set[Task[Any]], set[Task[Any]]]:
        return await wait(clock, [fails(), clock.sleep(5)], timeout=10, return_when=FIRST_EXCEPTION)

    task = start(main())
    clock.tick(1)
    done, pending = task.result
    (failed,) = done
    assert isinstance(failed.exception(), ValueError)
    for t in pending:
        t.cancel()


def test_wait_with_a_zero_timeout_starts_everything_and_returns(clock: Clock) -> None:
    started: list[int] = []

    async def child(n: int) -> None:
        started.append(n)
        await sleep_forever()

    async def main() -> tuple[int, int]:
        done, pending = await wait(clock, [child(1), child(2)], timeout=0)
        for t in pending:
            t.cancel()
        return len(done), len(pending)

    assert start(main()).result == (0, 2)
    assert started == [1, 2]
    assert clock.pending_timers == 0


def test_wait_without_a_timeout_is_the_nursery_wait(clock: Clock) -> None:
    async def main() -> int:
        done, _ = await wait(clock, [clock.sleep(1), clock.sleep(2)])
        return len(done)

    task = start(main())
    clock.tick(2)
    assert task.result == 2


def test_wait_refuses_bad_arguments_and_closes_the_coroutines_it_was_given(
    clock: Clock, unraisable: list[object]
) -> None:
    async def child() -> None:
        await sleep_forever()

    async def main() -> list[str]:
        errors: list[str] = []
        for kwargs in ({"timeout": -1}, {"timeout": 1, "return_when": "SOMETIMES"}):
            try:
                await wait(clock, [child()], **kwargs)
            except ValueError as exc:
                errors.append(str(exc).split(" ")[0])
        try:
            await wait(clock, [child(), 42], timeout=1)  # type: ignore[arg-type]
        except TypeError as exc:
            errors.append(str(exc))
        try:
            await wait(clock, [], timeout=1)
        except ValueError as exc:
            errors.append(str(exc))
        try:
            await wait(clock, 42, timeout=1)  # type: ignore[arg-type]
        except TypeError as exc:
            errors.append(str(exc))
        return errors

    errors = start(main()).result
    assert errors == [
        "wait()",
        "wait()",
        "wait() item 2 is neither an awaitable nor a Task: int",
        "wait() needs at least one awaitable or Task",
        "wait() needs an iterable of awaitables or Tasks, got int",
    ]
    assert unraisable == []  # no "coroutine was never awaited"


# -------------------------------------------------------------------- run_in_thread


class PostWatchingClock(Clock):
    """A Clock that also tells the test when another thread has posted to it."""

    __slots__ = ("posted_event",)

    def __init__(self) -> None:
        super().__init__()
        self.posted_event = threading.Event()

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        super().call_soon_threadsafe(callback)
        self.posted_event.set()


def test_run_in_thread_result_arrives_at_the_next_tick() -> None:
    clock = PostWatchingClock()
    callers: list[str] = []

    def work(a: int, b: int) -> int:
        callers.append(threading.current_thread().name)
        return a * b

    task = start(run_in_thread(clock, work, 6, 7))
    assert clock.posted_event.wait(10)
    assert not task.done()  # delivered by the host, never from the worker
    clock.tick(0)
    assert task.result == 42
    assert callers[0].startswith("gearwork run_in_thread")


def test_run_in_thread_raises_the_exception_of_the_call() -> None:
    clock = PostWatchingClock()

    def work() -> None:
        raise LookupError("from the worker")

    async def main() -> str:
        try:
            await clock.run_in_thread(work)
        except LookupError as exc:
            return str(exc)
        return "no error"

    task = start(main())
    assert clock.posted_event.wait(10)
    clock.tick(0)
    assert task.result == "from the worker"


def test_a_cancelled_run_in_thread_drops_the_result_when_it_comes() -> None:
    clock = PostWatchingClock()
    release = threading.Event()
    ran: list[str] = []

    def work() -> str:
        release.wait(10)
        ran.append("ran to its end")
        return "dropped"

    async def main() -> None:
        await clock.run_in_thread(work)
        await sleep_forever()

    task = start(main())
    task.cancel()
    assert task.cancelled
    release.set()
    assert clock.posted_event.wait(10)
    clock.tick(0)
    assert ran == ["ran to its end"]
    assert task.cancelled


def test_run_in_thread_on_sched_wakes_the_blocked_scheduler() -> None:
    def work() -> str:
        return threading.current_thread().name

    async def main(host: SchedHost) -> tuple[str, str]:
        worker = await host.run_in_thread(work)
        return worker, threading.current_thread().name

    worker, resumed_in = run(main)
    assert worker != resumed_in == threading.current_thread().name


def test_run_in_thread_refuses_what_is_not_callable(clock: Clock) -> None:
    async def main() -> None:
        await run_in_thread(clock, 42)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="needs a callable, got int"):
        start(main())


# -------------------------------------------------------------------------- Monitor


def test_monitor_result_is_how_late_its_timer_fires(clock: Clock) -> None:
    monitor = Monitor(clock, 0.01)
    task = start(monitor.run())
    assert monitor.result == 1.0
    clock.tick(0.005)
    clock.tick(0.005)
    assert monitor.result == 1.0  # on time
    clock.tick(0.1)
    assert monitor.result == pytest.approx(10.0)
    task.cancel()
    assert clock.pending_timers == 0


def test_monitor_as_a_context_manager_stops_measuring_on_exit(clock: Clock) -> None:
    async def main() -> float:
        async with clock.monitor(0.5) as monitor:
            await clock.sleep(2)
        return monitor.result

    task = start(main())
    clock.tick(2)
    assert task.result == pytest.approx(4.0)
    assert clock.pending_timers == 0


def test_a_running_monitor_cannot_be_entered_again(clock: Clock) -> None:
    monitor = Monitor(clock)

    async def main() -> None:
        async with monitor, monitor:
            pass

    with pytest.raises(RuntimeError, match="already running"):
        start(main())
    assert clock.pending_timers == 0


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_monitor_refuses_a_bad_period(clock: Clock, bad: float) -> None:
    with pytest.raises(ValueError, match="finite period"):
        Monitor(clock, bad)
