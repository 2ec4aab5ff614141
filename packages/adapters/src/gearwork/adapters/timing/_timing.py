"""``Timing``: the whole time protocol bound to one host."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from gearwork.nursery import ALL_COMPLETED

from ._deadline import DeadlineScope, fail_after, fail_at, move_on_after, move_on_at
from ._monitor import Monitor
from ._periodic import Periodic, periodic
from ._protocol import check_host
from ._sleep import sleep, sleep_until
from ._thread import run_in_thread
from ._wait import wait

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Iterable
    from typing import Any

    from typing_extensions import TypeVarTuple, Unpack

    from gearwork.core import Task
    from gearwork.nursery import ReturnWhen

    from ._protocol import Host

    Ts = TypeVarTuple("Ts")

__all__ = ("Timing",)

T = TypeVar("T")


class Timing:
    """Every tool of :mod:`gearwork.adapters.timing`, bound to one *host*.

    ``t = Timing(host)`` then ``await t.sleep(1)``, ``async with
    t.move_on_after(2):``, ``async for _ in t.periodic(0.5):``, ... Each
    method is the module function of the same name with *host* filled in
    (:meth:`monitor` makes a :class:`Monitor`). Every adapter of
    gearwork-adapters offers this same set, by being a subclass (a host that
    is its own ``Timing``, like :class:`gearwork.adapters.clock.Clock`) or by
    holding one.

    :raises TypeError: *host* lacks one of the three methods of :class:`Host`.
    """

    __slots__ = ("_host",)

    __module__ = "gearwork.adapters.timing"

    def __init__(self, host: Host) -> None:
        self._host = check_host(host, f"{type(self).__name__}()")

    @property
    def host(self) -> Host:
        """The host everything runs on."""
        return self._host

    def now(self) -> float:
        """The host's clock, in seconds."""
        return self._host.now()

    def sleep(self, seconds: float, /) -> Awaitable[None]:
        """``await t.sleep(seconds)``: see :func:`~gearwork.adapters.timing.sleep`."""
        return sleep(self._host, seconds)

    def sleep_until(self, deadline: float, /) -> Awaitable[None]:
        """``await t.sleep_until(deadline)``: see :func:`~gearwork.adapters.timing.sleep_until`."""
        return sleep_until(self._host, deadline)

    def move_on_after(self, seconds: float, /) -> DeadlineScope:
        """See :func:`~gearwork.adapters.timing.move_on_after`."""
        return move_on_after(self._host, seconds)

    def move_on_at(self, deadline: float, /) -> DeadlineScope:
        """See :func:`~gearwork.adapters.timing.move_on_at`."""
        return move_on_at(self._host, deadline)

    def fail_after(self, seconds: float, /) -> DeadlineScope:
        """See :func:`~gearwork.adapters.timing.fail_after`."""
        return fail_after(self._host, seconds)

    def fail_at(self, deadline: float, /) -> DeadlineScope:
        """See :func:`~gearwork.adapters.timing.fail_at`."""
        return fail_at(self._host, deadline)

    def periodic(self, period: float, /) -> Periodic:
        """See :func:`~gearwork.adapters.timing.periodic`."""
        return periodic(self._host, period)

    def wait(
        self,
        aws: Iterable[Awaitable[T] | Task[T]],
        /,
        *,
        timeout: float | None = None,
        return_when: ReturnWhen = ALL_COMPLETED,
    ) -> Coroutine[Any, Any, tuple[set[Task[T]], set[Task[T]]]]:
        """See :func:`~gearwork.adapters.timing.wait`."""
        return wait(self._host, aws, timeout=timeout, return_when=return_when)

    def run_in_thread(
        self, fn: Callable[[Unpack[Ts]], T], /, *args: Unpack[Ts]
    ) -> Coroutine[Any, Any, T]:
        """See :func:`~gearwork.adapters.timing.run_in_thread`."""
        return run_in_thread(self._host, fn, *args)

    def monitor(self, period: float = 0.01) -> Monitor:
        """A :class:`~gearwork.adapters.timing.Monitor` of the host."""
        return Monitor(self._host, period)
