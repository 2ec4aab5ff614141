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
from gearwork.core.lowlevel import explain_not_awaitable

__all__ = (
    "close_coroutines",
    "group",
    "not_awaitable",
    "park",
    "refused",
    "resume_at_once",
    "to_task",
    "to_tasks",
)

_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType
_CREATED = TaskState.CREATED


def park(task: Task[Any], /) -> None:
    """Registrar that leaves the task suspended; its supervisor resumes it."""


def resume_at_once(task: Task[Any], /) -> None:
    """Registrar that resumes the task at once with itself: learns who is running."""
    task.step(task)


def not_awaitable(aw: object, where: str) -> TypeError:
    hint = explain_not_awaitable(aw)
    return TypeError(f"{where} must be an awaitable or a Task, got {type(aw).__name__}{hint}")


def _started(task: Task[Any], where: str) -> InvalidStateError:
    return InvalidStateError(
        f"{where} is {task!r}, which has already started; a task can be started only once"
    )


def refused(exc: InvalidStateError, where: str) -> InvalidStateError:
    """*exc*, raised by gearwork-core about a coroutine it refused, reworded for *where*.

    Core names its own call (``"start(): the coroutine job() has already
    begun running; ..."``); the user called *where*, so that is what the
    message names.
    """
    message = str(exc)
    call, sep, reason = message.partition("(): ")
    if sep and call.isidentifier():
        message = reason
    return InvalidStateError(f"{where}: {message}")


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
        raise not_awaitable(aw, where) from None
    except InvalidStateError as exc:  # a coroutine that another task drives
        raise refused(exc, where) from None


def close_coroutines(aws: tuple[object, ...]) -> None:
    """Close the coroutines among *aws*, so that a call that refused them leaves no warning.

    Only coroutines that have not begun running are closed: one that has
    begun belongs to whoever drives it (another task), and stays untouched.
    """
    for aw in aws:
        kind = type(aw)
        if kind is _CoroutineType:
            if aw.cr_await is None and not aw.cr_running:  # type: ignore[attr-defined]
                aw.close()  # type: ignore[attr-defined]
        elif kind is _GeneratorType:
            gen: Any = aw
            frame = gen.gi_frame
            # gi_suspended is new in 3.11; before, a generator that has not run has f_lasti -1.
            if (
                frame is not None
                and not gen.gi_running
                and not getattr(gen, "gi_suspended", frame.f_lasti != -1)
            ):
                gen.close()


def to_tasks(aws: tuple[object, ...], who: str, first: int = 1) -> tuple[Task[Any], ...]:
    """Turn every argument of *who* into a task that has not started.

    *first* is the position of ``aws[0]`` among the arguments, for messages.

    All or nothing: when one argument is bad, the coroutines given are closed
    (no "never awaited" warning follows the error) and nothing is started.

    :raises TypeError: an argument is neither an awaitable nor a :class:`Task`;
        the message gives its position.
    :raises InvalidStateError: an argument is a task that has already started
        or a coroutine that another task drives, or the same task or
        coroutine is given twice.
    """
    tasks: list[Task[Any]] = []
    append = tasks.append
    try:
        try:
            for aw in aws:
                if isinstance(aw, Task):
                    if aw.state is not _CREATED:
                        raise _started(aw, f"{who} argument {len(tasks) + first}")
                    append(aw)
                else:
                    append(Task(aw))  # type: ignore[arg-type]  # checked by Task
        except TypeError:
            position = len(tasks)
            raise not_awaitable(aws[position], f"{who} argument {position + first}") from None
        except InvalidStateError as exc:  # a coroutine that another task drives
            raise refused(exc, f"{who} argument {len(tasks) + first}") from None
        if len({id(aw) for aw in aws}) != len(aws):
            seen: set[int] = set()
            for position, (aw, task) in enumerate(zip(aws, tasks, strict=True), first):
                if id(aw) in seen:
                    again = f"{task!r}" if aw is task else "the same coroutine object"
                    raise InvalidStateError(
                        f"{who} argument {position} is {again} again; "
                        "each task or coroutine can be given only once"
                    )
                seen.add(id(aw))
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
