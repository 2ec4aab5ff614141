"""The Timing set as module functions, on the running trio run."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from gearwork.adapters.timing import ALL_COMPLETED, DeadlineScope, Monitor, Periodic, ReturnWhen
from gearwork.core import Task

from ._host import current_host

if TYPE_CHECKING:
    from typing_extensions import TypeVarTuple, Unpack

    Ts = TypeVarTuple("Ts")

__all__ = (
    "fail_after",
    "fail_at",
    "monitor",
    "move_on_after",
    "move_on_at",
    "now",
    "periodic",
    "run_in_thread",
    "sleep",
    "sleep_until",
    "wait",
)

T = TypeVar("T")


def now() -> float:
    """The trio run's clock (``trio.current_time()``)."""
    return current_host().now()


def sleep(seconds: float, /) -> Awaitable[None]:
    """:func:`gearwork.adapters.timing.sleep` on the running trio run."""
    return current_host().sleep(seconds)


def sleep_until(deadline: float, /) -> Awaitable[None]:
    """:func:`gearwork.adapters.timing.sleep_until` on the running trio run."""
    return current_host().sleep_until(deadline)


def move_on_after(seconds: float, /) -> DeadlineScope:
    """:func:`gearwork.adapters.timing.move_on_after` on the running trio run."""
    return current_host().move_on_after(seconds)


def move_on_at(deadline: float, /) -> DeadlineScope:
    """:func:`gearwork.adapters.timing.move_on_at` on the running trio run."""
    return current_host().move_on_at(deadline)


def fail_after(seconds: float, /) -> DeadlineScope:
    """:func:`gearwork.adapters.timing.fail_after` on the running trio run.

    :raises TimeoutError: when the deadline passes inside the block.
    """
    return current_host().fail_after(seconds)


def fail_at(deadline: float, /) -> DeadlineScope:
    """:func:`gearwork.adapters.timing.fail_at` on the running trio run.

    :raises TimeoutError: when the deadline passes inside the block.
    """
    return current_host().fail_at(deadline)


def periodic(period: float, /) -> Periodic:
    """:func:`gearwork.adapters.timing.periodic` on the running trio run."""
    return current_host().periodic(period)


def wait(
    aws: Iterable[Awaitable[T] | Task[T]],
    /,
    *,
    timeout: float | None = None,
    return_when: ReturnWhen = ALL_COMPLETED,
) -> Coroutine[Any, Any, tuple[set[Task[T]], set[Task[T]]]]:
    """:func:`gearwork.adapters.timing.wait` on the running trio run."""
    return current_host().wait(aws, timeout=timeout, return_when=return_when)


def run_in_thread(fn: Callable[[Unpack[Ts]], T], /, *args: Unpack[Ts]) -> Coroutine[Any, Any, T]:
    """:func:`gearwork.adapters.timing.run_in_thread` on the running trio run.

    The result comes back through the run's ``TrioToken``: nothing polls.
    """
    return current_host().run_in_thread(fn, *args)


def monitor(period: float = 0.01) -> Monitor:
    """A :class:`gearwork.adapters.timing.Monitor` of the running trio run."""
    return current_host().monitor(period)
