"""``sleep`` and ``sleep_until`` on any :class:`Host`."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

from gearwork.core import Cancelled
from gearwork.core.lowlevel import explain_foreign_throw

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from gearwork.core import Task
    from gearwork.core.lowlevel import Registrar, Resumption

    from ._protocol import Host, TimerHandle

__all__ = ("check_seconds", "sleep", "sleep_until")


def check_seconds(seconds: float, who: str, /) -> None:
    """Raise a clear error unless *seconds* is a number >= 0 (NaN is refused)."""
    try:
        if seconds >= 0:
            return
    except TypeError:
        pass
    else:
        raise ValueError(f"{who} needs a number of seconds >= 0, got {seconds!r}")
    raise TypeError(f"{who} needs a number of seconds, got {type(seconds).__name__}")


def call_later_of(host: Host, who: str, /) -> Callable[[float, Callable[[], object]], TimerHandle]:
    """``host.call_later``, or a TypeError naming *who* if *host* has none."""
    try:
        return host.call_later
    except AttributeError:
        raise TypeError(
            f"{who} needs a Host (with now(), call_later() and call_soon_threadsafe()) "
            f"first, got {type(host).__name__}"
        ) from None


class _Sleeper:
    """The registrar of one sleep: arms the host's timer for the task it is given."""

    __slots__ = ("call_later", "delay", "handle", "task")

    def __init__(
        self, call_later: Callable[[float, Callable[[], object]], TimerHandle], delay: float
    ) -> None:
        self.call_later = call_later
        self.delay = delay
        self.handle: TimerHandle | None = None
        self.task: Task[Any] | None = None

    def __call__(self, task: Task[Any]) -> None:
        self.task = task
        self.handle = self.call_later(self.delay, self.fire)

    def fire(self) -> None:
        task = self.task
        if task is not None:
            self.task = None
            task.step()

    def disarm(self) -> None:
        """Take the timer back, unless it fired (called when the sleep ends otherwise)."""
        if self.task is not None:
            self.task = None
            handle = self.handle
            if handle is not None:
                handle.cancel()


_Sleeper.__call__.__qualname__ = (
    "gearwork.adapters.timing.sleep() was awaited outside a gearwork task "
    "(start the awaiting coroutine with gearwork.core.start)"
)


@types.coroutine
def _sleep(
    call_later: Callable[[float, Callable[[], object]], TimerHandle], delay: float
) -> Generator[Registrar, Resumption, None]:
    sleeper = _Sleeper(call_later, delay)
    try:
        yield sleeper
    except GeneratorExit:
        raise  # garbage-collected while asleep: the timer only holds the sleeper
    except Cancelled:
        sleeper.disarm()
        raise
    except BaseException as exc:
        if not explain_foreign_throw(exc, "gearwork.adapters.timing.sleep()"):
            sleeper.disarm()
        raise
    if sleeper.task is not None:
        sleeper.disarm()  # someone else stepped the task: the timer must not step it again


def sleep(host: Host, seconds: float, /) -> Awaitable[None]:
    """Suspend the current task for *seconds* on *host*'s clock: ``await sleep(host, 0.5)``.

    The task is resumed by the host's timer, inside the host's callback. If the
    task is cancelled (or resumed by anything else) before that, the timer is
    cancelled at once: nothing is left behind in the host. ``sleep(host, 0)``
    still waits for the host to call back.

    :raises TypeError: *seconds* is not a number, or *host* has no ``call_later``.
    :raises ValueError: *seconds* is negative or NaN.

    >>> from gearwork.core import start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> async def main():
    ...     await sleep(clock, 2)
    ...     return clock.time
    >>> task = start(main())
    >>> clock.tick(1.5)
    >>> task.done()
    False
    >>> clock.tick(1.0)
    >>> task.result
    2.5
    """
    check_seconds(seconds, "sleep()")
    return _sleep(call_later_of(host, "sleep()"), seconds)


def sleep_until(host: Host, deadline: float, /) -> Awaitable[None]:
    """Suspend the current task until ``host.now() >= deadline``; see :func:`sleep`.

    A deadline in the past still waits for the host to call back once.

    :raises TypeError: *deadline* is not a number, or *host* is not a Host.
    :raises ValueError: *deadline* is NaN.
    """
    try:
        delay = deadline - host.now()
    except AttributeError:
        raise TypeError(f"sleep_until() needs a Host, got {type(host).__name__}") from None
    except TypeError:
        raise TypeError(
            f"sleep_until() needs a deadline in seconds, got {type(deadline).__name__}"
        ) from None
    if delay != delay:
        raise ValueError(f"sleep_until() needs a deadline that is a number, got {deadline!r}")
    return _sleep(call_later_of(host, "sleep_until()"), delay if delay > 0 else 0.0)
