"""TaskStats: per-task timing of gearwork tasks, told by core's instrument hook."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from gearwork.core import Task
from gearwork.core.lowlevel import Instrument, get_instrument, set_instrument

__all__ = ("TaskRecord", "TaskStats")

logger = logging.getLogger("gearwork.adapters.stats")


@dataclass
class TaskRecord:
    """What :class:`TaskStats` knows of one task.

    Times are in seconds of the stats' clock. ``slowest_step`` leaves out the
    time spent in runs of other tasks nested inside the step (a task firing
    an event runs its waiters inside its own step). ``longest_wait`` is the
    longest time between a suspension and the next run. ``highest_rate`` is
    the most runs seen within one window of ``rate_window`` seconds, divided
    by the window.
    """

    __module__ = "gearwork.adapters.stats"

    name: str
    runs: int = 0
    slowest_step: float = 0.0
    longest_wait: float = 0.0
    highest_rate: float = 0.0
    _suspended_at: float | None = field(default=None, repr=False)
    _recent: deque[float] = field(default_factory=deque, repr=False)


class _Frame:
    __slots__ = ("nested", "record", "started")

    def __init__(self, record: TaskRecord, started: float) -> None:
        self.record = record
        self.started = started
        self.nested = 0.0


class TaskStats:
    """Slowest step, longest wait and highest run rate of every gearwork task (trio-util's idea).

    While active (``with TaskStats() as stats:``, or :meth:`start` and
    :meth:`stop`) it is the instrument of :func:`gearwork.core.lowlevel.set_instrument`
    and times every run of every task; when it is not active, tasks run at
    full speed (the hook is removed). An instrument that was set before is
    still called, and is set again on :meth:`stop`.

    When a task ends, its :class:`TaskRecord` goes to ``on_task_end(task,
    record)``; by default it is logged at INFO level by the
    ``gearwork.adapters.stats`` logger. :meth:`record` gives the record of a
    task that is still alive.

    :param current_time: the clock, seconds as a float (``time.perf_counter``
        by default; pass ``trio.current_time`` or a host's ``now``).
    :param rate_window: the window over which run rates are counted, seconds.
    :param on_task_end: called with each ended task and its record.
    :raises ValueError: *rate_window* is not positive.

    >>> from gearwork.core import start
    >>> from gearwork.sync import Event
    >>> ended = []
    >>> event = Event()
    >>> async def waits_twice():
    ...     await event.wait()
    ...     await event.wait()
    >>> with TaskStats(on_task_end=lambda task, record: ended.append(record.runs)):
    ...     task = start(waits_twice())
    ...     event.fire()
    ...     event.fire()
    >>> ended
    [3]
    """

    __slots__ = ("_active", "_clock", "_on_end", "_previous", "_records", "_stack", "_window")

    __module__ = "gearwork.adapters.stats"

    def __init__(
        self,
        *,
        current_time: Callable[[], float] = time.perf_counter,
        rate_window: float = 1.0,
        on_task_end: Callable[[Task[Any], TaskRecord], object] | None = None,
    ) -> None:
        if not rate_window > 0:
            raise ValueError(f"TaskStats(rate_window=...) must be positive, got {rate_window!r}")
        self._clock = current_time
        self._window = float(rate_window)
        self._on_end = on_task_end
        self._records: dict[Task[Any], TaskRecord] = {}
        self._stack: list[_Frame] = []
        self._previous: Instrument | None = None
        self._active = False

    # -- switching on and off ----------------------------------------------------

    def start(self) -> None:
        """Start timing tasks (set this object as core's instrument).

        :raises RuntimeError: it is already active.
        """
        if self._active:
            raise RuntimeError("TaskStats.start(): these stats are already active")
        self._previous = set_instrument(self)
        self._active = True

    def stop(self) -> None:
        """Stop timing tasks and put back the instrument that was set before. Idempotent."""
        if not self._active:
            return
        self._active = False
        if get_instrument() is self:
            set_instrument(self._previous)
        self._previous = None
        self._stack.clear()

    @property
    def active(self) -> bool:
        """Whether the stats are being collected."""
        return self._active

    def __enter__(self) -> TaskStats:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- reading -----------------------------------------------------------------

    def record(self, task: Task[Any], /) -> TaskRecord | None:
        """The record of a live task seen so far, or ``None``."""
        return self._records.get(task)

    def records(self) -> list[tuple[Task[Any], TaskRecord]]:
        """Every live task seen so far with its record."""
        return list(self._records.items())

    # -- the instrument ------------------------------------------------------------

    def before_step(self, task: Task[Any], /) -> None:
        """Core's hook: *task* is about to run."""
        previous = self._previous
        if previous is not None:
            previous.before_step(task)
        now = self._clock()
        record = self._records.get(task)
        if record is None:
            record = self._records[task] = TaskRecord(task.get_name())
        elif record._suspended_at is not None:
            wait = now - record._suspended_at
            if wait > record.longest_wait:
                record.longest_wait = wait
        record._suspended_at = None  # a nested run of the same task has waited 0
        record.runs += 1
        recent = record._recent
        recent.append(now)
        horizon = now - self._window
        while recent[0] < horizon:
            recent.popleft()
        rate = len(recent) / self._window
        if rate > record.highest_rate:
            record.highest_rate = rate
        self._stack.append(_Frame(record, now))

    def after_step(self, task: Task[Any], /) -> None:
        """Core's hook: *task* has suspended or ended."""
        now = self._clock()
        stack = self._stack
        if stack:
            frame = stack.pop()
            elapsed = now - frame.started
            own = elapsed - frame.nested
            record = frame.record
            if own > record.slowest_step:
                record.slowest_step = own
            if stack:
                stack[-1].nested += elapsed
            if task.done():
                self._end(task)
            else:
                record._suspended_at = now
        previous = self._previous
        if previous is not None:
            previous.after_step(task)

    def _end(self, task: Task[Any]) -> None:
        record = self._records.pop(task, None)
        if record is None:
            return
        record._recent.clear()
        if self._on_end is not None:
            self._on_end(task, record)
        else:
            logger.info(
                "%s: %d runs, slowest step %.6f s, longest wait %.6f s, highest rate %.1f/s",
                record.name,
                record.runs,
                record.slowest_step,
                record.longest_wait,
                record.highest_rate,
            )
