"""``wait(aws, timeout=, return_when=)``: anyioutils' signature on any :class:`Host`."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from gearwork.core import Task
from gearwork.nursery import ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, ReturnWhen
from gearwork.nursery import wait as _wait_untimed

from ._deadline import move_on_after
from ._sleep import check_seconds

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from ._protocol import Host

__all__ = ("ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION", "ReturnWhen", "wait")

T = TypeVar("T")

_RETURN_WHEN = (ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION)


def _close_coroutines(items: Iterable[object]) -> None:
    for item in items:
        if inspect.iscoroutine(item):
            item.close()


async def wait(
    host: Host,
    aws: Iterable[Awaitable[T] | Task[T]],
    /,
    *,
    timeout: float | None = None,
    return_when: ReturnWhen = ALL_COMPLETED,
) -> tuple[set[Task[T]], set[Task[T]]]:
    """Wait for tasks until *return_when* holds or *timeout* passes; return ``(done, pending)``.

    The same as :func:`gearwork.nursery.wait` (awaitables and tasks that have
    not started are started here, in order; nothing is cancelled; the
    exceptions of the tasks it started stay in them) plus anyioutils'
    *timeout*: after that many seconds of *host*'s clock, ``wait`` returns
    with the tasks that have not ended in ``pending``. It never raises
    :class:`TimeoutError`. With ``timeout=0`` the tasks are started and
    ``wait`` returns at the first suspension.

    :raises ValueError: *aws* is empty, *return_when* is not one of the three
        constants, or *timeout* is negative or NaN.
    :raises TypeError: *aws* is not an iterable of awaitables and tasks.

    >>> from gearwork.core import Task, sleep_forever, start
    >>> from gearwork.adapters.clock import Clock
    >>> clock = Clock()
    >>> async def main(a, b):
    ...     done, pending = await wait(clock, [a, b], timeout=2)
    ...     return done == {a}, pending == {b}
    >>> a, b = Task(sleep_forever()), Task(sleep_forever())
    >>> task = start(main(a, b))
    >>> a.step()
    >>> clock.tick(2)
    >>> task.result
    (True, True)
    >>> b.cancel()  # still running: it belongs to the caller
    """
    if timeout is None:
        return await _wait_untimed(aws, return_when=return_when)
    if isinstance(aws, Task) or not isinstance(aws, Iterable):
        raise TypeError(
            f"wait() needs an iterable of awaitables or Tasks, got {type(aws).__name__}"
        )
    given: tuple[Any, ...] = tuple(aws)
    try:
        check_seconds(timeout, "wait() timeout")
        if return_when not in _RETURN_WHEN:
            raise ValueError(
                "wait() return_when must be FIRST_COMPLETED, FIRST_EXCEPTION or "
                f"ALL_COMPLETED, got {return_when!r}"
            )
        if not given:
            raise ValueError("wait() needs at least one awaitable or Task")
        for position, item in enumerate(given, 1):
            if not isinstance(item, Task) and not inspect.isawaitable(item):
                raise TypeError(
                    f"wait() item {position} is neither an awaitable nor a Task: "
                    f"{type(item).__name__}"
                )
    except BaseException:
        _close_coroutines(given)
        raise
    tasks: list[Task[T]] = [item if isinstance(item, Task) else Task(item) for item in given]
    async with move_on_after(host, timeout):
        await _wait_untimed(tasks, return_when=return_when)
    done = {task for task in tasks if task.done()}
    return done, {task for task in tasks if not task.done()}
