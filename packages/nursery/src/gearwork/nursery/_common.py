"""Plumbing shared by the nursery and the wait functions.

Turning arguments into tasks (with errors that name the bad argument), two
registrars of the suspension protocol (one that parks the task, one that
resumes it at once with itself, to learn which task is running), and the one
place where collected errors become an exception group.
"""

from __future__ import annotations

import types
from typing import Any

from gearwork.core import BaseExceptionGroup, InvalidStateError, Task, TaskState

__all__ = ("close_coroutines", "group", "park", "resume_at_once", "to_task", "to_tasks")

_CoroutineType = types.CoroutineType
_CREATED = TaskState.CREATED


def park(task: Task[Any], /) -> None:
    """Registrar that leaves the task suspended; its supervisor resumes it."""


def resume_at_once(task: Task[Any], /) -> None:
    """Registrar that resumes the task at once with itself: learns who is running."""
    task.step(task)


def _not_awaitable(aw: object, where: str) -> TypeError:
    return TypeError(f"{where} must be an awaitable or a Task, got {type(aw).__name__}")


def _started(task: Task[Any], where: str) -> InvalidStateError:
    return InvalidStateError(
        f"{where} is {task!r}, which has already started; a task can be started only once"
    )


def to_task(aw: object, where: str) -> Task[Any]:
    """Return *aw* as a task that has not started yet.

    *where* names the argument in error messages, such as
    ``"Nursery.start() argument"``.

    :raises TypeError: *aw* is neither an awaitable nor a :class:`Task`.
    :raises InvalidStateError: *aw* is a task that has already started.
    """
    if isinstance(aw, Task):
        if aw.state is not _CREATED:
            raise _started(aw, where)
        return aw
    try:
        return Task(aw)  # type: ignore[arg-type]  # checked by Task
    except TypeError:
        raise _not_awaitable(aw, where) from None


def close_coroutines(aws: tuple[object, ...]) -> None:
    """Close the coroutines among *aws*, so that a call that refused them leaves no warning."""
    for aw in aws:
        if type(aw) is _CoroutineType:
            aw.close()


def to_tasks(aws: tuple[object, ...], who: str) -> tuple[Task[Any], ...]:
    """Turn every argument of *who* into a task that has not started.

    All or nothing: when one argument is bad, the coroutines given are closed
    (no "never awaited" warning follows the error) and nothing is started.

    :raises TypeError: an argument is neither an awaitable nor a :class:`Task`;
        the message gives its position.
    :raises InvalidStateError: an argument is a task that has already started,
        or the same task is given twice.
    """
    tasks: list[Task[Any]] = []
    append = tasks.append
    given_tasks = False
    try:
        try:
            for aw in aws:
                if isinstance(aw, Task):
                    if aw.state is not _CREATED:
                        raise _started(aw, f"{who} argument {len(tasks) + 1}")
                    given_tasks = True
                    append(aw)
                else:
                    append(Task(aw))  # type: ignore[arg-type]  # checked by Task
        except TypeError:
            position = len(tasks)
            raise _not_awaitable(aws[position], f"{who} argument {position + 1}") from None
        if given_tasks and len(set(tasks)) != len(tasks):
            seen: set[Task[Any]] = set()
            for position, task in enumerate(tasks, 1):
                if task in seen:
                    raise InvalidStateError(
                        f"{who} argument {position} is {task!r} again; "
                        "each task can be given only once"
                    )
                seen.add(task)
    except BaseException:
        close_coroutines(aws)
        for aw, task in zip(aws, tasks, strict=False):
            if task is not aw:
                task.cancel()  # closes the coroutine of a wrapped awaitable
        raise
    return tuple(tasks)


def group(who: str, errors: list[BaseException]) -> BaseExceptionGroup[BaseException]:
    """The exception group that carries *errors* out of *who*.

    It is an :class:`ExceptionGroup` when every error is an :class:`Exception`,
    else a :class:`BaseExceptionGroup` (``KeyboardInterrupt`` in a child, ...).
    """
    return BaseExceptionGroup(f"{who} failed", errors)
