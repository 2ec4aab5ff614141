"""gearwork.adapters.timing on the deterministic Clock: sleep, deadlines, Timing, host checks."""

from __future__ import annotations

import math
from typing import Any

import pytest

from gearwork.adapters import timing
from gearwork.adapters.clock import Clock
from gearwork.adapters.timing import (
    DeadlineScope,
    Host,
    TimerHandle,
    Timing,
    fail_after,
    fail_at,
    move_on_after,
    move_on_at,
    sleep,
    sleep_until,
)
from gearwork.core import InvalidStateError, Task, TaskState, sleep_forever, start


def test_sleep_resumes_at_the_first_tick_past_its_delay(clock: Clock) -> None:
    async def main() -> float:
        await sleep(clock, 1.0)
        return clock.time

    task = start(main())
    clock.tick(0.5)
    assert not task.done()
    clock.tick(0.75)
    assert task.result == 1.25
    assert clock.pending_timers == 0


def test_sleep_zero_still_waits_for_the_host_to_call_back(clock: Clock) -> None:
    task = start(sleep(clock, 0))
    assert task.state is TaskState.STARTED
    clock.tick(0)
    assert task.finished


def test_sleeps_end_in_the_order_of_their_deadlines(clock: Clock) -> None:
    order: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await sleep(clock, seconds)
        order.append(name)

    for name, seconds in [("c", 3.0), ("a", 1.0), ("b", 2.0), ("a2", 1.0)]:
        start(sleeper(name, seconds))
    clock.tick(10)
    assert order == ["a", "a2", "b", "c"]


def test_cancelling_a_sleep_cancels_its_timer_at_once(clock: Clock) -> None:
    task = start(sleep(clock, 5))
    assert clock.pending_timers == 1
    task.cancel()
    assert clock.pending_timers == 0
    assert task.cancelled


def test_100000_cancelled_sleeps_leave_no_timer_behind(clock: Clock) -> None:
    for _ in range(100_000):
        task = start(sleep(clock, 1.0))
        task.cancel()
    assert clock.pending_timers == 0
    clock.tick(2.0)
    assert clock.pending_timers == 0


def test_a_sleep_resumed_by_someone_else_takes_its_timer_back(clock: Clock) -> None:
    async def main() -> str:
        await sleep(clock, 5)
        await sleep_forever()
        return "stepped twice"

    task = start(main())
    task.step()  # not the timer
    assert clock.pending_timers == 0
    clock.tick(10)  # the old timer must not resume the task out of sleep_forever()
    assert task.state is TaskState.STARTED
    task.cancel()


def test_sleep_until_a_past_deadline_waits_for_one_callback(clock: Clock) -> None:
    clock.tick(5)
    task = start(sleep_until(clock, 1.0))
    assert not task.done()
    clock.tick(0)
    assert task.finished


def test_sleep_until_resumes_at_the_deadline(clock: Clock) -> None:
    task = start(sleep_until(clock, 2.0))
    clock.tick(1.5)
    assert not task.done()
    clock.tick(0.5)
    assert task.finished


@pytest.mark.parametrize("bad", [-1, -0.001, math.nan])
def test_sleep_refuses_negative_and_nan_durations(clock: Clock, bad: float) -> None:
    with pytest.raises(ValueError, match="sleep"):
        sleep(clock, bad)


def test_sleep_refuses_what_is_not_a_number(clock: Clock) -> None:
    with pytest.raises(TypeError, match="sleep\\(\\) needs a number of seconds, got str"):
        sleep(clock, "1")  # type: ignore[arg-type]


def test_sleep_refuses_what_is_not_a_host() -> None:
    with pytest.raises(TypeError, match="needs a Host"):
        sleep(object(), 1)  # type: ignore[arg-type]


def test_sleep_until_refuses_nan(clock: Clock) -> None:
    with pytest.raises(ValueError, match="a number"):
        sleep_until(clock, math.nan)


def test_a_sleep_awaited_outside_gearwork_says_so(clock: Clock) -> None:
    async def misused() -> None:
        await sleep(clock, 1)

    coro = misused()
    registrar = coro.send(None)
    assert "outside a gearwork task" in type(registrar).__call__.__qualname__
    with pytest.raises(RuntimeError) as info:
        coro.throw(RuntimeError(f"Task got bad yield: {registrar!r}"))
    notes: list[str] = getattr(info.value, "__notes__", [])
    assert any("outside a gearwork task" in note for note in notes)
    assert clock.pending_timers == 0


# ---------------------------------------------------------------------- deadlines


