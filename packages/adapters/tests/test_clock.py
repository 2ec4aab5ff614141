"""gearwork.adapters.clock: the tick-driven Clock, deterministic from end to end."""

from __future__ import annotations

import functools
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gearwork.adapters.clock import Clock, FixedTimestep, easing
from gearwork.core import TaskState, sleep_forever, start

# --------------------------------------------------------------------------- timers


def test_time_starts_at_zero_and_moves_only_by_ticks() -> None:
    clock = Clock()
    assert clock.time == clock.now() == 0.0
    clock.tick(0.5)
    clock.tick(0.25)
    assert clock.time == 0.75
    assert Clock(time=10.0).time == 10.0


def test_timers_fire_in_time_order_ties_in_the_order_they_were_made(clock: Clock) -> None:
    fired: list[str] = []
    for name, delay in [("b", 2.0), ("a1", 1.0), ("c", 3.0), ("a2", 1.0)]:
        clock.call_later(delay, functools.partial(fired.append, name))
    clock.tick(1.5)
    assert fired == ["a1", "a2"]
    clock.tick(5)
    assert fired == ["a1", "a2", "b", "c"]
    assert clock.pending_timers == 0


def test_a_timer_made_during_a_tick_fires_at_the_next_tick_even_with_no_delay(
    clock: Clock,
) -> None:
    fired: list[str] = []

    def first() -> None:
        fired.append("first")
        clock.call_later(0, lambda: fired.append("made during the tick"))

    clock.call_later(1, first)
    clock.call_later(5, lambda: fired.append("late"))  # not all due: the popping path
    clock.tick(1)
    assert fired == ["first"]
    clock.tick(0)
    assert fired == ["first", "made during the tick"]


def test_a_timer_made_during_a_tick_that_fires_everything_waits_too(clock: Clock) -> None:
    fired: list[str] = []

    def first() -> None:
        fired.append("first")
        clock.call_later(0, lambda: fired.append("next tick"))

    clock.call_later(1, first)  # the only timer: the take-the-whole-heap path
    clock.tick(2)
    assert fired == ["first"]
    assert clock.pending_timers == 1
    clock.tick(0)
    assert fired == ["first", "next tick"]


def test_a_sleep_started_during_a_tick_waits_for_the_next_one(clock: Clock) -> None:
    log: list[float] = []

    async def sleeper() -> None:
        await clock.sleep(1)
        log.append(clock.time)
        await clock.sleep(0)
        log.append(clock.time)

    start(sleeper())
    clock.tick(1)
    assert log == [1.0]
    clock.tick(0.5)
    assert log == [1.0, 1.5]


@pytest.mark.parametrize("all_due", [True, False])
def test_an_exception_in_a_timer_leaves_the_rest_for_the_next_tick(
    clock: Clock, all_due: bool
) -> None:
    fired: list[int] = []

    def boom() -> None:
        raise RuntimeError("boom")

    clock.call_later(1, lambda: fired.append(1))
    clock.call_later(1, boom)
    clock.call_later(1, lambda: fired.append(3))
    if not all_due:
        clock.call_later(100, lambda: fired.append(100))
    with pytest.raises(RuntimeError, match="boom"):
        clock.tick(1)
    assert fired == [1]
    assert clock.pending_timers == (1 if all_due else 2)
    clock.tick(0)
    assert fired == [1, 3]


def test_cancelling_a_timer_is_idempotent_and_exact(clock: Clock) -> None:
    fired: list[int] = []
    timer = clock.call_later(1, lambda: fired.append(1))
    assert clock.pending_timers == 1
    timer.cancel()
    timer.cancel()
    assert clock.pending_timers == 0
    clock.tick(2)
    assert fired == []
    fired_timer = clock.call_later(0, lambda: fired.append(2))
    clock.tick(0)
    fired_timer.cancel()  # after it fired: nothing happens
    assert fired == [2]
    assert clock.pending_timers == 0


def test_many_cancelled_timers_do_not_grow_the_heap(clock: Clock) -> None:
    keep = clock.call_later(10, lambda: None)
    for _ in range(10_000):
        clock.call_later(5, lambda: None).cancel()
    assert clock.pending_timers == 1
    assert len(clock._heap) < 200  # compacted as it went
    keep.cancel()


def test_a_timer_cancelled_by_an_earlier_one_in_the_same_tick_does_not_fire(
    clock: Clock,
) -> None:
    fired: list[str] = []
    later = clock.call_later(1, lambda: fired.append("later"))
    clock.call_later(0.5, later.cancel)
    clock.tick(1)
    assert fired == []
    assert clock.pending_timers == 0


