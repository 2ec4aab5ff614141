"""Debug mode: checks that cost too much to run on every resumption, run on demand.

When it is on, :meth:`Task.step`, :meth:`Task.throw` and :meth:`Task.cancel`
(``close``) check that they are called from the thread the task runs on,
that is, the thread that started it. The check is a thread-local look-up per
call; with debug mode off the methods are the plain ones and cost nothing
more. Debug mode also warns of awaits cut short by a cancellation and keeps
gearwork's frames in the tracebacks of exceptions raised to a resumer (both
on error paths only). It is on at import when the environment variable ``GEARWORK_DEBUG``
is set to anything but ``""`` or ``"0"``, or when Python runs in
development mode (``python -X dev``), as asyncio's debug mode is.
"""

from __future__ import annotations

import os
import sys
from functools import wraps
from threading import current_thread
from typing import Any

from . import _task
from ._task import _CREATED, _FINISHED, Task, _thread_state

__all__ = ("get_debug", "set_debug")

_CHECKED = ("step", "throw", "cancel", "close")
_plain: dict[str, Any] = {name: vars(Task)[name] for name in _CHECKED}
_enabled = False


def _check_thread(task: Task[Any], method: str) -> None:
    """Raise if *task* has started, has not ended, and belongs to another thread."""
    st = task._st
    if st == _CREATED or st >= _FINISHED:
        return  # not bound to a thread yet, or ended: the call is harmless anywhere
    try:
        here = _thread_state.runtime
    except AttributeError:
        here = None
    owner = task._rt
    if here is not owner:
        raise RuntimeError(
            f"{task!r}.{method}() called from thread {current_thread().name!r}, but the "
            f"task runs on thread {owner.thread_name!r}, which started it; hand the call "
            "over to that thread (asyncio: loop.call_soon_threadsafe; a GUI toolkit: its "
            "own way to run a callback on its thread)"
        )


def _checking(name: str) -> Any:
    plain = _plain[name]
    method = "cancel" if name == "close" else name

    @wraps(plain)
    def checked(self: Task[Any], /, *args: Any, **kwargs: Any) -> Any:
        _check_thread(self, method)
        return plain(self, *args, **kwargs)

    return checked


_checked: dict[str, Any] = {name: _checking(name) for name in _CHECKED}


def set_debug(enabled: bool, /) -> None:
    """Turn debug mode on or off, for every task (see :func:`get_debug`).

    :raises TypeError: *enabled* is not a bool.

    >>> import threading
    >>> from gearwork.core import sleep_forever, start
    >>> set_debug(True)
    >>> task = start(sleep_forever(), name="clicker")
    >>> errors = []
    >>> def from_a_worker():
    ...     try:
    ...         task.step()
    ...     except RuntimeError as exc:
    ...         errors.append(str(exc))
    >>> worker = threading.Thread(target=from_a_worker, name="worker")
    >>> worker.start(); worker.join()
    >>> print(errors[0].split(", but")[0])
    <Task 'clicker' STARTED (suspended)>.step() called from thread 'worker'
    >>> set_debug(False)
    >>> task.cancel()
    """
    global _enabled
    if not isinstance(enabled, bool):
        raise TypeError(f"set_debug() needs a bool, got {type(enabled).__name__}")
    methods = _checked if enabled else _plain
    for name in _CHECKED:
        setattr(Task, name, methods[name])
    _task._debug_mode = enabled  # warns of awaits cut short by a cancellation
    _enabled = enabled


def get_debug() -> bool:
    """Whether debug mode is on.

    In debug mode, resuming, throwing into or cancelling a task from a thread
    other than the one it runs on raises :class:`RuntimeError` instead of
    running it there (where it would race with its own thread); a task that
    awaits while it is being cancelled, outside ``disable_cancellation()``,
    gets a :class:`RuntimeWarning` pointing at that await; and an exception
    raised to a task's resumer keeps gearwork's own frames in its traceback.
    Everything else behaves the same. It is off by default; ``GEARWORK_DEBUG=1`` or
    ``python -X dev`` turn it on at import, :func:`set_debug` at any time.
    """
    return _enabled


if os.environ.get("GEARWORK_DEBUG", "") not in ("", "0") or sys.flags.dev_mode:
    set_debug(True)