def test_move_on_after_cancels_the_block_and_goes_on(clock: Clock) -> None:
    async def main() -> tuple[bool, bool, float]:
        async with move_on_after(clock, 2) as scope:
            await sleep_forever()
        return scope.timed_out, scope.cancelled_caught, clock.time

    task = start(main())
    clock.tick(1)
    assert not task.done()
    clock.tick(1)
    assert task.result == (True, True, 2.0)
    assert clock.pending_timers == 0


def test_move_on_after_a_block_that_ends_in_time_leaves_no_timer(clock: Clock) -> None:
    async def main() -> bool:
        async with move_on_after(clock, 2) as scope:
            await sleep(clock, 1)
        return scope.timed_out

    task = start(main())
    clock.tick(1)
    assert task.result is False
    assert clock.pending_timers == 0


def test_move_on_after_counts_from_entering_the_block(clock: Clock) -> None:
    scope = move_on_after(clock, 2)

    async def main() -> float:
        await sleep(clock, 5)
        async with scope:
            await sleep_forever()
        return clock.time

    task = start(main())
    clock.tick(5)
    assert scope.deadline == 7.0
    clock.tick(2)
    assert task.result == 7.0


def test_fail_after_raises_timeout_error(clock: Clock) -> None:
    async def main() -> None:
        async with fail_after(clock, 1):
            await sleep_forever()

    task = start(main())
    with pytest.raises(TimeoutError):
        clock.tick(1)
    assert isinstance(task.exception(), TimeoutError)


def test_fail_at_in_the_past_raises_at_the_first_suspension(clock: Clock) -> None:
    clock.tick(10)

    async def main() -> str:
        try:
            async with fail_at(clock, 3):
                await sleep_forever()
        except TimeoutError:
            return "late"
        return "on time"

    assert start(main()).result == "late"


def test_move_on_at_with_an_infinite_deadline_never_arms_a_timer(clock: Clock) -> None:
    async def main() -> None:
        async with move_on_at(clock, math.inf):
            assert clock.pending_timers == 0
            await sleep_forever()

    task = start(main())
    clock.tick(1e9)
    assert not task.done()
    task.cancel()


def test_moving_the_deadline_later_rearms_the_timer(clock: Clock) -> None:
    scopes: list[DeadlineScope] = []

    async def main() -> float:
        async with move_on_after(clock, 1) as scope:
            scopes.append(scope)
            await sleep_forever()
        return clock.time

    task = start(main())
    scopes[0].deadline = 3.0
    assert clock.pending_timers == 1
    clock.tick(2)
    assert not task.done()
    clock.tick(1)
    assert task.result == 3.0


def test_moving_the_deadline_into_the_past_cancels_the_block_now(clock: Clock) -> None:
    scopes: list[DeadlineScope] = []

    async def main() -> bool:
        async with move_on_after(clock, 10) as scope:
            scopes.append(scope)
            await sleep_forever()
        return scope.timed_out

    task = start(main())
    clock.tick(1)
    scopes[0].deadline = 0.5
    assert task.result is True
    assert clock.pending_timers == 0


def test_a_scope_cancelled_by_hand_did_not_time_out(clock: Clock) -> None:
    scopes: list[DeadlineScope] = []

    async def main() -> tuple[bool, bool]:
        async with fail_after(clock, 10) as scope:
            scopes.append(scope)
            await sleep_forever()
        return scope.cancelled_caught, scope.timed_out

    task = start(main())
    scopes[0].cancel()
    assert task.result == (True, False)
    assert clock.pending_timers == 0


def test_a_scope_cancelled_before_it_is_entered_cancels_the_block_at_once(clock: Clock) -> None:
    scope = move_on_after(clock, 10)
    scope.cancel()

    async def main() -> bool:
        async with scope:
            await sleep_forever()
        return scope.cancelled_caught

    assert start(main()).result is True


def test_an_outer_cancellation_passes_through_a_deadline_scope(clock: Clock) -> None:
    async def main() -> None:
        async with move_on_after(clock, 10):
            await sleep_forever()

    task = start(main())
    task.cancel()
    assert task.cancelled
    assert clock.pending_timers == 0


def test_nested_deadlines_the_inner_one_first(clock: Clock) -> None:
    log: list[str] = []

    async def main() -> None:
        async with move_on_after(clock, 5) as outer:
            async with move_on_after(clock, 1) as inner:
                await sleep_forever()
            log.append(f"inner {inner.timed_out} at {clock.time}")
            await sleep_forever()
        log.append(f"outer {outer.timed_out} at {clock.time}")

    task = start(main())
    for _ in range(5):
        clock.tick(1)
    assert log == ["inner True at 1.0", "outer True at 5.0"]
    assert task.finished


