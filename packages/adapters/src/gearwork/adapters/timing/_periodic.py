"""``periodic``: trio-util's drift-free periodic loop, on any :class:`Host`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, final

from ._sleep import sleep

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._protocol import Host

__all__ = ("Periodic", "periodic")


@final
class Periodic:
    """The async iterator returned by :func:`periodic` (not an async generator).

    Iterations start on a fixed grid, ``start + k * period`` on the host's
    clock, so lateness never accumulates. When an iteration overruns the next
    grid point, the next iteration starts at once and the grid resumes at the
    first point after it (missed points are skipped, not made up for).
    """

    __slots__ = ("_host", "_last", "_next", "_period", "_start")

    __module__ = "gearwork.adapters.timing"

    def __init__(self, host: Host, period: float) -> None:
        self._host = host
        self._period = period
        self._start: float | None = None
        self._last = 0.0
        self._next = 0.0

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> tuple[float, float | None]:
        host = self._host
        start = self._start
        if start is None:
            now = self._start = self._last = host.now()
            self._next = now + self._period
            return 0.0, None
        target = self._next
        now = host.now()
        if now < target:
            await sleep(host, target - now)
            now = host.now()
        period = self._period
        # The first grid point after now (a timer that fired a hair early counts as on time).
        upcoming = start + (math.floor((now - start) / period) + 1) * period
        self._next = upcoming if upcoming > target else target + period
        delta = now - self._last
        self._last = now
        return now - start, delta


def periodic(host: Host, period: float, /) -> Periodic:
    """Iterate every *period* seconds of *host*'s clock, yielding ``(elapsed, delta)``.

    ``elapsed`` is the time since the first iteration began, ``delta`` the time
    since the previous one began (``None`` on the first iteration, which starts
    at once). The time the loop body takes is accounted for: iterations begin
    on a fixed grid and do not drift. After an overrun, the next iteration
    begins immediately.

    >>> from gearwork.core import start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> seen = []
    >>> async def main():
    ...     async for elapsed, delta in periodic(clock, 1.0):
    ...         seen.append((elapsed, delta))
    ...         if len(seen) == 3:
    ...             break
    >>> task = start(main())
    >>> for _ in range(4):
    ...     clock.tick(0.5)
    >>> seen
    [(0.0, None), (1.0, 1.0), (2.0, 1.0)]

    :raises TypeError: *period* is not a number. :raises ValueError: it is not > 0.
    """
    try:
        if period > 0 and period != math.inf:
            return Periodic(host, period)
    except TypeError:
        raise TypeError(
            f"periodic() needs a period in seconds, got {type(period).__name__}"
        ) from None
    raise ValueError(f"periodic() needs a finite period > 0, got {period!r}")
