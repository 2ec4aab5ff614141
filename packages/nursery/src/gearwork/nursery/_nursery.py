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
   ended (or the block is being cancelled);
2. cancel what is left, and wait for it under
   ``lowlevel.CancelShield(parent)``: children inside
   ``disable_cancellation()`` are waited for, never abandoned.

Once the block is being cancelled (a child failed, the parent was cancelled,
``close()`` was called, or only daemons are left), a child started after
that still starts: it runs to its first suspension, then it is cancelled,
and its error, if any, is collected. Only ``close()`` and the end of the
block make ``start`` refuse. The exit of the block is a suspension point: a
cancellation of the parent still pending there is delivered
(``lowlevel.raise_if_cancelled``).

The parent is suspended on a registrar that does nothing; the supervisor of
the child whose end satisfies the phase resumes it. Failures are collected in
the order they happen and leave as one exception group; cancellation is never
an error.
"""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, final, overload

from gearwork.core import Cancelled, InvalidStateError, Task, start
from gearwork.core.lowlevel import (
    CancelScope,
    CancelShield,
    Registrar,
    Resumption,
    exception_of,
    explain_foreign_throw,
    raise_if_cancelled,
    supervise,
    supervised_task,
)

from ._common import close_coroutines, group, not_awaitable, park, refused, resume_at_once, to_task

if TYPE_CHECKING:
    from types import TracebackType

__all__ = (
    "TASK_STATUS_IGNORED",
    "Nursery",
    "TaskStatus",
    "move_on_when",
    "open_nursery",
    "run_as_daemon",
    "run_as_main",
    "wait_all_cm",
    "wait_any_cm",
)

T = TypeVar("T")

_CoroutineType = types.CoroutineType
_GeneratorType = types.GeneratorType

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
        "_cancelling",
        "_children",
        "_closed",
        "_ended",
        "_errors",
        "_exiting",
        "_n_main",
        "_on_end",
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
        # _child_ended bound once, not once per child; a cycle that the block's end breaks.
        self._on_end = self._child_ended
        self._cancelling = True  # until entered: the block and its children are cancelled
        self._closed = False  # close() was called, or the block has ended: start() refuses
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
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._cancelling
        ):
            self._waiting = _NOT_WAITING
            self._parent.step()

    def _cancel_children(self) -> None:
        for task in list(self._children):
            task.cancel()

    def _close(self) -> None:
        """Cancel the block and every child; a child started afterwards is cancelled too."""
        if self._cancelling:
            return
        self._cancelling = True
        if self._children:
            self._cancel_children()
        if not self._exiting:
            self._scope.cancel()  # may resume the parent at once, with Cancelled
        self._resume_if_done()

    def _abandon(self) -> None:
        """The parent's coroutine is being closed: cancel everything, never resume it."""
        self._cancelling = self._closed = True
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
        self._cancelling = False
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
        if exc is None and self._n_main and not self._cancelling:
            # Phase 1: the block is done; wait for the non-daemon children.
            try:
                while self._n_main and not self._cancelling:
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
        elif not self._cancelling:
            # Only daemon children are left, if any: they are cancelled.
            self._cancelling = True
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
                # A cancellation of the parent held back meanwhile stays pending.
                shield.__exit__(None, None, None)
        self._ended = self._closed = True
        del self._on_end  # start() refuses from now on; no cycle left behind
        scope = self._scope
        errors = self._errors
        if exc is None:
            scope.__exit__(None, None, None)
            if errors is not None:
                raise group(self._who, errors)
            # The exit is a suspension point: deliver a pending cancellation of the parent.
            raise_if_cancelled(self._parent)
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

    Children started while the block is being cancelled still start (and are
    then cancelled); :meth:`close`, or the end of the block, make
    :meth:`start` refuse. The block's exit is a suspension point: a pending
    cancellation of the task running it is delivered there.
    """

    __slots__ = ()

    __module__ = "gearwork.nursery"

    _who = "open_nursery()"

    def _child_ended(self, task: Task[Any], /) -> None:
        if not self._children.pop(task):
            self._n_main -= 1
        exc = exception_of(task)  # None if it finished or was cancelled
        if exc is not None:
            self._failed(exc)
        waiting = self._waiting
        if waiting and not (
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._cancelling
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
        siblings, from any code, until the block has ended.

        Start always means start: while the block is being cancelled (a
        child failed, the task running the block was cancelled, or only
        daemons are left), a new child still runs to its first suspension;
        then it is cancelled, and an error it raises is collected with the
        others.

        :raises InvalidStateError: :meth:`close` was called, the block has
            ended or has not been entered yet, or *aw* is a task that has
            already started or a coroutine that another task drives. A
            coroutine refused this way (and not driven by another task) is
            closed, so no "never awaited" warning follows.
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
        flag: object = daemon  # typed bool, checked anyway
        if flag is not False and flag is not True:
            _bad_daemon(flag, "Nursery.start()", aw)
        if self._closed or self._cancelling:
            self._refuse_if_closed(aw, "Nursery.start()")
        given: Any = aw  # checked by kind
        kind = type(given)
        if kind is _CoroutineType or kind is _GeneratorType:
            # The common cases, inlined: async def coroutines, and @types.coroutine
            # generators such as Event.wait(); a plain generator is refused by _child.
            try:
                task = supervised_task(given, self._on_end)
            except TypeError:
                task = self._child(aw, self._child_ended, "Nursery.start() argument")
        else:
            task = self._child(aw, self._child_ended, "Nursery.start() argument")
        self._children[task] = daemon
        if not daemon:
            self._n_main += 1
        try:
            start(task)
        except InvalidStateError as exc:
            # A coroutine another task drives, or one Python will not run: the task
            # has ended CANCELLED (and left the nursery) without touching it.
            raise refused(exc, "Nursery.start() argument") from None
        if self._cancelling:
            task.cancel()  # started into a block that is being cancelled: as in trio
        return task

    def _child(self, aw: object, on_end: Callable[[Task[Any]], object], where: str) -> Task[Any]:
        """A supervised task for *aw*, not started; errors name *where*."""
        if isinstance(aw, Task):
            task = to_task(aw, where)
            supervise(task, on_end)
            return task
        try:
            return supervised_task(aw, on_end)  # type: ignore[arg-type]  # checked there
        except TypeError:
            close_coroutines((aw,))
            raise not_awaitable(aw, where) from None
        except InvalidStateError as exc:  # a coroutine that another task drives
            raise refused(exc, where) from None

    def _refuse_if_closed(self, aw: object, who: str) -> None:
        """Raise why *who* cannot start *aw*, if the nursery refuses children."""
        if self._ended:
            why = "the nursery's block has ended"
        elif self._closed:
            why = "the nursery was closed with close()"
        elif not hasattr(self, "_scope"):
            why = "enter the nursery first: `async with open_nursery() as nursery:`"
        else:
            return  # being cancelled: the child starts, then it is cancelled
        close_coroutines((aw,))
        raise InvalidStateError(f"{who}: {why}")

    async def start_ready(
        self,
        async_fn: Callable[..., Awaitable[Any]],
        /,
        *args: Any,
        daemon: bool = False,
    ) -> Any:
        """Start ``async_fn(*args, task_status=status)`` as a child; wait until it is ready.

        The start-up handshake of trio's ``await nursery.start(fn)`` and of
        anyioutils' ``start_task`` + ``wait_started()``, named so as not to
        clash with the synchronous :meth:`start`. The child gets a
        :class:`TaskStatus` as its ``task_status`` keyword argument and calls
        ``task_status.started(value)`` once it is ready (a server bound to its
        port, a window shown, ...); ``start_ready`` then returns *value* and
        the child runs on as a child of the nursery. A child that reports
        ready during its own start does not make the caller wait at all.

        Until the child has reported, its ending belongs to the caller: an
        exception escaping the child is raised here (the nursery is not
        cancelled by it), and a child that returns or is cancelled without
        reporting raises :class:`RuntimeError` here. If the caller is
        cancelled while it waits, the child is cancelled as well, and what it
        raises from then on is collected by the nursery as usual.

        :raises InvalidStateError: as :meth:`start` does.
        :raises TypeError: *async_fn* did not return an awaitable, or
            *daemon* is not a bool.

        >>> from gearwork.core import sleep_forever, start
        >>> async def server(port, *, task_status=TASK_STATUS_IGNORED):
        ...     task_status.started(f"listening on {port}")  # ready
        ...     await sleep_forever()  # serves until cancelled
        >>> async def main():
        ...     async with open_nursery() as nursery:
        ...         print(await nursery.start_ready(server, 8080))
        ...         nursery.close()  # done: stop the server
        >>> task = start(main())
        listening on 8080
        >>> task.finished
        True
        """
        flag: object = daemon  # typed bool, checked anyway
        if flag is not False and flag is not True:
            _bad_daemon(flag, "Nursery.start_ready()", None)
        who = "Nursery.start_ready()"
        if self._closed or self._cancelling:
            self._refuse_if_closed(None, who)
        status: TaskStatus[Any] = TaskStatus(self)
        aw = async_fn(*args, task_status=status)
        task = self._child(aw, status._child_ended, f"the result of {who}'s async_fn")
        status._task = task
        self._children[task] = daemon
        if not daemon:
            self._n_main += 1
        start(task)
        if self._cancelling:
            task.cancel()
        return await status._ready()

    def close(self) -> None:
        """Cancel the block and every child as soon as possible; accept no new child.

        A suspended child or block is cancelled before ``close`` returns; one
        that is running (or inside ``disable_cancellation()``) is cancelled at
        its next suspension. The nursery still waits for every child to end.
        Its ``async with`` then ends quietly: the cancellation is not an error.
        :meth:`start` raises from now on. Calling it again, or after the
        block has ended, does nothing.

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
        if hasattr(self, "_scope"):
            self._closed = True
        self._close()

    @property
    def closed(self) -> bool:
        """Whether the nursery refuses new children: :meth:`close` was called, or the block ended.

        A nursery whose block is being cancelled (after a child failed, say)
        is not closed: children started then still start, and are cancelled.
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


def _bad_daemon(daemon: object, who: str, aw: object) -> None:
    """Refuse a *daemon* flag that is not a bool (typed bool, checked anyway)."""
    close_coroutines((aw,))
    raise TypeError(f"{who} daemon must be a bool, got {type(daemon).__name__}")


# The states of a TaskStatus.
_PENDING = 0  # the caller of start_ready() waits for started()
_READY = 1  # started() was called
_ENDED = 2  # the child ended before it called started()
_ABANDONED = 3  # the caller stopped waiting (it was cancelled)
_IGNORED = 4  # TASK_STATUS_IGNORED: nobody waits


@final
class TaskStatus(Generic[T]):
    """How a child started by :meth:`Nursery.start_ready` says that it is ready.

    The child receives it as its ``task_status`` keyword argument. Give that
    parameter the default :data:`TASK_STATUS_IGNORED`, so that the function
    can also be called (or started with :meth:`Nursery.start`) normally.
    """

    __slots__ = ("_nursery", "_state", "_task", "_value", "_waiter")

    __module__ = "gearwork.nursery"

    _task: Task[Any]

    def __init__(self, nursery: Nursery | None) -> None:
        self._nursery = nursery
        self._state = _PENDING if nursery is not None else _IGNORED
        self._value: T | None = None
        self._waiter: Task[Any] | None = None

    def started(self, value: T | None = None) -> None:
        """Report that the child is ready: the waiting ``start_ready()`` returns *value*.

        The caller runs on (until its next suspension) before this returns.
        Does nothing if the caller has stopped waiting, or for
        :data:`TASK_STATUS_IGNORED`.

        :raises InvalidStateError: it was called already.
        """
        state = self._state
        if state != _PENDING:
            if state == _READY:
                raise InvalidStateError("task_status.started() can be called only once")
            return
        self._value = value
        self._state = _READY
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.step()

    def _park(self, task: Task[Any]) -> None:
        self._waiter = task

    # Shown in another loop's "bad yield" error if start_ready() is awaited outside a task.
    _park.__qualname__ = "gearwork.nursery.Nursery.start_ready.<registrar>"

    def _child_ended(self, task: Task[Any], /) -> None:
        """Supervisor of the child: its caller gets an ending before started(), else the nursery."""
        nursery = self._nursery
        assert nursery is not None
        if self._state != _PENDING:
            nursery._child_ended(task)
            return
        self._state = _ENDED
        if not nursery._children.pop(task):
            nursery._n_main -= 1
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.step()
        nursery._resume_if_done()

    @types.coroutine
    def _ready(self) -> Generator[Registrar, Resumption, Any]:
        try:
            while self._state == _PENDING:
                yield self._park
        except GeneratorExit:
            raise  # garbage-collected: touch nothing
        except BaseException as exc:
            explain_foreign_throw(exc, "gearwork.nursery.Nursery.start_ready()")
            if self._state == _PENDING:
                # The caller is cancelled: so is the child, which belongs to the nursery now.
                self._state = _ABANDONED
                self._waiter = None
                self._task.cancel()
            raise
        if self._state == _READY:
            return self._value
        task = self._task
        error = exception_of(task)
        if error is not None:
            raise error
        how = "returned" if task.finished else "was cancelled"
        raise RuntimeError(f"{task!r} {how} before it called task_status.started()")

    def __repr__(self) -> str:
        state = ("waiting", "started", "ended", "abandoned", "ignored")[self._state]
        return f"<TaskStatus {state}>"


TASK_STATUS_IGNORED: TaskStatus[Any] = TaskStatus(None)
"""The default of a ``task_status`` parameter: its :meth:`~TaskStatus.started` does nothing."""


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
            exc = exception_of(task)
            if exc is not None:
                self._failed(exc)
            elif flags & _CLOSE_ON_END:
                self._close()
        waiting = self._waiting
        if waiting and not (
            self._children if waiting == _WAITING_FOR_ALL else self._n_main and not self._cancelling
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
__test__ = {
    "Nursery.start": Nursery.start,
    "Nursery.start_ready": Nursery.start_ready,
    "Nursery.close": Nursery.close,
}
