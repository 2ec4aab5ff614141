"""defer_to_cancelled: routine exceptions give way to a cancellation under way."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, final

from gearwork.core import BaseExceptionGroup, Cancelled, Task, current_task
from gearwork.core.lowlevel import cancel_pending, raise_if_cancelled

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ("defer_to_cancelled",)


@final
class _DeferToCancelled:
    __slots__ = ("_task", "_types")

    def __init__(self, types: tuple[type[BaseException], ...]) -> None:
        self._types = types
        self._task: Task[Any] | None = None

    async def __aenter__(self) -> None:
        self._task = await current_task()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        task = self._task
        if exc is None or isinstance(exc, Cancelled) or task is None or not cancel_pending(task):
            return False
        if isinstance(exc, BaseExceptionGroup):
            _, rest = exc.split((*self._types, Cancelled))
            if rest is not None:
                return False  # something else failed too: that must not be hidden
        elif not isinstance(exc, self._types):
            return False
        try:
            raise_if_cancelled(task)
        except Cancelled as cancelled:
            raise cancelled from exc
        return False  # inside disable_cancellation(): the cancellation waits, exc goes on


def defer_to_cancelled(*types: type[BaseException]) -> AbstractAsyncContextManager[None]:
    """Let exceptions of *types* give way to a cancellation that is under way.

    trio-util's ``defer_to_cancelled``, for ``async with``. Routine
    exceptions that are part of an API (an ``Obstacle`` raised by a game's
    ``advance()``, a ``ConnectionError`` while closing) may arrive while the
    task is being cancelled, for instance from the ``finally`` of a child
    whose nursery is being cancelled. Without this block they would replace
    the :class:`~gearwork.core.Cancelled` on its way to the cancel scope that
    asked for it, and escape that scope as an error. Inside the block, an
    exception of one of *types*, or an exception group made only of them,
    that leaves the block while a cancellation of the task is pending is
    replaced by that cancellation (chained to it as its cause), which the
    cancel scope then catches. Anything else passes unchanged, as does
    everything when the task is not being cancelled.

    :raises TypeError: no type was given, or one is not an exception class.

    >>> from gearwork.core import open_cancel_scope, sleep_forever, start
    >>> from gearwork.nursery import open_nursery
    >>> class Obstacle(Exception):
    ...     pass
    >>> async def advance():
    ...     try:
    ...         await sleep_forever()
    ...     finally:
    ...         raise Obstacle("hit a wall while stopping")
    >>> async def main(scopes):
    ...     async with open_cancel_scope() as scope:
    ...         scopes.append(scope)
    ...         async with defer_to_cancelled(Obstacle):
    ...             async with open_nursery() as nursery:
    ...                 nursery.start(advance())
    ...                 await sleep_forever()
    ...     return scope.cancelled_caught
    >>> scopes = []
    >>> task = start(main(scopes))
    >>> scopes[0].cancel()
    >>> task.result
    True
    """
    if not types:
        raise TypeError("defer_to_cancelled() needs at least one exception class")
    for position, kind in enumerate(types, 1):
        if not (isinstance(kind, type) and issubclass(kind, BaseException)):
            raise TypeError(
                f"defer_to_cancelled() argument {position} must be an exception class, got {kind!r}"
            )
    return _DeferToCancelled(types)
