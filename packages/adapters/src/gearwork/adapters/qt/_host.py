"""A Qt application as a gearwork host: Qt's own timers and posted events."""

from __future__ import annotations

import collections
import math
import sys
import threading
import time
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QAbstractEventDispatcher, QCoreApplication, QEvent, QObject, Qt

from gearwork.adapters.timing import Timing
from gearwork.core import Task, start

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ("QtHost", "report_exception")

T = TypeVar("T")

# One event type for every host: a posted event of this type means "drain your queue".
_WAKE_UP = QEvent.Type(QEvent.registerEventType())


def report_exception(task: Task[object], exc: BaseException, /) -> None:
    """Hand *exc*, escaping *task*, to ``sys.excepthook``: the path Qt reports errors by.

    PySide6 prints an exception escaping a slot through ``sys.excepthook`` and
    goes on; tasks started by :meth:`QtHost.start_managed` report theirs the
    same way, so an application that installs its own hook (a dialog, a log)
    sees both.
    """
    sys.excepthook(type(exc), exc, exc.__traceback__)


class _Timer:
    """A pending ``call_later``: one timer id of Qt's event dispatcher."""

    __slots__ = ("_callback", "_host", "_id")

    def __init__(self, host: QtHost, timer_id: int, callback: Callable[[], object]) -> None:
        self._host: QtHost | None = host
        self._id = timer_id
        self._callback = callback

    def cancel(self) -> None:
        """Kill the Qt timer now: its callback never runs. Calling it again does nothing."""
        host = self._host
        if host is not None:
            self._host = None
            del host._timers[self._id]
            host._anchor.killTimer(self._id)


class _Anchor(QObject):
    """The QObject that owns a host's timers and receives its posted wake-ups."""

    def __init__(self, host: QtHost) -> None:
        super().__init__()
        self._host = host

    def timerEvent(self, event: object) -> None:
        timer_id: int = event.timerId()  # type: ignore[attr-defined]
        host = self._host
        timer = host._timers.pop(timer_id, None)
        self.killTimer(timer_id)  # single shot
        if timer is not None:
            timer._host = None
            timer._callback()

    def event(self, event: QEvent) -> bool:
        if event.type() == _WAKE_UP:
            self._host._drain()
            return True
        return super().event(event)


class QtHost(Timing):
    """The Qt application's thread as a gearwork host, and its Timing set.

    ``call_later`` starts a precise timer of Qt's event dispatcher (no Python
    timer of its own); cancelling it kills that timer at once, so a cancelled
    ``await host.sleep(10)`` leaves nothing in Qt. ``call_soon_threadsafe``
    queues the callback and posts one custom :class:`~PySide6.QtCore.QEvent`
    with ``QCoreApplication.postEvent``, which wakes Qt's loop from any
    thread without polling. ``now()`` is :func:`time.monotonic`.

    Create it on the thread of the ``QCoreApplication``/``QApplication``,
    after the application object. Being a :class:`~gearwork.adapters.timing.Timing`
    it offers ``await host.sleep(1)``, ``host.move_on_after(2)``,
    ``host.run_in_thread(fn)``, ... for gearwork tasks run by Qt.

    :raises RuntimeError: no Qt application object exists yet.
    """

    __slots__ = ("_anchor", "_calls", "_lock", "_managed", "_posted", "_timers")

    __module__ = "gearwork.adapters.qt"

    def __init__(self) -> None:
        if QCoreApplication.instance() is None:
            raise RuntimeError(
                "QtHost() needs a Qt application: create QApplication([]) (or "
                "QCoreApplication) first"
            )
        self._timers: dict[int, _Timer] = {}
        self._calls: collections.deque[Callable[[], object]] = collections.deque()
        self._lock = threading.Lock()
        self._posted = False
        self._managed: dict[Task[object], None] = {}
        self._anchor = _Anchor(self)
        super().__init__(self)

    # -- the time protocol ---------------------------------------------------

    def now(self) -> float:
        """The monotonic clock, in seconds (:func:`time.monotonic`)."""
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> _Timer:
        """Call *callback* from Qt's loop after *delay* seconds; ``.cancel()`` the result drops it.

        Qt timers count whole milliseconds: the delay is rounded up, and Qt's
        precise timers never fire early.

        :raises ValueError: *delay* is NaN.
        """
        if delay != delay:
            raise ValueError("call_later() delay must be a number, got NaN")
        ms = max(0, min(math.ceil(delay * 1000), 2**31 - 1))
        timer_id = self._anchor.startTimer(ms, Qt.TimerType.PreciseTimer)
        timer = self._timers[timer_id] = _Timer(self, timer_id, callback)
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Call *callback* on Qt's thread soon; callable from any thread.

        Calls made while a wake-up is on its way share it: one posted event
        runs every callback queued until then, in order.
        """
        with self._lock:
            self._calls.append(callback)
            if self._posted:
                return
            self._posted = True
        QCoreApplication.postEvent(self._anchor, QEvent(_WAKE_UP))

    def _drain(self) -> None:
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
    def qt_timers(self) -> int:
        """How many timers Qt's event dispatcher holds for this host (what Qt itself counts)."""
        dispatcher = QAbstractEventDispatcher.instance()
        return 0 if dispatcher is None else len(dispatcher.registeredTimers(self._anchor))

    # -- root tasks ------------------------------------------------------------

    def start_managed(self, aw: Awaitable[T], /) -> Task[T]:
        """Start *aw* as a root task that :meth:`cancel_managed` (called at app exit) cancels.

        What escapes the task goes to :func:`report_exception` (``sys.excepthook``)
        instead of to the Qt callback that happened to resume it. For an
        application with an entry point of its own, connect
        ``app.aboutToQuit`` to :meth:`cancel_managed`; :func:`~gearwork.adapters.qt.run`
        does it for you.
        """
        task: Task[T] = start(aw, exception_handler=report_exception)
        if not task.done():
            managed = self._managed
            managed[task] = None
            task.add_done_callback(lambda t: managed.pop(t, None))
        return task

    def cancel_managed(self) -> None:
        """Cancel every task started by :meth:`start_managed` that has not ended, newest first."""
        for task in reversed(list(self._managed)):
            task.cancel()

    @property
    def managed_tasks(self) -> int:
        """How many tasks started by :meth:`start_managed` are still running."""
        return len(self._managed)

    def __repr__(self) -> str:
        return f"<QtHost, {len(self._timers)} pending timers>"
