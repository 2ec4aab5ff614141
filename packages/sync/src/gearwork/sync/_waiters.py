"""Waking tasks: the one policy every primitive of gearwork.sync follows.

A primitive first takes its waiters out of its own bookkeeping (so that its
state is final and a woken task that waits again is registered afresh), then
resumes them one after the other, in the order they began waiting. Each
resumption is synchronous: the woken task runs until its next suspension
before the next one is woken.

An exception that escapes a woken root task propagates out of
``task.step()`` (that is gearwork-core's rule). The primitive does not stop
there: it wakes the remaining tasks too, and raises afterwards — the one
exception as it is, several as a :class:`BaseExceptionGroup`. Nobody is left
waiting on a wake-up that already happened, and nothing is swallowed. Only
the path with exceptions allocates anything for this (the list of errors).

Slots of waiters that were cancelled hold ``None`` (a tombstone) and are
skipped.

Clean-up on exceptions
----------------------
A waiting generator that is interrupted by cancellation (or ``throw``)
takes its task out of the primitive, so that nothing wakes it later.

The ``except`` clauses put ``Cancelled`` first and do not bind it with
``as``: binding adds an exception-cleanup step that would make every
cancellation dearer (where the clean-up is long, one unbound clause reads
the exception with ``sys.exc_info()`` instead). Any other exception goes to
``gearwork.core.lowlevel.explain_foreign_throw``: one that another event loop
threw in (asyncio's "bad yield") gets a note naming the primitive, and what
only the registrar would have done is not undone, since it never ran.

It does nothing of the sort on ``GeneratorExit``. That exception only
reaches a waiting primitive when Python closes the coroutine of a task that
is garbage, and then the primitive is garbage too (it holds the task, so a
live primitive would keep the task alive). Worse, removing the task could
drop its last reference while the garbage collector is closing an outer
layer of the same coroutine chain; the task would be freed at once, its
coroutine closed while that layer is still running, and Python would print
"coroutine already executing" as an ignored exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gearwork.core import BaseExceptionGroup

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from gearwork.core import Task

__all__ = ("raise_errors", "step", "wake_all", "wake_rest", "what")


def step(task: Task[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``task.step(*args, **kwargs)``, through the cheapest call for the arguments at hand.

    A call without arguments, or with one positional argument, is a plain
    call that the interpreter can inline; unpacking is kept for the rest.
    """
    if kwargs:
        task.step(*args, **kwargs)
    elif not args:
        task.step()
    elif len(args) == 1:
        task.step(args[0])
    else:
        task.step(*args)


def _step_each(
    tasks: Iterator[Task[Any] | None], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    # One loop per call shape, so that the per-task cost is a plain call.
    if kwargs:
        for task in tasks:
            if task is not None:
                task.step(*args, **kwargs)
    elif not args:
        for task in tasks:
            if task is not None:
                task.step()
    elif len(args) == 1:
        arg = args[0]
        for task in tasks:
            if task is not None:
                task.step(arg)
    else:
        for task in tasks:
            if task is not None:
                task.step(*args)


def wake_all(
    first: Task[Any] | None,
    tasks: Iterable[Task[Any] | None],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """Step *first*, then every task of *tasks* (``None`` is skipped), with the same arguments.

    If some of them raise, the others are still woken, and the exceptions
    are raised at the end (see the module docstring).
    """
    it = iter(tasks)
    try:
        if first is not None:
            step(first, args, kwargs)
        _step_each(it, args, kwargs)
        return
    except BaseException as exc:
        error = exc
    wake_rest(error, it, args, kwargs)


def wake_rest(
    error: BaseException,
    it: Iterator[Task[Any] | None],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """The rest of :func:`wake_all` after a woken task raised *error*: wake the others, raise.

    *it* is the iterator of the waiters, positioned after the one that raised. Call it
    outside the ``except`` clause that caught *error*.
    """
    errors = [error]
    del error
    while True:
        try:
            _step_each(it, args, kwargs)  # carries on after the task that raised
            break
        except BaseException as exc:
            errors.append(exc)
    raise_errors(errors, "several woken tasks raised")


def raise_errors(errors: list[BaseException], message: str) -> None:
    """Raise the collected *errors*: one as it is, several as a group. Does nothing if none."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise BaseExceptionGroup(message, errors)


def what(obj: object, method: str | None) -> str:
    """How a misused awaitable is named in the note that explains the misuse.

    ``what(queue, "get()")`` is ``"gearwork.sync.Queue.get()"``; without a
    method, the object itself is awaited: ``"a gearwork.sync.Future"``.
    """
    name = f"gearwork.sync.{type(obj).__name__}"
    return f"a {name}" if method is None else f"{name}.{method}"
