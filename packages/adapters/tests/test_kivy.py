"""gearwork.adapters.kivy against the real Kivy, without a window: the clock and dispatchers.

These tests drive Kivy's Clock by hand (``Clock.tick()``) and dispatch events of plain
``EventDispatcher`` objects; nothing here opens a window (test_kivy_app.py does, one
process per test).
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="gearwork-kivy-home-"))
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
pytest.importorskip("kivy")

from kivy.clock import Clock
from kivy.event import EventDispatcher
from kivy.properties import NumericProperty

from gearwork.adapters.kivy import EventStream, KivyHost, TouchMoves, wait_event
from gearwork.core import Cancelled, Task, sleep_forever, start


class Door(EventDispatcher):  # type: ignore[misc]
    __events__ = ("on_knock",)
    level = NumericProperty(0)

    def __init__(self) -> None:
        super().__init__()
        self.default_saw: list[object] = []

    def on_knock(self, *args: Any) -> None:
        self.default_saw.append(args)


def observers(obj: EventDispatcher, name: str) -> int:
    """How many bindings *name* of *obj* has (what Kivy itself lists)."""
    return len(obj.get_property_observers(name))


def tick_until(task: Task[Any], limit: float = 10.0) -> None:
    """Tick Kivy's clock until *task* ends (or, as a safety net for a broken test, *limit* s)."""
    end = time.monotonic() + limit
    while not task.done():
        assert time.monotonic() < end, "the task did not end in time"
        Clock.tick()


@pytest.fixture
def host() -> Iterator[KivyHost]:
    Clock.tick()
    host = KivyHost()
    yield host
    assert host.pending_timers == 0


# -- the time protocol on Kivy's clock -------------------------------------------------


def test_sleeps_are_clock_events_and_end_in_order_never_early(host: KivyHost) -> None:
    order: list[tuple[str, bool]] = []

    async def sleeper(name: str, seconds: float) -> None:
        begun = host.now()
        await host.sleep(seconds)
        order.append((name, host.now() - begun >= seconds))

    async def main() -> None:
        a = start(sleeper("late", 0.05))
        b = start(sleeper("early", 0.012))
        assert host.pending_timers == host.kivy_timers == 2
        while not (a.done() and b.done()):
            await host.sleep(0.001)

    tick_until(start(main()))
    assert order == [("early", True), ("late", True)]
    assert host.kivy_timers == 0


def test_a_cancelled_sleep_cancels_its_clock_event_at_once(host: KivyHost) -> None:
    before = len(Clock.get_events())
    tasks = [start(host.sleep(100)) for _ in range(200)]
    assert host.pending_timers == host.kivy_timers == 200
    assert len(Clock.get_events()) == before + 200
    for task in tasks:
        task.cancel()
    assert all(task.cancelled for task in tasks)
    assert host.pending_timers == host.kivy_timers == 0
    assert len(Clock.get_events()) == before


def test_move_on_after_fail_after_periodic_and_wait_on_the_clock(host: KivyHost) -> None:
    async def main() -> tuple[bool, int, int]:
        async with host.move_on_after(0.01) as scope:
            await sleep_forever()
        with pytest.raises(TimeoutError):
            async with host.fail_after(0.01):
                await sleep_forever()
        ticks = 0
        async for _ in host.periodic(0.002):
            ticks += 1
            if ticks == 3:
                break
        done, pending = await host.wait([sleep_forever()], timeout=0.005)
        return scope.cancelled_caught, ticks, len(done) + 10 * len(pending)

    task = start(main())
    tick_until(task)
    assert task.result == (True, 3, 10)


def test_the_whole_timing_set_is_there_under_the_same_names(host: KivyHost) -> None:
    for name in (
        "now",
        "sleep",
        "sleep_until",
        "move_on_after",
        "move_on_at",
        "fail_after",
        "fail_at",
        "periodic",
        "wait",
        "run_in_thread",
        "monitor",
    ):
        assert callable(getattr(host, name)), name
    assert host.host is host


