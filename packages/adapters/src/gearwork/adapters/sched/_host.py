"""The standard library's ``sched.scheduler`` as a gearwork host."""

from __future__ import annotations

import sched
import threading
import time
from typing import TYPE_CHECKING, TypeVar

from gearwork.adapters.timing import Timing
from gearwork.core import Cancelled, start
from gearwork.core.lowlevel import exception_of

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from typing_extensions import TypeVarTuple, Unpack

    from gearwork.core import Task

    Ts = TypeVarTuple("Ts")

__all__ = ("SchedHost", "run")

T = TypeVar("T")

_TIMER_PRIORITY = 1
_POSTED_PRIORITY = 0  # at the same time, what other threads posted runs first


class _SchedTimer:
    """A timer of a :class:`SchedHost`: one event in the scheduler's queue."""

    __slots__ = ("_callback", "_event", "_host")

    def __init__(self, host: SchedHost, callback: Callable[[], object]) -> None:
        self._host = host
        self._callback: Callable[[], object] | None = callback
        self._event: sched.Event | None = None

    def _fire(self) -> None:
        callback = self._callback
        if callback is not None:
            self._callback = None
            self._event = None
            self._host._pending -= 1
            callback()

    def cancel(self) -> None:
        """Remove the event from the scheduler's queue; idempotent, harmless after it fired."""
        if self._callback is not None:
            self._callback = None
            self._host._pending -= 1
            event = self._event
            self._event = None
            if event is not None:  # still queued: _fire() blanks the callback first
                self._host.scheduler.cancel(event)


class SchedHost(Timing):
    """A host made of a :class:`sched.scheduler`, and its :class:`~gearwork.adapters.timing.Timing`.

    The scheduler (:attr:`scheduler`) is made here, with *timefunc* (default
    :func:`time.monotonic`) as its clock and a delay function of its own: it
    waits on a :class:`threading.Event` with the scheduler's timeout, so
    :meth:`call_soon_threadsafe`, which adds the callback to the queue and
    sets the event, wakes a scheduler blocked in ``run()`` at once, without
    waiting for the next scheduled event and without polling. Timers are
    ordinary events of the queue (``enter``); cancelling one removes the
    event.

    ``host.run(main())`` runs the scheduler until the task of *main* ends,
    also while the queue is empty and the task waits for another thread.
    Use the Timing set on it: ``await host.sleep(1)``, ``host.move_on_after(2)``, ...

    >>> host = SchedHost()
    >>> async def main():
    ...     async with host.move_on_after(0.01) as scope:
    ...         answer = await host.run_in_thread(pow, 2, 10)
    ...     await host.sleep(0)
    ...     return answer, host.pending_timers
    >>> host.run(main())
    (1024, 0)
    """

    __slots__ = ("_pending", "_running", "_timefunc", "_wakeup", "scheduler")

    __module__ = "gearwork.adapters.sched"

    def __init__(self, timefunc: Callable[[], float] = time.monotonic) -> None:
        if not callable(timefunc):
            raise TypeError(f"SchedHost() needs a callable timefunc, got {type(timefunc).__name__}")
        self._timefunc = timefunc
        self._wakeup = threading.Event()
        self._pending = 0
        self._running = False
        self.scheduler: sched.scheduler = sched.scheduler(timefunc, self._delay)
        """The :class:`sched.scheduler` that runs everything."""
        super().__init__(self)

    def _delay(self, seconds: float) -> None:
        # sched calls this with 0 after every event it runs: return at once then.
        if seconds > 0 and self._wakeup.wait(seconds):
            self._wakeup.clear()  # woken by a post; the scheduler looks at its queue again

    def now(self) -> float:
        """The scheduler's clock (its timefunc)."""
        return self._timefunc()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _SchedTimer:
        """Enter ``callback()`` in the queue *delay* seconds from now; return its timer."""
        if not callable(callback):
            raise TypeError(f"call_later() needs a callable, got {type(callback).__name__}")
        timer = _SchedTimer(self, callback)
        timer._event = self.scheduler.enter(delay, _TIMER_PRIORITY, timer._fire)
        self._pending += 1
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """From any thread: run ``callback()`` in the scheduler's thread as soon as it can.

        A scheduler blocked waiting for its next event wakes up at once.
        """
        if not callable(callback):
            raise TypeError(
                f"call_soon_threadsafe() needs a callable, got {type(callback).__name__}"
            )
        self.scheduler.enter(0, _POSTED_PRIORITY, callback)
        self._wakeup.set()

    @property
    def pending_timers(self) -> int:
        """How many timers made by :meth:`call_later` wait to fire."""
        return self._pending

    def run(self, main: Awaitable[T], /) -> T:
        """Start *main* as a task and run the scheduler until the task ends; return its result.

        While the queue is empty, it blocks until another thread posts with
        :meth:`call_soon_threadsafe` (a task that waits for something nothing
        will ever post waits for ever, as it would in any loop). What escapes
        the task (or any callback of the scheduler) propagates from here; the
        task is then cancelled if it has not ended. A task that ends cancelled
        makes this raise :class:`~gearwork.core.Cancelled`.

        :raises RuntimeError: the host is already running.
        """
        if self._running:
            raise RuntimeError("this SchedHost is already running")
        self._running = True
        task: Task[T] | None = None
        try:
            task = start(main)
            scheduler = self.scheduler
            wakeup = self._wakeup
            while not task.done():
                scheduler.run()
                if not task.done():  # the queue is empty: only another thread can help
                    wakeup.wait()
                    wakeup.clear()
        finally:
            self._running = False
            if task is not None and not task.done():
                task.cancel()
        if task.finished:
            return task.result
        exc = exception_of(task)
        if exc is not None:
            raise exc
        raise Cancelled("the main task was cancelled")


def run(async_fn: Callable[[SchedHost, Unpack[Ts]], Awaitable[T]], /, *args: Unpack[Ts]) -> T:
    """Run ``async_fn(host, *args)`` on a new :class:`SchedHost` until it ends; return its result.

    >>> async def main(host, message):
    ...     await host.sleep(0.001)
    ...     return message
    >>> run(main, "done")
    'done'
    """
    host = SchedHost()
    return host.run(async_fn(host, *args))