def test_cancelling_a_sleeping_task_from_a_timer_in_the_same_tick(clock: Clock) -> None:
    task = start(clock.sleep(1))
    clock.call_later(0.5, task.cancel)
    clock.tick(1)
    assert task.cancelled
    assert clock.pending_timers == 0


def test_100000_cancelled_clock_sleeps_leave_no_timer(clock: Clock) -> None:
    for _ in range(100_000):
        start(clock.sleep(1.0)).cancel()
    assert clock.pending_timers == 0
    assert len(clock._heap) < 200
    clock.tick(2)


def test_cancelled_sleeps_across_many_ticks_do_not_grow_the_heap(clock: Clock) -> None:
    keep = start(clock.sleep(1e6))
    for _ in range(20_000):
        start(clock.sleep(1.0)).cancel()  # a new due time at every tick: a new bucket
        clock.tick(0.0001)
    assert clock.pending_timers == 1
    assert len(clock._heap) < 200
    keep.cancel()
    assert clock.pending_timers == 0


def test_10000_sleepers_woken_by_one_tick(clock: Clock) -> None:
    tasks = [start(clock.sleep(1)) for _ in range(10_000)]
    assert clock.pending_timers == 10_000
    clock.tick(1)
    assert all(t.finished for t in tasks)
    assert clock.pending_timers == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["add", "cancel", "tick"]),
            st.integers(min_value=0, max_value=8),
        ),
        max_size=60,
    )
)
def test_timers_fire_once_in_order_and_the_count_stays_exact(ops: list[tuple[str, int]]) -> None:
    clock = Clock()
    fired: list[tuple[float, int]] = []
    live: dict[int, Any] = {}
    due_of: dict[int, float] = {}
    serial = 0
    for op, n in ops:
        if op == "add":
            serial += 1
            key = serial
            due_of[key] = clock.time + n * 0.5

            def cb(key: int = key) -> None:
                fired.append((due_of[key], key))
                del live[key]

            live[key] = clock.call_later(n * 0.5, cb)
        elif op == "cancel" and live:
            key = sorted(live)[n % len(live)]
            live.pop(key).cancel()
        elif op == "tick":
            before = len(fired)
            clock.tick(n * 0.25)
            batch = fired[before:]
            assert batch == sorted(batch)  # time order, ties in the order they were made
            assert all(due <= clock.time for due, _ in batch)
        assert clock.pending_timers == len(live)
    clock.tick(100)
    assert clock.pending_timers == 0
    assert len({key for _, key in fired}) == len(fired)


def test_call_later_refuses_bad_arguments(clock: Clock) -> None:
    with pytest.raises(ValueError, match="delay >= 0"):
        clock.call_later(-1, lambda: None)
    with pytest.raises(TypeError, match="needs a callable"):
        clock.call_later(1, 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="delay in seconds"):
        clock.call_later("1", lambda: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1.0, float("nan")])
def test_tick_refuses_negative_and_nan_steps(clock: Clock, bad: float) -> None:
    with pytest.raises(ValueError, match="step >= 0"):
        clock.tick(bad)


def test_tick_refuses_to_be_called_from_its_own_timer(clock: Clock) -> None:
    clock.call_later(0, lambda: clock.tick(1))
    with pytest.raises(RuntimeError, match="inside a tick"):
        clock.tick(0)
    clock.tick(0)  # the clock still works


# ------------------------------------------------------------------- thread-safe call


def test_posted_callbacks_run_at_the_next_tick_in_order(clock: Clock) -> None:
    ran: list[int] = []
    threads = [
        threading.Thread(target=clock.call_soon_threadsafe, args=(lambda i=i: ran.append(i),))
        for i in range(20)
    ]
    for t in threads:
        t.start()
        t.join()
    assert ran == []
    clock.tick(0)
    assert ran == list(range(20))


def test_posted_callbacks_run_while_the_clock_is_paused(clock: Clock) -> None:
    ran: list[str] = []
    clock.pause()
    clock.call_soon_threadsafe(lambda: ran.append("posted"))
    clock.tick(1)
    assert ran == ["posted"]
    assert clock.time == 0.0


def test_call_soon_threadsafe_refuses_what_is_not_callable(clock: Clock) -> None:
    with pytest.raises(TypeError, match="needs a callable"):
        clock.call_soon_threadsafe(None)  # type: ignore[arg-type]


# -------------------------------------------------------------- scale, pause, children


