"""Kivy's thread as a gearwork host: ``Clock.schedule_once`` timers and wake-ups."""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING, TypeVar

from kivy.base import EventLoop, ExceptionManager
from kivy.clock import Clock
from kivy.logger import Logger

from gearwork.adapters.timing import Timing
from gearwork.core import Task, start

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from kivy.clock import ClockEvent

__all__ = ("KivyHost", "report_exception")

T = TypeVar("T")


class _Raise:
    """A clock callback that raises one exception: Kivy's main loop hands it to ExceptionManager."""

    __slots__ = ("__weakref__", "exc")

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __call__(self, dt: float) -> None:
        exc = self.exc
        del self.exc
        raise exc


def report_exception(task: Task[object], exc: BaseException, /) -> None:
    """Hand *exc*, escaping *task*, to Kivy's ``ExceptionManager``, as Kivy does for its callbacks.

    The exception is not raised into the Kivy callback that happened to resume
    the task (a property setter, another widget's dispatch): it is raised
    again from a ``Clock.schedule_once`` callback on the next frame, where
    Kivy's main loop passes it to :data:`kivy.base.ExceptionManager` exactly
    as it would an error of any other callback: a handler returning
    ``ExceptionManager.PASS`` keeps the app running, otherwise the app stops
    and ``App.run()`` raises it. Once Kivy's event loop has stopped, nothing
    ticks the clock any more: the handlers are asked directly, and an error
    none of them passes is logged with Kivy's ``Logger``.
    """
    if EventLoop.status in ("stopped", "closed"):
        if ExceptionManager.handle_exception(exc) != ExceptionManager.PASS:
            Logger.error(
                "gearwork: a task failed after the Kivy event loop had stopped", exc_info=exc
            )
        return
    Clock.schedule_once(_Raise(exc), 0)


class _Timer:
    """A pending ``call_later``: one ClockEvent of Kivy's clock."""

    __slots__ = ("__weakref__", "_callback", "_deadline", "_event", "_host")

    def __init__(self, host: KivyHost, deadline: float, callback: Callable[[], object]) -> None:
        self._host: KivyHost | None = host
        self._deadline = deadline
        self._callback = callback
        self._event: ClockEvent = host._schedule(self._fire, deadline)

    def _fire(self, dt: float) -> None:
        host = self._host
        if host is None:
            return
        if host.now() < self._deadline:  # Kivy's clock may fire early: never let a sleep end early
            self._event = host._schedule(self._fire, self._deadline)
            return
        self._host = None
        del host._timers[self]
        self._callback()

    def cancel(self) -> None:
        """Cancel the ClockEvent now: its callback never runs. Calling it again does nothing."""
        host = self._host
        if host is not None:
            self._host = None
            del host._timers[self]
            self._event.cancel()