def test_the_outer_deadline_passing_first_is_not_caught_by_the_inner_scope(clock: Clock) -> None:
    async def main() -> tuple[bool, bool]:
        async with move_on_after(clock, 1) as outer, move_on_after(clock, 5) as inner:
            await sleep_forever()
        return outer.timed_out, inner.cancelled_caught

    task = start(main())
    clock.tick(1)
    assert task.result == (True, False)
    assert clock.pending_timers == 0


def test_a_deadline_scope_is_entered_once(clock: Clock) -> None:
    scope = move_on_after(clock, 1)

    async def main() -> None:
        async with scope:
            pass
        async with scope:
            pass

    with pytest.raises(InvalidStateError, match="entered only once"):
        start(main())


@pytest.mark.parametrize("make", [move_on_after, fail_after])
def test_relative_timeouts_refuse_negative_durations(clock: Clock, make: Any) -> None:
    with pytest.raises(ValueError, match="seconds >= 0"):
        make(clock, -1)


@pytest.mark.parametrize("make", [move_on_at, fail_at])
def test_absolute_timeouts_refuse_nan_and_strings(clock: Clock, make: Any) -> None:
    with pytest.raises(ValueError, match="NaN"):
        make(clock, math.nan)
    with pytest.raises(TypeError, match="deadline in seconds"):
        make(clock, "soon")


def test_assigning_a_deadline_that_is_not_a_number_is_refused(clock: Clock) -> None:
    scope = move_on_at(clock, 1)
    with pytest.raises(TypeError):
        scope.deadline = "later"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="NaN"):
        scope.deadline = math.nan


# ------------------------------------------------------------------------ Timing


class ManualHost:
    """A minimal host: a list of timers advanced by hand (the protocol, nothing more)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.timers: list[list[Any]] = []
        self.posted: list[Any] = []

    def now(self) -> float:
        return self.t

    def call_later(self, delay: float, callback: Any, /) -> TimerHandle:
        entry = [self.t + delay, callback]
        self.timers.append(entry)
        timers = self.timers

        class Handle:
            def cancel(self) -> None:
                if entry in timers:
                    timers.remove(entry)

        return Handle()

    def call_soon_threadsafe(self, callback: Any, /) -> None:
        self.posted.append(callback)

    def advance(self, dt: float) -> None:
        self.t += dt
        for entry in sorted(self.timers, key=lambda e: e[0]):
            if entry[0] <= self.t and entry in self.timers:
                self.timers.remove(entry)
                entry[1]()


def test_timing_binds_the_whole_set_to_a_host() -> None:
    host = ManualHost()
    t = Timing(host)
    assert isinstance(host, Host)
    assert t.host is host

    async def main() -> list[object]:
        seen: list[object] = [t.now()]
        await t.sleep(1)
        seen.append(t.now())
        await t.sleep_until(3)
        seen.append(t.now())
        async with t.move_on_after(1) as scope:
            await sleep_forever()
        seen.append(scope.timed_out)
        async with t.move_on_at(10) as scope:
            pass
        seen.append(scope.cancelled_caught)
        try:
            async with t.fail_after(1):
                await sleep_forever()
        except TimeoutError:
            seen.append("fail_after")
        try:
            async with t.fail_at(t.now() + 1):
                await sleep_forever()
        except TimeoutError:
            seen.append("fail_at")
        return seen

    task = start(main())
    for _ in range(8):
        host.advance(1)
    assert task.result == [0.0, 1.0, 3.0, True, False, "fail_after", "fail_at"]
    assert host.timers == []


def test_timing_refuses_what_is_not_a_host() -> None:
    with pytest.raises(TypeError, match=r"Timing\(\) needs a Host, got object, which has no"):
        Timing(object())  # type: ignore[arg-type]


def test_a_clock_is_a_host_and_a_timing(clock: Clock) -> None:
    assert isinstance(clock, Host)
    assert isinstance(clock, Timing)
    assert clock.host is clock


def test_the_module_docstring_example_runs() -> None:
    # The third-party adapter of the module docstring is run by the doctests; here, a check
    # that the docstring really holds a complete adapter (the three methods, a run loop).
    doc = timing.__doc__ or ""
    for needed in ("def now", "def call_later", "def call_soon_threadsafe", "def run"):
        assert needed in doc


def test_the_generic_sleep_takes_its_timer_back_from_any_host_when_cancelled() -> None:
    host = ManualHost()
    tasks: list[Task[None]] = [start(sleep(host, 1)) for _ in range(3)]
    assert len(host.timers) == 3
    tasks[1].cancel()
    assert len(host.timers) == 2
    host.advance(1)
    assert [t.state for t in tasks] == [TaskState.FINISHED, TaskState.CANCELLED, TaskState.FINISHED]
    assert host.timers == []
