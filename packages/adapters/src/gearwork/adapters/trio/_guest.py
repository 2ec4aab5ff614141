"""trio in guest mode on any gearwork host."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import outcome
import trio

import gearwork.sync as gws
from gearwork.core import Cancelled, disable_cancellation

__all__ = ("GuestHost", "run_trio_guest", "start_guest_run")

T = TypeVar("T")


class GuestHost(Protocol):
    """What trio's guest mode needs of a host: the thread-safe call of the time protocol.

    Every :class:`gearwork.adapters.timing.Host` is one.
    """

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """Run *callback* on the host's thread soon; callable from any thread."""


GuestHost.__module__ = "gearwork.adapters.trio"


def start_guest_run(
    host: GuestHost,
    async_fn: Callable[..., Awaitable[T]],
    /,
    *args: Any,
    done_callback: Callable[[outcome.Outcome[T]], object],
    **trio_kwargs: Any,
) -> None:
    """Start ``trio`` running ``async_fn(*args)`` as a guest of a gearwork *host*.

    trio's :func:`trio.lowlevel.start_guest_run` with the host's
    ``call_soon_threadsafe`` as the way back onto the host's thread: trio
    waits for I/O in a thread of its own and hands each of its ticks to the
    host, so trio code and the host's gearwork tasks run on one thread.
    ``done_callback(outcome)`` runs on the host when the trio run has ended.

    The host must keep running until ``done_callback`` has been called: to
    stop early, cancel the trio side (for example a cancel scope around the
    body of *async_fn*) and keep the host alive until then, otherwise trio
    warns that the guest run got abandoned. :func:`run_trio_guest` does all
    that for a gearwork task. Other keyword arguments go to trio (``clock``,
    ``instruments``, ``host_uses_signal_set_wakeup_fd``, ...).

    :raises TypeError: *trio_kwargs* tries to set ``run_sync_soon_threadsafe``.
    """
    if "run_sync_soon_threadsafe" in trio_kwargs:
        raise TypeError(
            "start_guest_run() takes the thread-safe call from the host: do not pass "
            "run_sync_soon_threadsafe"
        )
    if not callable(getattr(host, "call_soon_threadsafe", None)):
        raise TypeError(
            "start_guest_run() needs a gearwork host (with call_soon_threadsafe), got "
            f"{type(host).__name__}"
        )
    trio.lowlevel.start_guest_run(
        async_fn,
        *args,
        run_sync_soon_threadsafe=host.call_soon_threadsafe,
        done_callback=done_callback,
        **trio_kwargs,
    )


class _GuestRun:
    __slots__ = ("args", "async_fn", "cancel_requested", "finished", "scope", "token")

    def __init__(self, async_fn: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> None:
        self.async_fn = async_fn
        self.args = args
        self.cancel_requested = False
        self.scope: trio.CancelScope | None = None
        self.token: trio.lowlevel.TrioToken | None = None
        self.finished: gws.Future[outcome.Outcome[Any]] = gws.Future()

    async def main(self) -> Any:
        self.token = trio.lowlevel.current_trio_token()
        with trio.CancelScope() as scope:
            self.scope = scope
            if self.cancel_requested:
                scope.cancel()
            return await self.async_fn(*self.args)
        return None  # cancelled by the gearwork side: the caller raises Cancelled

    def cancel(self) -> None:
        self.cancel_requested = True
        token, scope = self.token, self.scope
        if token is not None and scope is not None:
            token.run_sync_soon(scope.cancel)

    def done(self, result: outcome.Outcome[Any]) -> None:
        self.finished.set_result(result)


async def run_trio_guest(
    host: GuestHost, async_fn: Callable[..., Awaitable[T]], /, *args: Any, **trio_kwargs: Any
) -> T:
    """Inside a gearwork task, run ``async_fn(*args)`` in a trio guest run on *host*; its result.

    The trio run is started with :func:`start_guest_run`; the gearwork task
    is resumed on the host when the run ends, with its result or its
    exception. Cancelling the gearwork task cancels the trio side first and
    the task then waits, shielded, until trio's ``done_callback`` has come
    (trio's required shutdown order), before :class:`~gearwork.core.Cancelled`
    goes on: the host must keep running until the task has ended. Note that
    an asyncio future from :func:`gearwork.adapters.asyncio.to_asyncio` is
    cancelled at once while the task still waits for trio; to stop the loop
    after that, first ``await to_asyncio(task)`` again, which ends when the
    task does. Keyword arguments go to trio.
    """
    run = _GuestRun(async_fn, args)
    start_guest_run(host, run.main, done_callback=run.done, **trio_kwargs)
    try:
        result = await run.finished
    except Cancelled:
        run.cancel()
        async with disable_cancellation():
            await run.finished
        raise
    value: T = result.unwrap()
    return value
