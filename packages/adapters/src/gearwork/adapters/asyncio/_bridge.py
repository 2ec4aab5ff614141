"""Awaiting across the gearwork/asyncio border, in both directions."""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections.abc import Awaitable, Generator
from typing import Any, TypeVar

import gearwork.sync as gws
from gearwork.core import Cancelled, InvalidStateError, Task, start
from gearwork.core.lowlevel import (
    Registrar,
    Resumption,
    exception_of,
    explain_foreign_throw,
    supervise,
    supervised_task,
)

__all__ = (
    "from_asyncio",
    "from_asyncio_future",
    "to_asyncio",
    "to_asyncio_future",
)

T = TypeVar("T")

_running_loop = asyncio._get_running_loop  # the fast form of get_running_loop(): None if none

# asyncio's own future and task classes (the C ones when available): no isfuture() call for them.
_FUTURE_TYPES = frozenset({asyncio.Future, asyncio.Task})

ASYNCIO_SIDE_CANCELLED = "the asyncio side was cancelled"


def _loop_for(loop: asyncio.AbstractEventLoop | None, who: str) -> asyncio.AbstractEventLoop:
    if loop is not None:
        if not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"{who}: loop= needs an asyncio event loop, got {type(loop).__name__}")
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            f"{who} needs an asyncio event loop and none is running in this thread: call it "
            "from code that runs inside the loop (asyncio.run(), a loop callback, a gearwork "
            "task resumed by one), or pass loop=the_loop"
        ) from None


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned future's outcome, so asyncio does not log it as never retrieved."""
    if not future.cancelled():
        future.exception()


class _Link:
    """One gearwork task waiting for one asyncio future."""

    __slots__ = ("future", "task")

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future
        self.task: Task[Any] | None = None

    def register(self, task: Task[Any]) -> None:
        self.task = task
        self.future.add_done_callback(self)

    def __call__(self, future: asyncio.Future[Any]) -> None:
        task = self.task
        if task is not None:
            self.task = None
            task.step()

    def abandon(self) -> None:
        self.task = None
        future = self.future
        future.remove_done_callback(self)
        if not future.done():
            future.cancel()
            future.add_done_callback(_consume)


def _as_future(aw: Awaitable[T], loop: asyncio.AbstractEventLoop) -> asyncio.Future[T]:
    if asyncio.isfuture(aw):
        return aw
    if asyncio.iscoroutine(aw):
        return loop.create_task(aw)
    if isinstance(aw, Task):
        raise TypeError(
            "from_asyncio() needs an asyncio awaitable, got a gearwork Task: await the task "
            "itself (`await task`) inside a gearwork task"
        )
    if not isinstance(aw, Awaitable):
        raise TypeError(
            f"from_asyncio() needs an asyncio awaitable (a coroutine, a Future, a Task), "
            f"got {type(aw).__name__}"
        )
    return asyncio.ensure_future(aw, loop=loop)


