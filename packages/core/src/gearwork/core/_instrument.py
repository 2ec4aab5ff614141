"""Instruments: code told of every run of every task, swapped in only when set.

A run is what happens between a task being started or resumed and its next
suspension (or its end): one ``send``/``throw`` into its coroutine, plus the
registration of what it waits on. With no instrument set, the hot paths are
the plain ones. Setting one routes every run, from :func:`~gearwork.core.start`,
:meth:`~gearwork.core.Task.step`, ``throw``, ``cancel``, ``start_each`` and the
bounded stack's queue, through one wrapped method that calls the instrument
before and after it.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Protocol

from . import _task
from ._task import _DRAINER, Task

if TYPE_CHECKING:
    from ._task import Resumption

__all__ = ("Instrument", "get_instrument", "set_instrument")


class Instrument(Protocol):
    """What :func:`set_instrument` calls around each run of a task.

    Runs nest: a task that fires an event resumes the tasks waiting on it
    inside its own run, so ``before_step(a)``, ``before_step(b)``,
    ``after_step(b)``, ``after_step(a)`` is a normal sequence, and a task's
    registrar may resume the same task at once (two runs of one task, one
    inside the other). At a task's first ``before_step`` its state is still
    ``CREATED``. When ``after_step`` is called the task has suspended
    again or ended (``task.done()``); it is called even when the run raised.
    Both methods run on the thread of the task, synchronously: keep them
    cheap.
    """

    def before_step(self, task: Task[Any], /) -> None:
        """The task is about to run."""

    def after_step(self, task: Task[Any], /) -> None:
        """The task has suspended or ended."""


_plain_run = vars(Task)["_run"]
_current: Instrument | None = None


def _fail(method: str, instrument: Instrument, error: Exception) -> None:
    """Remove the instrument that raised and say so (as trio does with its instruments)."""
    if _current is instrument:
        set_instrument(None)
    warnings.warn(
        f"{type(instrument).__name__}.{method}() raised {error!r}; the instrument was removed",
        RuntimeWarning,
        stacklevel=3,
    )


def _instrumented_run(self: Task[Any], value: Resumption | None, exc: BaseException | None) -> None:
    instrument = _current
    if instrument is None:  # removed by an instrument that raised in a nested run
        _plain_run(self, value, exc)
        return
    try:
        instrument.before_step(self)
    except Exception as e:
        _fail("before_step", instrument, e)
    try:
        _plain_run(self, value, exc)
    finally:
        try:
            instrument.after_step(self)
        except Exception as e:
            _fail("after_step", instrument, e)


def set_instrument(instrument: Instrument | None, /) -> Instrument | None:
    """Set the instrument told of every run of every task, or remove it with ``None``.

    There is one instrument for all threads; to run several, set one that
    calls the others. An instrument whose method raises is removed and a
    :class:`RuntimeWarning` says why; the task's run is not affected. With no
    instrument, tasks run exactly as fast as if this function did not exist.

    :returns: the instrument that was set before, or ``None``.
    :raises TypeError: *instrument* lacks a callable ``before_step`` or ``after_step``.

    >>> from gearwork.core import sleep_forever, start
    >>> class Counter:
    ...     def __init__(self):
    ...         self.runs = 0
    ...     def before_step(self, task):
    ...         self.runs += 1
    ...     def after_step(self, task):
    ...         pass
    >>> counter = Counter()
    >>> set_instrument(counter)
    >>> task = start(sleep_forever())
    >>> task.step()
    >>> set_instrument(None) is counter
    True
    >>> counter.runs
    2
    """
    global _current
    if instrument is not None:
        for method in ("before_step", "after_step"):
            if not callable(getattr(instrument, method, None)):
                raise TypeError(
                    f"set_instrument() needs an object with a callable {method}(task) method "
                    f"(see gearwork.core.lowlevel.Instrument), got {type(instrument).__name__}"
                )
    previous = _current
    _current = instrument
    if instrument is None:
        Task._run = _plain_run  # type: ignore[method-assign]
        _task._set_inline_below(_DRAINER)
    else:
        Task._run = _instrumented_run  # type: ignore[method-assign]
        _task._set_inline_below(0)  # every run goes through Task._run
    return previous


def get_instrument() -> Instrument | None:
    """The instrument :func:`set_instrument` set, or ``None``."""
    return _current