class KivyHost(Timing):
    """Kivy's thread as a gearwork host, and its :class:`~gearwork.adapters.timing.Timing` set.

    ``call_later`` schedules one event of Kivy's :data:`~kivy.clock.Clock`
    (``Clock.schedule_once``); cancelling it cancels that ClockEvent at once,
    so a cancelled ``await host.sleep(10)`` leaves nothing in the clock.
    Kivy's clock runs an event up to one clock resolution early and counts
    from the start of the current frame; the host pads the timeout by both,
    and re-arms a timer that still comes early, so a sleep never ends before
    its time. Timers fire on Kivy's frames (60 per second by default).
    ``now()`` is Kivy's ``Clock.time()`` (:func:`time.perf_counter`).

    ``call_soon_threadsafe`` queues the callback and schedules one clock
    event from the calling thread (Kivy's clock is thread-safe), which wakes
    nothing by polling. With Kivy's default clock the loop sleeps to hold its
    frame rate and the callback waits for the next frame (median ~10 ms
    measured at 60 fps); with ``KIVY_CLOCK=interrupt`` in the environment
    (set before Kivy is imported) the scheduling interrupts that sleep and
    the callback runs after ~0.15 ms: see ``benchmarks/kivy_wakeup.py``.

    Tasks started with :meth:`start_managed` are cancelled when Kivy's event
    loop stops (``App.stop()``, the window closed) and report their errors
    through :func:`report_exception`.

    Being a :class:`~gearwork.adapters.timing.Timing` it offers ``await
    host.sleep(1)``, ``host.move_on_after(2)``, ``host.run_in_thread(fn)``,
    ``host.periodic(0.5)``, ``host.wait(...)``, ``host.monitor()``, ... for
    gearwork tasks run by Kivy. Create it on Kivy's thread.

    >>> host = KivyHost()
    >>> host.pending_timers
    0
    """

    __slots__ = ("__weakref__", "_calls", "_lock", "_managed", "_posted", "_stop_uid", "_timers")

    __module__ = "gearwork.adapters.kivy"

    def __init__(self) -> None:
        self._timers: dict[_Timer, None] = {}
        self._calls: collections.deque[Callable[[], object]] = collections.deque()
        self._lock = threading.Lock()
        self._posted = False
        self._managed: dict[Task[object], None] = {}
        self._stop_uid = 0
        super().__init__(self)

    # -- the time protocol ---------------------------------------------------

    def now(self) -> float:
        """Kivy's clock, in seconds (``Clock.time()``, :func:`time.perf_counter`)."""
        return float(Clock.time())

    def _schedule(self, callback: Callable[[float], None], deadline: float) -> ClockEvent:
        # Kivy counts a new event's timeout from the start of the frame (Clock.get_time()) and
        # runs it once less than one resolution remains: pad by both.
        timeout = deadline - Clock.get_time() + Clock.get_resolution()
        return Clock.schedule_once(callback, max(timeout, 0.0))

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Call *callback* from Kivy's clock once *delay* seconds have passed; ``cancel()`` it.

        :raises ValueError: *delay* is NaN.
        """
        if delay != delay:
            raise ValueError("call_later() delay must be a number, got NaN")
        timer = _Timer(self, self.now() + max(delay, 0.0), callback)
        self._timers[timer] = None
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Call *callback* on Kivy's thread soon; callable from any thread.

        Calls made while a wake-up is on its way share it: one clock event
        runs every callback queued until then, in order.
        """
        with self._lock:
            self._calls.append(callback)
            if self._posted:
                return
            self._posted = True
        Clock.schedule_once(self._drain, 0)

    def _drain(self, dt: float) -> None:
        with self._lock:
            self._posted = False
            calls, self._calls = self._calls, collections.deque()
        for callback in calls:
            callback()

    @property
    def pending_timers(self) -> int:
        """Timers started by :meth:`call_later` that have neither fired nor been cancelled."""
        return len(self._timers)

    @property
    def kivy_timers(self) -> int:
        """How many of the host's timers Kivy's clock holds (what the clock itself lists)."""
        mine = {timer._event for timer in self._timers}
        return sum(1 for event in Clock.get_events() if event in mine)

    # -- root tasks ------------------------------------------------------------

    def start_managed(self, aw: Awaitable[T], /) -> Task[T]:
        """Start *aw* as a root task, cancelled when Kivy's event loop stops; the task.

        What escapes the task goes to :func:`report_exception` (Kivy's
        ``ExceptionManager``) instead of to the Kivy callback that happened
        to resume it. The tasks are cancelled, newest first, by
        :meth:`cancel_managed`, which runs when the event loop dispatches
        ``on_stop`` (``App.stop()``, the window closed): this works for an
        app that calls ``App().run()`` itself. Clean-up that still awaits
        after that needs someone to tick the clock: :func:`~gearwork.adapters.kivy.run`
        does, for its root task.
        """
        task: Task[T] = start(aw, exception_handler=report_exception)
        if not task.done():
            managed = self._managed
            managed[task] = None
            task.add_done_callback(lambda t: managed.pop(t, None))
            if not self._stop_uid:
                self._stop_uid = EventLoop.fbind("on_stop", self._on_stop)
        return task

    def _on_stop(self, *_: object) -> None:
        self.cancel_managed()

    def cancel_managed(self) -> None:
        """Cancel every task started by :meth:`start_managed` that has not ended, newest first."""
        if self._stop_uid:
            EventLoop.unbind_uid("on_stop", self._stop_uid)
            self._stop_uid = 0
        for task in reversed(list(self._managed)):
            task.cancel()

    @property
    def managed_tasks(self) -> int:
        """How many tasks started by :meth:`start_managed` are still running."""
        return len(self._managed)

    def __repr__(self) -> str:
        return f"<KivyHost, {len(self._timers)} pending timers>"
