"""The protocol a host implements: a clock, cancellable timers and a thread-safe call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("Host", "TimerHandle", "check_host")


@runtime_checkable
class TimerHandle(Protocol):
    """What :meth:`Host.call_later` returns: a way to take the timer back.

    ``cancel()`` is idempotent and safe to call after the timer fired; once it
    has returned, the callback never runs.
    """

    def cancel(self) -> None:
        """Take the timer back: its callback will not run. Idempotent."""
        ...


@runtime_checkable
class Host(Protocol):
    """A host of gearwork tasks: whatever loop, toolkit or game loop runs the program.

    Three methods make a host, and everything in :mod:`gearwork.adapters.timing`
    is built on them alone:

    ``now()``
        The host's monotonic clock, in seconds. Only differences are used.
    ``call_later(delay, callback)``
        Run ``callback()`` on the host's thread once *delay* seconds have passed
        on that clock (at the earliest); return a :class:`TimerHandle`. Only
        called from the host's thread. The callback may raise: what escapes
        a gearwork task goes to whoever resumed it, so the host decides.
    ``call_soon_threadsafe(callback)``
        Callable from any thread: run ``callback()`` on the host's thread
        soon, waking the host if it is blocked (never by polling).
    """

    def now(self) -> float:
        """The host's monotonic clock, in seconds."""
        ...

    def call_later(self, delay: float, callback: Callable[[], object], /) -> TimerHandle:
        """Run ``callback()`` on the host's thread after *delay* seconds; return its handle."""
        ...

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        """From any thread: run ``callback()`` on the host's thread soon, waking it."""
        ...


# Set outside the class bodies: inside, mypy would take it for a member of the protocol.
TimerHandle.__module__ = Host.__module__ = "gearwork.adapters.timing"

_METHODS = ("now", "call_later", "call_soon_threadsafe")


def check_host(host: object, who: str, /) -> Host:
    """Return *host* if it has the three methods of :class:`Host`, else raise TypeError.

    *who* names the caller in the message, such as ``"Timing()"``.

    >>> check_host(42, "Timing()")
    Traceback (most recent call last):
    ...
    TypeError: Timing() needs a Host, got int, which has no now, call_later, call_soon_threadsafe
    """
    missing = [name for name in _METHODS if not callable(getattr(host, name, None))]
    if missing:
        raise TypeError(
            f"{who} needs a Host, got {type(host).__name__}, which has no {', '.join(missing)}"
        )
    return host  # type: ignore[return-value]