def test_scale_multiplies_each_step(clock: Clock) -> None:
    clock.scale = 2.0
    task = start(clock.sleep(3))
    clock.tick(1)
    assert clock.time == 2.0 and not task.done()
    clock.tick(0.5)
    assert task.finished
    clock.scale = 0
    clock.tick(10)
    assert clock.time == 3.0


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan")])
def test_a_bad_scale_is_refused(clock: Clock, bad: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        clock.scale = bad
    with pytest.raises(ValueError, match="scale"):
        Clock(scale=bad)


def test_a_paused_clock_stands_still_and_fires_nothing(clock: Clock) -> None:
    task = start(clock.sleep(1))
    clock.pause()
    assert clock.paused
    clock.tick(5)
    assert clock.time == 0.0 and not task.done()
    clock.resume()
    clock.tick(1)
    assert task.finished


def test_a_child_clock_follows_its_parent_times_its_own_scale() -> None:
    root = Clock()
    game = root.child(scale=0.5)
    fast = game.child(scale=4.0)
    root.tick(1.0)
    assert (root.time, game.time, fast.time) == (1.0, 0.5, 2.0)
    assert fast.parent is game and game.parent is root and root.parent is None


def test_a_paused_child_stops_while_its_siblings_go_on() -> None:
    root = Clock()
    game, ui = root.child(), root.child()
    game_done = start(game.sleep(1))
    ui_done = start(ui.sleep(1))
    game.pause()
    root.tick(1)
    assert ui_done.finished and not game_done.done()
    game.resume()
    root.tick(1)
    assert game_done.finished
    assert game.time == 1.0 and ui.time == 2.0


def test_pausing_a_parent_stops_its_children() -> None:
    root = Clock()
    child = root.child()
    root.pause()
    root.tick(1)
    assert child.time == 0.0


def test_a_detached_child_is_no_longer_driven() -> None:
    root = Clock()
    child = root.child()
    root.tick(1)
    child.detach()
    child.detach()  # twice is fine
    root.tick(1)
    assert child.time == 1.0 and child.parent is None
    child.tick(1)
    assert child.time == 2.0


def test_a_child_starts_at_its_parents_time() -> None:
    root = Clock()
    root.tick(3)
    assert root.child().time == 3.0


# ------------------------------------------------------------------------- frames


def test_n_frames_waits_for_that_many_ticks(clock: Clock) -> None:
    task = start(clock.n_frames(3))
    clock.tick(0)
    clock.tick(0)
    assert not task.done()
    clock.tick(0)
    assert task.finished
    assert start(clock.n_frames(0)).finished


def test_paused_ticks_are_not_frames(clock: Clock) -> None:
    task = start(clock.n_frames(1))
    clock.pause()
    clock.tick(1)
    assert not task.done()
    clock.resume()
    clock.tick(1)
    assert task.finished


def test_a_cancelled_frame_wait_is_not_resumed_by_the_next_tick(clock: Clock) -> None:
    async def main() -> str:
        await clock.next_frame()
        await sleep_forever()
        return "not reached"

    task = start(main())
    other = start(clock.next_frame())
    task.cancel()
    clock.tick(0)
    assert task.cancelled and other.finished


def test_a_frame_wait_started_during_a_tick_waits_for_the_next_one(clock: Clock) -> None:
    ticks: list[float] = []

    async def main() -> None:
        for _ in range(2):
            await clock.next_frame()
            ticks.append(clock.time)

    start(main())
    clock.tick(1)
    assert ticks == [1.0]
    clock.tick(1)
    assert ticks == [1.0, 2.0]


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_n_frames_refuses_what_is_not_a_count(clock: Clock, bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        start(clock.n_frames(bad))


# ------------------------------------------------------------------ fixed timestep


def test_fixed_timestep_runs_whole_steps_and_keeps_the_remainder() -> None:
    stepper = FixedTimestep(0.125)
    assert stepper.advance(0.3) == 2
    assert stepper.alpha == pytest.approx(0.4)
    assert stepper.advance(0.075) == 1
    assert stepper.alpha == pytest.approx(0.0)


def test_fixed_timestep_drops_the_backlog_past_max_steps() -> None:
    stepper = FixedTimestep(0.25, max_steps=3)
    assert stepper.advance(2.0) == 3
    assert stepper.dropped == 5
    assert stepper.alpha == 0.0


def test_fixed_timestep_on_a_clock_follows_pause_and_scale(clock: Clock) -> None:
    steps: list[float] = []
    physics = clock.fixed_timestep(0.25, steps.append)
    clock.tick(0.5)
    assert steps == [0.25, 0.25]
    clock.pause()
    clock.tick(10)
    assert len(steps) == 2
    clock.resume()
    clock.scale = 0.5
    clock.tick(1)  # 0.5 s of clock time
    assert len(steps) == 4
    physics.cancel()
    clock.tick(1)
    assert len(steps) == 4


@pytest.mark.parametrize(
    ("step", "max_steps", "error"),
    [(0, 8, ValueError), ("1", 8, TypeError), (0.1, 0, ValueError), (0.1, 2.0, TypeError)],
)
def test_fixed_timestep_refuses_bad_arguments(step: Any, max_steps: Any, error: type) -> None:
    with pytest.raises(error):
        FixedTimestep(step, max_steps=max_steps)


# ---------------------------------------------------------------------- animations


@pytest.mark.parametrize("name", easing.__all__)
def test_every_easing_goes_from_0_to_1(name: str) -> None:
    f = getattr(easing, name)
    assert f(0.0) == pytest.approx(0.0, abs=1e-12)
    assert f(1.0) == 1.0
    assert -0.5 < f(0.5) < 1.5


def test_interpolate_yields_start_then_one_value_per_tick_then_end(clock: Clock) -> None:
    values: list[float] = []

    async def main() -> None:
        async for v in clock.interpolate(10.0, 20.0, 1.0, easing=easing.in_quad):
            values.append(v)

    task = start(main())
    clock.tick(0.5)
    clock.tick(0.25)
    clock.tick(0.5)
    assert values == [10.0, 12.5, 10.0 + 10 * 0.5625, 20.0]
    assert task.finished


def test_interpolate_with_zero_duration_gives_the_end_at_once(clock: Clock) -> None:
    values: list[float] = []

    async def main() -> None:
        async for v in clock.interpolate(1.0, 2.0, 0):
            values.append(v)

    assert start(main()).finished
    assert values == [2.0]


def test_breaking_out_of_an_interpolation_leaves_nothing_waiting(clock: Clock) -> None:
    async def main() -> float:
        async for v in clock.interpolate(0.0, 1.0, 10.0):
            if v > 0:
                return v
        return -1.0

    task = start(main())
    clock.tick(1)
    assert task.result == pytest.approx(0.1)
    assert clock._frames == []


def test_animate_moves_attributes_and_ends_on_the_targets(clock: Clock) -> None:
    sprite = SimpleNamespace(x=0.0, color=[1.0, 1.0, 1.0])
    task = start(clock.animate(sprite, 2.0, easing=easing.linear, x=10.0, color=[0.0, 0.5, 1.0]))
    clock.tick(1.0)
    assert sprite.x == 5.0 and sprite.color == [0.5, 0.75, 1.0]
    clock.tick(1.5)
    assert sprite.x == 10.0 and sprite.color == [0.0, 0.5, 1.0]
    assert task.finished


def test_a_cancelled_animation_stops_where_it_is(clock: Clock) -> None:
    sprite = SimpleNamespace(x=0.0)
    task = start(clock.animate(sprite, 4.0, x=8.0))
    clock.tick(1)
    task.cancel()
    clock.tick(10)
    assert sprite.x == 2.0
    assert task.state is TaskState.CANCELLED


def test_animate_with_zero_duration_sets_the_targets_at_once(clock: Clock) -> None:
    sprite = SimpleNamespace(x=0.0)
    assert start(clock.animate(sprite, 0, x=3.0)).finished
    assert sprite.x == 3.0


def test_animate_refuses_a_negative_duration_and_missing_attributes(clock: Clock) -> None:
    with pytest.raises(ValueError, match="duration >= 0"):
        start(clock.animate(SimpleNamespace(x=0), -1, x=1))
    with pytest.raises(AttributeError):
        start(clock.animate(SimpleNamespace(), 1, y=1))


def test_repr_says_time_scale_and_timers(clock: Clock) -> None:
    clock.call_later(1, lambda: None)
    clock.pause()
    assert repr(clock) == "<Clock time=0.0 scale=1.0 paused timers=1>"


def test_a_sleep_counts_from_when_it_is_awaited(clock: Clock) -> None:
    pause = clock.sleep(1)
    clock.tick(5)
    task = start(pause)
    clock.tick(0.5)
    assert not task.done()
    clock.tick(0.5)
    assert task.finished


def test_a_clock_sleep_resumed_by_someone_else_is_not_resumed_again_by_the_tick(
    clock: Clock,
) -> None:
    async def main() -> None:
        await clock.sleep(1)
        await sleep_forever()

    task = start(main())
    task.step()  # not the clock
    assert clock.pending_timers == 0
    clock.tick(2)
    assert task.state is TaskState.STARTED  # still in sleep_forever()
    task.cancel()


@pytest.mark.parametrize(
    ("bad", "error"), [(-1, ValueError), (float("nan"), ValueError), ("1", TypeError)]
)
def test_clock_sleep_refuses_bad_durations_when_awaited(
    clock: Clock, bad: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="sleep"):
        start(clock.sleep(bad))
    assert clock.pending_timers == 0