@types.coroutine
def from_asyncio(
    aw: Awaitable[T], /, *, loop: asyncio.AbstractEventLoop | None = None
) -> Generator[Registrar, Resumption, T]:
    """Inside a gearwork task, wait for an asyncio awaitable; its result, or its exception.

    A coroutine becomes an :class:`asyncio.Task` of the loop (the running
    one, or *loop*); a future is awaited as it is. The gearwork task is resumed
    from the future's done-callback, synchronously, in the same loop
    iteration in which asyncio runs that callback: no extra iteration. It must
    run on the loop's thread.

    Cancelling the gearwork task cancels the asyncio side (its task or
    future) at once; the gearwork task does not wait for it to finish
    unwinding, and whatever it ends with is dropped quietly. If the asyncio
    side ends cancelled on its own, :class:`~gearwork.core.Cancelled` is
    raised at this ``await``: the gearwork task ends cancelled unless it
    catches it.

    :raises RuntimeError: no loop is running in this thread and none was given.
    :raises TypeError: *aw* is not an asyncio awaitable.

    >>> import asyncio
    >>> from gearwork.core import start
    >>> async def add_later(a, b):
    ...     await asyncio.sleep(0)
    ...     return a + b
    >>> async def gearwork_side():
    ...     return await from_asyncio(add_later(1, 2))
    >>> async def main():
    ...     return await to_asyncio(gearwork_side())
    >>> asyncio.run(main())
    3
    """
    if type(aw) in _FUTURE_TYPES:
        future: asyncio.Future[T] = aw  # type: ignore[assignment]
    else:
        try:
            running = _loop_for(loop, "from_asyncio()")
        except BaseException:
            if asyncio.iscoroutine(aw):
                aw.close()  # refused: no "never awaited" warning on top of the error
            raise
        future = _as_future(aw, running)
    if not future.done():
        link = _Link(future)
        try:
            yield link.register
        except GeneratorExit:
            raise  # garbage-collected: see gearwork.core.lowlevel
        except BaseException as exc:
            if not explain_foreign_throw(exc, "from_asyncio()"):
                link.abandon()
            raise
    if future.cancelled():
        raise Cancelled(ASYNCIO_SIDE_CANCELLED)
    return future.result()