def test_call_later_rejects_nan_and_sleep_rejects_bad_input(host: KivyHost) -> None:
    with pytest.raises(ValueError, match="NaN"):
        host.call_later(float("nan"), lambda: None)
    with pytest.raises(TypeError, match="number of seconds"):
        host.sleep("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=">= 0"):
        host.sleep(-1)


# -- threads -----------------------------------------------------------------------------


def test_run_in_thread_wakes_kivy_through_its_clock(host: KivyHost) -> None:
    main_thread = threading.get_ident()

    async def main() -> tuple[int, bool]:
        worker = await host.run_in_thread(threading.get_ident)
        return worker, threading.get_ident() == main_thread

    task = start(main())
    tick_until(task)
    worker, back_on_main = task.result
    assert worker != main_thread
    assert back_on_main


def test_call_soon_threadsafe_latency_is_measured(host: KivyHost) -> None:
    # The median is printed for the report (pytest -s); durations are never asserted.
    latencies: list[float] = []
    rounds = 40
    done = threading.Event()

    def worker() -> None:
        for _ in range(rounds):
            arrived = threading.Event()
            sent = time.perf_counter()

            def on_kivy(sent: float = sent, arrived: threading.Event = arrived) -> None:
                latencies.append(time.perf_counter() - sent)
                arrived.set()

            host.call_soon_threadsafe(on_kivy)
            arrived.wait()
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    end = time.monotonic() + 30
    while not done.is_set() and time.monotonic() < end:
        Clock.tick()
    thread.join()
    assert len(latencies) == rounds
    median_ms = statistics.median(latencies) * 1000
    kind = os.environ.get("KIVY_CLOCK", "default")
    print(f"\nKivy call_soon_threadsafe median latency: {median_ms:.3f} ms, {kind} clock")


def test_callbacks_posted_together_run_in_order_on_one_clock_event(host: KivyHost) -> None:
    seen: list[int] = []
    for i in range(5):
        host.call_soon_threadsafe(functools.partial(seen.append, i))
    Clock.tick()
    assert seen == [0, 1, 2, 3, 4]


# -- events and properties ----------------------------------------------------------------


def test_wait_event_resumes_inside_the_dispatch_and_unbinds() -> None:
    door = Door()
    state: list[str] = []

    async def waiter() -> None:
        (who,) = await wait_event(door, "on_knock")
        state.append(who)

    task = start(waiter())
    assert observers(door, "on_knock") == 1
    door.dispatch("on_knock", "Ada")
    # Synchronous resumption: the task ran inside dispatch().
    assert state == ["Ada"]
    assert task.finished
    assert observers(door, "on_knock") == 0
    assert door.default_saw == [("Ada",)]


def test_a_property_change_is_awaited_with_a_filter() -> None:
    door = Door()
    task = start(wait_event(door, "level", lambda value: value > 2))
    door.level = 1
    assert not task.done()
    door.level = 3
    assert task.result == (3,)
    assert observers(door, "level") == 0


def test_stop_dispatching_hides_the_event_from_other_handlers() -> None:
    door = Door()
    older: list[object] = []
    door.fbind("on_knock", lambda obj, *args: older.append(args))
    task = start(wait_event(door, "on_knock", stop_dispatching=True))
    assert door.dispatch("on_knock", "Ada") is True
    assert task.result == ("Ada",)
    assert older == [] and door.default_saw == []
    door.dispatch("on_knock", "Bob")  # the waiter is gone: everyone sees this one
    assert older == [("Bob",)] and door.default_saw == [("Bob",)]


def test_cancelling_a_waiter_removes_exactly_its_binding() -> None:
    door = Door()
    others: list[object] = []
    door.fbind("on_knock", lambda obj, *args: others.append(args))
    task = start(wait_event(door, "on_knock"))
    assert observers(door, "on_knock") == 2
    task.cancel()
    assert task.cancelled
    assert observers(door, "on_knock") == 1
    door.dispatch("on_knock", 5)
    assert others == [(5,)]


def test_a_waiter_that_ends_otherwise_removes_its_binding() -> None:
    door = Door()

    async def waiter() -> None:
        await wait_event(door, "on_knock")

    task = start(waiter())
    task.step()  # resumed by something else: the wait ends, its binding goes
    assert task.finished
    assert observers(door, "on_knock") == 0


def test_wait_event_checks_its_arguments() -> None:
    door = Door()
    with pytest.raises(TypeError, match="EventDispatcher"):
        wait_event(object(), "on_knock")
    with pytest.raises(TypeError, match="name of an event"):
        wait_event(door, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="filter must be callable"):
        wait_event(door, "on_knock", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no event or property named 'on_knok'"):
        wait_event(door, "on_knok")
    with pytest.raises(ValueError, match="stop_dispatching is for events only"):
        wait_event(door, "level", stop_dispatching=True)


def test_an_event_stream_keeps_one_binding_for_a_loop_of_dispatches() -> None:
    door = Door()
    seen: list[int] = []

    async def main() -> None:
        async with EventStream(door, "level") as levels:
            assert observers(door, "level") == 1
            async for (level,) in levels:
                seen.append(level)
                if level == 30:
                    break

    task = start(main())
    for level in range(1, 31):
        door.level = level
        assert seen[-1] == level  # resumed inside each assignment
        if level < 30:
            assert observers(door, "level") == 1
    assert task.finished
    assert observers(door, "level") == 0


def test_an_event_stream_keeps_events_while_busy_and_unbinds_on_cancel() -> None:
    door = Door()
    got: list[object] = []

    async def main() -> None:
        async with EventStream(door, "on_knock", maxlen=2, stop_dispatching=True) as knocks:
            got.append(await knocks.next())
            await sleep_forever()

    task = start(main())
    assert door.dispatch("on_knock", 1) is True
    for n in (2, 3, 4):
        door.dispatch("on_knock", n)
    assert got == [(1,)] and door.default_saw == []
    task.cancel()
    assert task.cancelled
    assert observers(door, "on_knock") == 0


def test_event_stream_checks_its_use() -> None:
    door = Door()
    with pytest.raises(ValueError, match="maxlen"):
        EventStream(door, "on_knock", maxlen=-1)
    with pytest.raises(ValueError, match="no event or property"):
        EventStream(door, "nope")
    stream = EventStream(door, "on_knock")
    with pytest.raises(RuntimeError, match="async with"):
        start(stream.next())

    async def twice() -> None:
        async with stream, stream:
            pass

    with pytest.raises(RuntimeError, match="already bound"):
        start(twice())
    assert not stream.bound


def test_touch_moves_needs_a_widget_and_a_touch() -> None:
    with pytest.raises(TypeError, match="needs a widget"):
        TouchMoves(Door(), object())
    with pytest.raises(TypeError, match="needs a widget"):
        TouchMoves(object(), object())


# -- errors of managed tasks -----------------------------------------------------------------


def test_a_managed_task_error_is_raised_from_the_clock_not_into_the_dispatch(
    host: KivyHost,
) -> None:
    door = Door()

    async def fails() -> None:
        await wait_event(door, "on_knock")
        raise KeyError("managed")

    task = host.start_managed(fails())
    door.dispatch("on_knock")  # the dispatch itself does not raise
    assert task.done() and not task.finished
    # From a clock callback of the next frame, where Kivy's main loop hands what a callback
    # raises to ExceptionManager (test_kivy_app.py checks that with a running app).
    with pytest.raises(KeyError, match="managed"):
        Clock.tick()
    Clock.tick()  # raised once


def test_cancel_managed_cancels_the_newest_first(host: KivyHost) -> None:
    order: list[int] = []

    async def forever(n: int) -> None:
        try:
            await sleep_forever()
        except Cancelled:
            order.append(n)
            raise

    tasks = [host.start_managed(forever(n)) for n in range(3)]
    assert host.managed_tasks == 3
    host.cancel_managed()
    assert order == [2, 1, 0]
    assert all(t.cancelled for t in tasks)
    assert host.managed_tasks == 0


def test_importing_the_adapter_opens_no_window_and_leaves_argv_alone() -> None:
    import subprocess

    code = (
        "import sys; sys.argv[1:] = ['--size=9x9', 'mine']\n"
        "import gearwork.adapters.kivy\n"
        "print(sys.argv[1:], 'kivy.core.window' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "KIVY_NO_ARGS"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert out.strip() == "['--size=9x9', 'mine'] False"
