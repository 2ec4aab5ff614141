"""Awaiting across the gearwork/trio border, in both directions."""

from __future__ import annotations

import contextvars
import types
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

import outcome
import trio

from gearwork.core import Cancelled, Task, start
from gearwork.core.lowlevel import Registrar, Resumption, explain_foreign_throw

__all__ = ("TRIO_SIDE_CANCELLED", "from_trio", "to_trio")

T = TypeVar("T")

TRIO_SIDE_CANCELLED = "the trio side was cancelled"


class _TrioCall:
    """One trio task run for one gearwork task (:func:`from_trio`)."""

    __slots__ = ("abandoned", "outcome", "scope", "task")

    def __init__(self) -> None:
        self.task: Task[Any] | None = None
        self.outcome: outcome.Outcome[Any] | None = None
        self.scope: trio.CancelScope | None = None
        self.abandoned = False

    def register(self, task: Task[Any]) -> None:
        if self.outcome is not None:
            task.step()
        else:
            self.task = task

    def _deliver(self, result: outcome.Outcome[Any]) -> None:
        self.outcome = result
        task = self.task
        if task is not None:
            self.task = None
            task.step()

    async def run(self, async_fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        try:
            with trio.CancelScope() as scope:
                self.scope = scope
                if self.abandoned:
                    scope.cancel()
                result = await async_fn(*args)
        except trio.Cancelled:
            # Cancelled from outside (the run is ending): tell the gearwork side, go on unwinding.
            if not self.abandoned:
                self._deliver(outcome.Error(Cancelled(TRIO_SIDE_CANCELLED)))
            raise
        except BaseException as e:  # handed over to the gearwork side, which raises it
            if not self.abandoned:
                self._deliver(outcome.Error(e))
            return
        if self.abandoned:
            return
        if scope.cancelled_caught:
            self._deliver(outcome.Error(Cancelled(TRIO_SIDE_CANCELLED)))
        else:
            self._deliver(outcome.Value(result))

    def abandon(self) -> None:
        self.abandoned = True
        self.task = None
        if self.scope is not None:
            self.scope.cancel()


@types.coroutine
def from_trio(
    async_fn: Callable[..., Awaitable[T]], /, *args: Any
) -> Generator[Registrar, Resumption, T]:
    """Inside a gearwork task in a trio run, run ``async_fn(*args)`` as a trio task; its result.

    The trio task is a system task of the run (trio's service nursery) with
    a copy of the caller's context. The gearwork task is resumed from it,
    synchronously, with the function's result, or its exception raised at
    this ``await``. The gearwork task must run on trio's thread (started by
    trio code, or resumed by trio, a :class:`TrioHost` timer or another
    bridge).

    Cancelling the gearwork task cancels the trio task at once (its cancel
    scope); the gearwork task does not wait for it to unwind and drops what
    it returns. If the trio side is cancelled by trio itself (the run is
    ending), :class:`~gearwork.core.Cancelled` is raised at this ``await``.
    An exception that then escapes a root gearwork task is raised inside
    trio's system task, which ends the run with ``TrioInternalError``: give
    such tasks an exception handler.

    :raises RuntimeError: not inside a trio run.
    :raises TypeError: *async_fn* is not callable (for example a coroutine
        object was passed instead of the function).
    """
    if not callable(async_fn):
        raise TypeError(
            f"from_trio() needs an async function and its arguments, got "
            f"{type(async_fn).__name__}; pass from_trio(fn, *args), not from_trio(fn(*args))"
        )
    call = _TrioCall()
    try:
        trio.lowlevel.spawn_system_task(
            call.run, async_fn, args, context=contextvars.copy_context()
        )
    except RuntimeError:
        raise RuntimeError(
            "from_trio() needs a running trio run: await it in a gearwork task that runs "
            "on trio's thread, inside trio.run() or a trio guest run"
        ) from None
    try:
        yield call.register
    except GeneratorExit:
        raise  # garbage-collected: see gearwork.core.lowlevel
    except BaseException as exc:
        if not explain_foreign_throw(exc, "from_trio()"):
            call.abandon()
        raise
    assert call.outcome is not None
    result: T = call.outcome.unwrap()
    return result


class _TrioWaiter:
    """A trio task waiting for a gearwork task (:func:`to_trio`)."""

    __slots__ = ("outcome", "token", "trio_task")

    def __init__(self) -> None:
        self.trio_task: trio.lowlevel.Task | None = None
        self.outcome: outcome.Outcome[Any] | None = None
        self.token = trio.lowlevel.current_trio_token()

    def deliver(self, result: outcome.Outcome[Any]) -> None:
        self.outcome = result
        trio_task = self.trio_task
        if trio_task is None:
            return
        self.trio_task = None
        try:
            trio.lowlevel.reschedule(trio_task, result)
        except RuntimeError:  # resumed by a host outside trio's ticks (guest mode)
            self.token.run_sync_soon(trio.lowlevel.reschedule, trio_task, result)


async def _relay(aw: Awaitable[Any], waiter: _TrioWaiter) -> None:
    try:
        result = await aw
    except Cancelled as e:
        waiter.deliver(outcome.Error(e))
        raise
    except BaseException as e:  # handed over to the trio side, which raises it
        waiter.deliver(outcome.Error(e))
        return
    waiter.deliver(outcome.Value(result))


async def to_trio(task_or_aw: Task[T] | Awaitable[T], /) -> T:
    """Inside trio code, wait for a gearwork task or a gearwork awaitable; its result.

    An awaitable that is not a task is started at once, in a gearwork task
    of its own, on trio's thread. The trio task is rescheduled as soon as
    the gearwork task ends, with its result or its exception; a failure goes
    to the trio side only (the bridge awaits the task).

    Cancellation crosses both ways: when the trio task is cancelled while it
    waits, the gearwork task is cancelled (before trio raises
    :class:`trio.Cancelled`), and a gearwork task that ends cancelled raises
    :class:`gearwork.core.Cancelled` here (trio's own ``Cancelled`` cannot be
    raised by hand).

    :raises TypeError: *task_or_aw* is not awaitable.

    >>> import trio
    >>> from gearwork.core import sleep_forever
    >>> async def gearwork_side():
    ...     (value,), _ = await sleep_forever()
    ...     return value * 2
    >>> async def main():
    ...     task = start(gearwork_side())
    ...     trio.lowlevel.current_trio_token().run_sync_soon(task.step, 21)
    ...     return await to_trio(task)
    >>> trio.run(main)
    42
    """
    waiter = _TrioWaiter()
    if isinstance(task_or_aw, Task):
        targets: tuple[Task[Any], ...] = (task_or_aw, start(_relay(task_or_aw, waiter)))
    elif isinstance(task_or_aw, Awaitable):
        targets = (start(_relay(task_or_aw, waiter)),)
    else:
        raise TypeError(
            f"to_trio() needs a gearwork Task or awaitable, got {type(task_or_aw).__name__}"
        )
    if waiter.outcome is None:
        waiter.trio_task = trio.lowlevel.current_task()

        def abort(raise_cancel: Any) -> trio.lowlevel.Abort:
            waiter.trio_task = None
            for task in targets:
                task.cancel()
            return trio.lowlevel.Abort.SUCCEEDED

        result: T = await trio.lowlevel.wait_task_rescheduled(abort)
        return result
    await trio.lowlevel.cancel_shielded_checkpoint()
    done: T = waiter.outcome.unwrap()
    return done