class _ToAsyncio:
    """Links one gearwork task to the asyncio future that :func:`to_asyncio` returned.

    It is the task's supervisor (or is called by a relay task), and the
    future's done-callback that turns the future's cancellation into the
    task's.
    """

    __slots__ = ("future", "tasks")

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future
        self.tasks: tuple[Task[Any], ...] = ()

    def on_end(self, task: Task[Any]) -> None:
        future = self.future
        if future.done():
            return
        future.remove_done_callback(self)  # no callback left to schedule: no extra handle
        if task.finished:
            future.set_result(task.result)
            return
        exc = exception_of(task)
        if exc is None:
            future.cancel()
        else:
            future.set_exception(exc)

    def __call__(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            for task in self.tasks:
                task.cancel()


async def _relay(task: Task[T], link: _ToAsyncio) -> None:
    """Await *task* (which has a supervisor of its own) and hand its end to *link*."""
    with contextlib.suppress(BaseException):  # the outcome is read from the task itself
        await task
    link.on_end(task)


def to_asyncio(
    task_or_aw: Task[T] | Awaitable[T], /, *, loop: asyncio.AbstractEventLoop | None = None
) -> asyncio.Future[T]:
    """Inside asyncio code, ``await`` a gearwork task or a gearwork awaitable.

    Returns an :class:`asyncio.Future` of the loop (the running one, or
    *loop*) that gets the task's result or exception when it ends. An
    awaitable that is not a task is started at once, in a gearwork task of
    its own, before this function returns. The future is completed
    synchronously when the gearwork task ends; asyncio then wakes whoever
    awaits it, as for any future.

    Cancellation crosses both ways: cancelling the future (which is what
    cancelling the asyncio task awaiting it does) cancels the gearwork task,
    and a gearwork task that ends cancelled cancels the future, so the
    asyncio side gets :class:`asyncio.CancelledError`. A failure of the
    gearwork task goes to the asyncio side only, not also to whoever resumed
    the task: the bridge becomes the task's supervisor
    (:func:`gearwork.core.lowlevel.supervise`), or, for a task that has one
    already (a nursery's child, which its nursery keeps supervising), awaits
    it from a small relay task. Everything runs on the loop's thread.

    :raises RuntimeError: no loop is running in this thread and none was given.
    :raises TypeError: *task_or_aw* is not awaitable.

    >>> import asyncio
    >>> from gearwork.sync import Event
    >>> ready = Event()
    >>> async def gearwork_side():
    ...     (value,), _ = await ready.wait()
    ...     return value
    >>> async def main():
    ...     asyncio.get_running_loop().call_soon(ready.fire, "fired")
    ...     return await to_asyncio(gearwork_side())
    >>> asyncio.run(main())
    'fired'
    """
    running = _running_loop() if loop is None else None
    if running is None:
        try:
            running = _loop_for(loop, "to_asyncio()")
        except BaseException:
            if asyncio.iscoroutine(task_or_aw):
                task_or_aw.close()  # refused: no "never awaited" warning on top of the error
            raise
    future: asyncio.Future[T] = running.create_future()
    link = _ToAsyncio(future)
    if isinstance(task_or_aw, Task):
        task: Task[T] = task_or_aw
        if task.done():
            link.on_end(task)
            return future
        try:
            supervise(task, link.on_end)
        except InvalidStateError:  # a nursery's child: the nursery keeps its supervision
            link.tasks = (task, start(_relay(task, link)))
        else:
            link.tasks = (task,)
    elif isinstance(task_or_aw, Awaitable):
        task = start(supervised_task(task_or_aw, link.on_end))
        link.tasks = (task,)
    else:
        raise TypeError(
            f"to_asyncio() needs a gearwork Task or awaitable, got {type(task_or_aw).__name__}"
        )
    if not future.done():
        future.add_done_callback(link)
    return future


def _copy_outcome(source: Any, target: Any) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
        return
    exc = source.exception()
    if exc is not None:
        target.set_exception(exc)
    else:
        target.set_result(source.result())


def to_asyncio_future(
    future: gws.Future[T], /, *, loop: asyncio.AbstractEventLoop | None = None
) -> asyncio.Future[T]:
    """An :class:`asyncio.Future` that mirrors a :class:`gearwork.sync.Future`.

    When the gearwork future gets a result, an exception or is cancelled, the
    asyncio future gets the same at once (synchronously). Cancelling the
    asyncio future cancels the gearwork one (when asyncio runs its
    done-callbacks). Use it on the loop's thread.

    :raises RuntimeError: no loop is running in this thread and none was given.
    :raises TypeError: *future* is not a gearwork.sync.Future.

    >>> import asyncio
    >>> from gearwork.sync import Future
    >>> async def main():
    ...     source = Future()
    ...     mirror = to_asyncio_future(source)
    ...     asyncio.get_running_loop().call_soon(source.set_result, 42)
    ...     return await mirror
    >>> asyncio.run(main())
    42
    """
    if not isinstance(future, gws.Future):
        raise TypeError(
            f"to_asyncio_future() needs a gearwork.sync.Future, got {type(future).__name__}"
        )
    mirror: asyncio.Future[T] = _loop_for(loop, "to_asyncio_future()").create_future()
    if future.done():
        _copy_outcome(future, mirror)
        return mirror
    future.add_done_callback(lambda source: _copy_outcome(source, mirror))
    mirror.add_done_callback(lambda m: future.cancel() if m.cancelled() else None)
    return mirror


def from_asyncio_future(future: asyncio.Future[T], /) -> gws.Future[T]:
    """A :class:`gearwork.sync.Future` that mirrors an :class:`asyncio.Future`.

    The gearwork future gets the asyncio future's result, exception or
    cancellation when asyncio runs the future's done-callbacks (the
    iteration after it completes, as for every asyncio callback); gearwork
    tasks awaiting it are resumed right there. Cancelling the gearwork future
    cancels the asyncio one at once. Use it on the loop's thread.

    :raises TypeError: *future* is not an asyncio future.

    >>> import asyncio
    >>> from gearwork.core import start
    >>> async def main():
    ...     source = asyncio.get_running_loop().create_future()
    ...     mirror = from_asyncio_future(source)
    ...     async def waiter():
    ...         return await mirror
    ...     task = start(waiter())
    ...     source.set_result("done")
    ...     await asyncio.sleep(0)
    ...     return task.result
    >>> asyncio.run(main())
    'done'
    """
    if not asyncio.isfuture(future):
        raise TypeError(
            f"from_asyncio_future() needs an asyncio Future, got {type(future).__name__}"
        )
    mirror: gws.Future[T] = gws.Future()
    if future.done():
        _copy_outcome(future, mirror)
        return mirror
    future.add_done_callback(lambda source: _copy_outcome(source, mirror))
    mirror.add_done_callback(lambda m: future.cancel() if m.cancelled() else None)
    return mirror
