"""Nurseries, and the context managers around one background task.

How it works
------------
A :class:`_Block` is the shared machinery: a cancel scope of the parent task
around the ``async with`` block (``lowlevel.CancelScope(parent)``, entered in
``__aenter__`` and left in ``__aexit__``), and a dict of live children, each
supervised by a bound method of the block (not stored on it: no reference
cycle keeps a finished block alive). The dict maps a child to its role flags
(daemon, "closes the block when it finishes", "when it ends").

Leaving the block has two phases:

1. the block is done; wait, cancellably, until every non-daemon child has
   ended (or the nursery is closed);
2. close the nursery, cancel what is left, and wait for it under
   ``lowlevel.CancelShield(parent)``: children inside
   ``disable_cancellation()`` are waited for, never abandoned.

The parent is suspended on a registrar that does nothing; the supervisor of
the child whose end satisfies the phase resumes it. Failures are collected in
the order they happen and leave as one exception group; cancellation is never
an error.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Generator
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, final, overload

from gearwork.core import Cancelled, InvalidStateError, Task, start
from gearwork.core.lowlevel import (
    CancelScope,
    CancelShield,
    Registrar,
    Resumption,
    checkpoint_if_cancelled,
    explain_foreign_throw,
    supervise,
    supervised_task,
)

from ._common import close_coroutines, group, park, resume_at_once, to_task

if TYPE_CHECKING:
    from types import TracebackType

__all__ = (
    "Nursery",
    "move_on_when",
    "open_nursery",
    "run_as_daemon",
    "run_as_main",
    "wait_all_cm",
    "wait_any_cm",
)

T = TypeVar("T")

_CoroutineType = types.CoroutineType

# Role flags of a child (the values of _Block._children).
_MAIN = 0
_DAEMON = 1  # cancelled when only daemons are left
_CLOSE_ON_FINISH = 2  # closes the block when it finishes (wait_any_cm)
_CLOSE_ON_END = 4  # closes the block when it ends in any way (run_as_main)

# What the parent waits for, suspended in __aexit__.
_NOT_WAITING = 0
_WAITING_FOR_MAIN = 1  # phase 1: the non-daemon children, cancellably
_WAITING_FOR_ALL = 2  # phase 2: every child, shielded


class _Block:
    """A with-block of the parent task plus the children it supervises.

    ``_waiting`` says what the parent waits for while it is suspended in
    ``__aexit__``. It is set by the parent right before each suspension and
    cleared by whoever resumes it, so the parent is resumed once per wait.
    """

    __slots__ = (
        "_children",
        "_closed",
        "_ended",
        "_errors",
        "_exiting",
        "_n_main",
        "_parent",
        "_scope",
        "_waiting",
    )

    _who: ClassVar[str]
    _parent: Task[Any]
    _scope: CancelScope

    def __init__(self) -> None:
        self._children: dict[Task[Any], int] = {}
        self._n_main = 0
        self._closed = True  # until entered
        self._exiting = False
        self._ended = False
        self._errors: list[BaseException] | None = None
        self._waiting = _NOT_WAITING

    # -- children ------------------------------------------------------------------

    def _child_ended(self, task: Task[Any], /) -> None:
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:
        errors = self._errors
        if errors is None:
            self._errors = [exc]
        else:
            errors.append(exc)
        self._close()

    def _resume_if_done(self) -> None:
        """Resume the parent if what it waits for in ``__aexit__`` has happened."""
        waiting = self._waiting
        if waiting and not (
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._closed
        ):
            self._waiting = _NOT_WAITING
            self._parent.step()

    def _cancel_children(self) -> None:
        for task in list(self._children):
            task.cancel()

    def _close(self) -> None:
        """Cancel the block and every child; accept no new child."""
        if self._closed:
            return
        self._closed = True
        if self._children:
            self._cancel_children()
        if not self._exiting:
            self._scope.cancel()  # may resume the parent at once, with Cancelled
        self._resume_if_done()

    def _abandon(self) -> None:
        """The parent's coroutine is being closed: cancel everything, never resume it."""
        self._closed = True
        self._waiting = _NOT_WAITING
        for task in list(self._children):
            task.cancel()

    # -- the block -----------------------------------------------------------------

    def _entered(self) -> Any:
        """What ``async with`` gives once the block has been set up."""
        raise NotImplementedError

    def _never_entered(self) -> None:
        """Another event loop drove ``async with``: the block will never run."""

    @types.coroutine
    def _enter(self) -> Generator[Registrar, Resumption, Any]:
        if hasattr(self, "_scope"):
            raise InvalidStateError(f"{self._who} can be entered only once")
        try:
            parent: Task[Any] = (yield resume_at_once)[0][0]
        except BaseException as exc:
            if explain_foreign_throw(exc, f"gearwork.nursery.{self._who}"):
                self._never_entered()
            raise
        self._parent = parent
        scope = self._scope = CancelScope(parent)
        scope.__enter__()
        self._closed = False
        return self._entered()

    @types.coroutine
    def _exit(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Generator[Registrar, Resumption, bool]:
        """Leave the block that ended with *exc*; the result is ``__aexit__``'s."""
        self._exiting = True
        body_exc = exc
        if exc is None and self._n_main and not self._closed:
            # Phase 1: the block is done; wait for the non-daemon children.
            try:
                while self._n_main and not self._closed:
                    self._waiting = _WAITING_FOR_MAIN
                    yield park
            except BaseException as e:  # cancelled, closed by Python, or thrown in
                exc = e
            finally:
                self._waiting = _NOT_WAITING
        if exc is not None:
            if isinstance(exc, GeneratorExit):
                self._abandon()
                self._ended = True
                self._scope.__exit__(type(exc), exc, exc.__traceback__)
                if exc is body_exc:
                    return False
                raise exc
            if not isinstance(exc, Cancelled):
                self._failed(exc)
            else:
                self._close()
        elif not self._closed:
            # Only daemon children are left, if any: they are cancelled.
            self._closed = True
            if self._children:
                self._cancel_children()
        if self._children:
            # Phase 2: wait, shielded, for the children that are still unwinding.
            shield = CancelShield(self._parent)
            shield.__enter__()
            try:
                while self._children:
                    self._waiting = _WAITING_FOR_ALL
                    try:
                        yield park
                    except GeneratorExit as e:
                        self._abandon()
                        self._ended = True
                        self._scope.__exit__(GeneratorExit, e, e.__traceback__)
                        raise
                    except BaseException as e:  # thrown in while waiting
                        if not isinstance(e, Cancelled):
                            self._failed(e)
            finally:
                self._waiting = _NOT_WAITING
                try:
                    shield.__exit__(None, None, None)
                except Cancelled as e:  # the parent's own, held back by the shield
                    if exc is None:
                        exc = e
            if exc is None:
                # A cancellation that came in meanwhile is normally raised by
                # leaving the shield; some versions of gearwork-core skip that
                # when the task was resumed from inside an ``except`` block (as
                # supervisors were run): make sure it is delivered here.
                try:
                    yield from checkpoint_if_cancelled()
                except Cancelled as e:
                    exc = e
        self._ended = True
        scope = self._scope
        errors = self._errors
        if exc is None:
            scope.__exit__(None, None, None)
            if errors is not None:
                raise group(self._who, errors)
            return False
        caught = scope.__exit__(type(exc), exc, exc.__traceback__)
        if errors is not None:
            raise group(self._who, errors) from None
        if caught:
            return True
        if exc is body_exc:
            return False
        raise exc


@final
class Nursery(_Block):
    """Children that cannot outlive the ``async with`` block that started them.

    Get one from :func:`open_nursery`; do not create it directly.

    The block ends when its own code is done and every non-daemon child has
    ended; the daemon children left then are cancelled and waited for. A
    child that fails cancels the block and the other children, and the
    failures (with an exception raised in the block itself, if any) leave the
    block as one :class:`ExceptionGroup`. When the task that runs the block is
    cancelled, the block's own code is cancelled where it waits, then every
    child, and the task goes on unwinding once they have all ended.
    """

    __slots__ = ()

    __module__ = "gearwork.nursery"

    _who = "open_nursery()"

    def _child_ended(self, task: Task[Any], /) -> None:
        if not self._children.pop(task):
            self._n_main -= 1
        exc = task.exception()  # None if it finished or was cancelled
        if exc is not None:
            self._failed(exc)
        waiting = self._waiting
        if waiting and not (
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._closed
        ):
            self._waiting = _NOT_WAITING
            self._parent.step()

    @overload
    def start(self, aw: Task[T], /, *, daemon: bool = False) -> Task[T]: ...
    @overload
    def start(self, aw: Awaitable[T], /, *, daemon: bool = False) -> Task[T]: ...
    def start(self, aw: Awaitable[Any] | Task[Any], /, *, daemon: bool = False) -> Task[Any]:
        """Start *aw* as a child task now and return the task.

        The child runs until it first suspends before ``start`` returns. A
        daemon child does not keep the nursery open: when only daemons are
        left and the block is done, they are cancelled. Children may start
        siblings, from any code, while the nursery is open.

        Once the nursery is :attr:`closed` but still running (``close()`` was
        called or a child failed, and the block is being cancelled), the new
        child is cancelled before it runs and returned ``CANCELLED``: a loop
        of ``start()`` calls in the block, one of which fails at once, does
        not add an error of its own to the group.

        :raises InvalidStateError: the nursery has ended or has not been
            entered yet, or *aw* is a task that has already started. A
            coroutine refused this way is closed, so no "never awaited"
            warning follows.
        :raises TypeError: *aw* is neither an awaitable nor a Task, or
            *daemon* is not a bool.

        >>> from gearwork.core import Task, sleep_forever, start
        >>> async def main(child):
        ...     async with open_nursery() as nursery:
        ...         nursery.start(child)
        ...         nursery.start(sleep_forever(), daemon=True)
        ...     return "done"
        >>> child = Task(sleep_forever())
        >>> task = start(main(child))
        >>> task.done()   # the non-daemon child keeps the nursery open
        False
        >>> child.step()  # it finishes; the daemon is cancelled
        >>> task.result
        'done'
        """
        if daemon is not False and daemon is not True:
            close_coroutines((aw,))  # type: ignore[unreachable]  # typed bool, checked anyway
            raise TypeError(f"Nursery.start() daemon must be a bool, got {type(daemon).__name__}")
        if self._closed:
            return self._start_closed(aw)
        if type(aw) is _CoroutineType:
            task = supervised_task(aw, self._child_ended)
        else:
            task = to_task(aw, "Nursery.start() argument")
            supervise(task, self._child_ended)
        self._children[task] = daemon
        if not daemon:
            self._n_main += 1
        start(task)
        return task

    def _start_closed(self, aw: Awaitable[Any] | Task[Any]) -> Task[Any]:
        """``start()`` on a closed nursery: the child never runs."""
        if self._ended or not hasattr(self, "_scope"):
            close_coroutines((aw,))
            if self._ended:
                raise InvalidStateError("Nursery.start(): the nursery has ended")
            raise InvalidStateError(
                "Nursery.start(): enter the nursery first: `async with open_nursery() as nursery:`"
            )
        task = Task(aw) if type(aw) is _CoroutineType else to_task(aw, "Nursery.start() argument")
        task.cancel()  # not started yet: closed without running
        return task

    def close(self) -> None:
        """Cancel the block and every child as soon as possible; accept no new child.

        A suspended child or block is cancelled before ``close`` returns; one
        that is running (or inside ``disable_cancellation()``) is cancelled at
        its next suspension. The nursery still waits for every child to end.
        Its ``async with`` then ends quietly: the cancellation is not an error.
        A child started afterwards is cancelled before it runs. Calling it
        again, or after the block has ended, does nothing.

        >>> from gearwork.core import sleep_forever, start
        >>> async def main(nurseries):
        ...     async with open_nursery() as nursery:
        ...         nurseries.append(nursery)
        ...         nursery.start(sleep_forever())
        ...         await sleep_forever()
        ...     return "closed"
        >>> nurseries = []
        >>> task = start(main(nurseries))
        >>> nurseries[0].close()
        >>> task.result
        'closed'
        """
        self._close()

    @property
    def closed(self) -> bool:
        """Whether the nursery refuses new children.

        True once :meth:`close` was called, a child failed, or the block is
        ending; also before the nursery is entered.
        """
        return self._closed

    def _entered(self) -> Nursery:
        return self

    if TYPE_CHECKING:

        async def __aenter__(self) -> Nursery: ...
        async def __aexit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> bool: ...

    else:
        # Generator-based coroutines: ``async with`` drives them directly,
        # without an extra coroutine frame per enter and exit.
        __aenter__ = _Block._enter
        __aexit__ = _Block._exit


def open_nursery() -> AbstractAsyncContextManager[Nursery]:
    """Open a :class:`Nursery` with ``async with open_nursery() as nursery:``.

    :meth:`Nursery.start` starts children; the block ends once its own code is
    done and every non-daemon child has ended (daemon children are then
    cancelled). A failing child or an exception raised in the block cancels
    everything, and all the failures leave as one :class:`ExceptionGroup`
    (:class:`BaseExceptionGroup` if one is not an :class:`Exception`),
    tracebacks intact, each exactly once. :class:`~gearwork.core.Cancelled` is
    never part of it: if the task running the block is cancelled and nothing
    failed, ``Cancelled`` propagates.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(a, b):
    ...     async with open_nursery() as nursery:
    ...         nursery.start(a)
    ...         nursery.start(b)
    ...     return a.result, b.state.name
    >>> a, b = Task(sleep_forever()), Task(sleep_forever())
    >>> task = start(main(a, b))
    >>> a.step("a")
    >>> task.done()
    False
    >>> b.cancel()  # a cancelled child is not an error
    >>> task.result
    ((('a',), {}), 'CANCELLED')
    """
    return Nursery()


class _Background(_Block, Generic[T]):
    """The context managers around one background task; its role flags decide the rules."""

    __slots__ = ("_task",)

    _flags: ClassVar[int]

    def __init__(self, aw: Awaitable[T] | Task[T]) -> None:
        super().__init__()
        self._task: Task[T] = to_task(aw, f"{self._who} argument")

    def _child_ended(self, task: Task[Any], /) -> None:
        flags = self._children.pop(task)
        if not flags & _DAEMON:
            self._n_main -= 1
        if task.finished:
            if flags & (_CLOSE_ON_FINISH | _CLOSE_ON_END):
                self._close()
        else:
            exc = task.exception()
            if exc is not None:
                self._failed(exc)
            elif flags & _CLOSE_ON_END:
                self._close()
        waiting = self._waiting
        if waiting and not (
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._closed
        ):
            self._waiting = _NOT_WAITING
            self._parent.step()

    def _never_entered(self) -> None:
        self._task.cancel()  # it will never run: end it, and close its coroutine

    def _entered(self) -> Task[T]:
        task = self._task
        supervise(task, self._child_ended)
        flags = self._children[task] = self._flags
        if not flags & _DAEMON:
            self._n_main += 1
        start(task)
        return task

    if TYPE_CHECKING:

        async def __aenter__(self) -> Task[T]: ...
        async def __aexit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> bool: ...

    else:
        __aenter__ = _Block._enter
        __aexit__ = _Block._exit


@final
class _WaitAllCM(_Background[T]):
    __slots__ = ()
    _who = "wait_all_cm()"
    _flags = _MAIN


@final
class _WaitAnyCM(_Background[T]):
    __slots__ = ()
    _who = "wait_any_cm()"
    _flags = _DAEMON | _CLOSE_ON_FINISH


@final
class _RunAsMain(_Background[T]):
    __slots__ = ()
    _who = "run_as_main()"
    _flags = _MAIN | _CLOSE_ON_END


@final
class _RunAsDaemon(_Background[T]):
    __slots__ = ()
    _who = "run_as_daemon()"
    _flags = _DAEMON


def wait_all_cm(aw: Awaitable[T] | Task[T], /) -> AbstractAsyncContextManager[Task[T]]:
    """Run *aw* in the background of the block; leave the block once both have ended.

    The form of :func:`~gearwork.nursery.wait_all` with a block: the
    background task starts when the block is entered; when the block's code
    is done, it waits for the task. A failure of either cancels the other and
    leaves as an :class:`ExceptionGroup`. Gives the background
    :class:`~gearwork.core.Task`.

    :raises TypeError: *aw* is neither an awaitable nor a Task.
    :raises InvalidStateError: *aw* is a task that has already started.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(bg):
    ...     async with wait_all_cm(bg) as task:
    ...         pass          # the block is done at once ...
    ...     return task.result  # ... but waits for the background task
    >>> bg = Task(sleep_forever())
    >>> task = start(main(bg))
    >>> bg.step("bg")
    >>> task.result
    (('bg',), {})
    """
    return _WaitAllCM(aw)


def wait_any_cm(aw: Awaitable[T] | Task[T], /) -> AbstractAsyncContextManager[Task[T]]:
    """Race *aw* against the block: whichever finishes first cancels the other.

    The form of :func:`~gearwork.nursery.wait_any` with a block (trio-util's
    ``move_on_when``): when the background task *finishes*, the block is
    cancelled and execution moves on after it, quietly; when the block's
    code is done first, the background task is cancelled (and waited for). A
    background task cancelled by someone else does not end the block. A
    failure of either cancels the other and leaves as an
    :class:`ExceptionGroup`. Gives the background :class:`~gearwork.core.Task`.

    :raises TypeError: *aw* is neither an awaitable nor a Task.
    :raises InvalidStateError: *aw* is a task that has already started.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(bg):
    ...     async with wait_any_cm(bg):
    ...         await sleep_forever()  # cancelled when bg finishes
    ...     return "moved on"
    >>> bg = Task(sleep_forever())
    >>> task = start(main(bg))
    >>> bg.step()
    >>> task.result
    'moved on'
    """
    return _WaitAnyCM(aw)


move_on_when = wait_any_cm
"""Another name of :func:`wait_any_cm`, as trio-util calls it."""


def run_as_main(aw: Awaitable[T] | Task[T], /) -> AbstractAsyncContextManager[Task[T]]:
    """Run *aw* as the main work: the block lasts as long as the task, no longer.

    When the background task ends, finished or cancelled, the block is
    cancelled and execution moves on after it, quietly. When the block's
    code is done first, the ``async with`` waits for the task. A failure of
    either cancels the other and leaves as an :class:`ExceptionGroup`. Gives
    the background :class:`~gearwork.core.Task`.

    :raises TypeError: *aw* is neither an awaitable nor a Task.
    :raises InvalidStateError: *aw* is a task that has already started.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(bg):
    ...     async with run_as_main(bg):
    ...         await sleep_forever()  # e.g. an animation while bg works
    ...     return "bg is done"
    >>> bg = Task(sleep_forever())
    >>> task = start(main(bg))
    >>> bg.step()
    >>> task.result
    'bg is done'
    """
    return _RunAsMain(aw)


def run_as_daemon(aw: Awaitable[T] | Task[T], /) -> AbstractAsyncContextManager[Task[T]]:
    """Run *aw* in the background while the block runs; cancel it when the block ends.

    The block is the main work: when its code is done (or fails), the
    background task is cancelled and waited for. The task finishing first
    changes nothing for the block; it failing cancels the block, and the
    failures leave as an :class:`ExceptionGroup`. Gives the background
    :class:`~gearwork.core.Task`.

    :raises TypeError: *aw* is neither an awaitable nor a Task.
    :raises InvalidStateError: *aw* is a task that has already started.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> async def main(bg):
    ...     async with run_as_daemon(bg) as task:
    ...         pass
    ...     return task.state.name
    >>> start(main(Task(sleep_forever()))).result
    'CANCELLED'
    """
    return _RunAsDaemon(aw)


# Nursery.__module__ is the public "gearwork.nursery", so doctest's finder does
# not look into its methods from this module: list their examples explicitly.
__test__ = {"Nursery.start": Nursery.start, "Nursery.close": Nursery.close}
