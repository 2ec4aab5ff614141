"""Timeouts: ``move_on_after``/``move_on_at`` and ``fail_after``/``fail_at``, movable deadlines."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, final

from gearwork.core import InvalidStateError
from gearwork.core.lowlevel import CancelScope

from ._sleep import check_seconds

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self

    from ._protocol import Host, TimerHandle

__all__ = ("DeadlineScope", "fail_after", "fail_at", "move_on_after", "move_on_at")


@final
class DeadlineScope:
    """A block that is cancelled when its host's clock reaches :attr:`deadline`.

    Made by :func:`move_on_after`, :func:`move_on_at`, :func:`fail_after` and
    :func:`fail_at`; enter it with ``async with``. When the deadline passes,
    the host's timer cancels the block (at once if the task is suspended,
    else at its next suspension); the block's :class:`~gearwork.core.Cancelled`
    is caught on exit and the task carries on after it, or, for the
    ``fail_*`` forms, :class:`TimeoutError` is raised from the ``async with``.
    A cancellation from outside passes through untouched.

    :attr:`deadline` can be read and assigned at any time, also inside the
    block: assigning cancels the host's timer and arms a new one (a deadline
    already in the past cancels the block now; ``math.inf`` means never).
    :meth:`cancel` cancels the block by hand (that is not a time-out).
    The host's timer is cancelled when the block is left.

    A scope can be entered once.
    """

    __slots__ = (
        "_deadline",
        "_entered",
        "_expired",
        "_fail",
        "_handle",
        "_host",
        "_relative",
        "_scope",
    )

    __module__ = "gearwork.adapters.timing"

    def __init__(self, host: Host, deadline: float, relative: float | None, fail: bool) -> None:
        self._host = host
        self._deadline = deadline
        self._relative = relative  # move_on_after(): counted from entering the block
        self._fail = fail
        self._handle: TimerHandle | None = None
        self._expired = False
        self._entered = False
        self._scope = CancelScope()  # bound to the running task when entered

    @property
    def deadline(self) -> float:
        """The time on the host's clock at which the block is cancelled (``inf``: never).

        For :func:`move_on_after` and :func:`fail_after` it is counted from
        the moment the block is entered; read before that, it is counted from now.
        """
        relative = self._relative
        if relative is not None:
            return self._host.now() + relative
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        value = _checked_deadline(value, "DeadlineScope.deadline")
        self._deadline = value
        self._relative = None
        if self._entered and not self._scope.closed:
            self._rearm()

    @property
    def cancel_called(self) -> bool:
        """Whether the block has been cancelled, by its deadline or by :meth:`cancel`."""
        return self._scope.cancel_called

    @property
    def cancelled_caught(self) -> bool:
        """Whether the block ended because it was cancelled (time-out or :meth:`cancel`)."""
        return self._scope.cancelled_caught

    @property
    def timed_out(self) -> bool:
        """Whether the deadline passed and ended the block."""
        return self._expired and self._scope.cancelled_caught

    def cancel(self) -> None:
        """Cancel the block now, whatever the deadline (does nothing once it is left)."""
        self._scope.cancel()

    def _rearm(self) -> None:
        handle = self._handle
        if handle is not None:
            self._handle = None
            handle.cancel()
        if self._scope.cancel_called:
            return  # a cancelled block stays cancelled, as in trio
        deadline = self._deadline
        if deadline == math.inf:
            return
        delay = deadline - self._host.now()
        if delay <= 0:
            self._expire()
        else:
            self._handle = self._host.call_later(delay, self._expire)

    def _expire(self) -> None:
        self._handle = None
        if not self._scope.cancel_called and not self._scope.closed:
            self._expired = True
            self._scope.cancel()

    async def __aenter__(self) -> Self:
        if self._entered:
            raise InvalidStateError("a DeadlineScope can be entered only once")
        self._entered = True
        await self._scope.__aenter__()  # a cancel() made before entering is requested here
        relative = self._relative
        if relative is not None:
            self._deadline = self._host.now() + relative
            self._relative = None
        self._rearm()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        handle = self._handle
        if handle is not None:
            self._handle = None
            handle.cancel()
        caught = self._scope.__exit__(exc_type, exc, tb)
        if caught and self._fail and self._expired:
            raise TimeoutError(f"the deadline ({self._deadline!r} on the host's clock) passed")
        return caught

    def __repr__(self) -> str:
        state = "timed out" if self.timed_out else "cancelled" if self.cancel_called else "armed"
        return f"<DeadlineScope deadline={self.deadline!r} {state}>"


def _checked_deadline(deadline: float, who: str) -> float:
    try:
        if deadline + 0.0 == deadline:
            return deadline
    except TypeError:
        pass
    else:
        raise ValueError(f"{who} needs a deadline that is a number, got NaN")
    raise TypeError(f"{who} needs a deadline in seconds, got {type(deadline).__name__}")


def move_on_at(host: Host, deadline: float, /) -> DeadlineScope:
    """Cancel the block when *host*'s clock reaches *deadline*, then go on after it.

    ``async with move_on_at(host, t) as scope:``; afterwards ``scope.timed_out``
    says whether the deadline ended the block. See :class:`DeadlineScope`.

    :raises TypeError: *deadline* is not a number. :raises ValueError: it is NaN.
    """
    return DeadlineScope(host, _checked_deadline(deadline, "move_on_at()"), None, False)


def move_on_after(host: Host, seconds: float, /) -> DeadlineScope:
    """Cancel the block *seconds* after it is entered, then go on after it.

    >>> from gearwork.core import sleep_forever, start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> async def main():
    ...     async with move_on_after(clock, 5) as scope:
    ...         await sleep_forever()
    ...     return scope.timed_out, clock.time
    >>> task = start(main())
    >>> clock.tick(3); clock.tick(3)
    >>> task.result
    (True, 6.0)

    :raises TypeError: *seconds* is not a number. :raises ValueError: it is negative or NaN.
    """
    check_seconds(seconds, "move_on_after()")
    return DeadlineScope(host, math.nan, seconds, False)


def fail_at(host: Host, deadline: float, /) -> DeadlineScope:
    """Like :func:`move_on_at`, but raise :class:`TimeoutError` when the deadline ends the block."""
    return DeadlineScope(host, _checked_deadline(deadline, "fail_at()"), None, True)


def fail_after(host: Host, seconds: float, /) -> DeadlineScope:
    """Like :func:`move_on_after`, but raise :class:`TimeoutError` when the time runs out.

    >>> from gearwork.core import sleep_forever, start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> async def main():
    ...     try:
    ...         async with fail_after(clock, 1):
    ...             await sleep_forever()
    ...     except TimeoutError:
    ...         return "too slow"
    >>> task = start(main())
    >>> clock.tick(1)
    >>> task.result
    'too slow'
    """
    check_seconds(seconds, "fail_after()")
    return DeadlineScope(host, math.nan, seconds, True)
