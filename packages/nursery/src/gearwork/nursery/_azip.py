"""azip and azip_longest: zip async iterables, advancing them concurrently."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, TypeVar, final, overload

from ._wait import _gather, _Zip, _ZipLongest

__all__ = ("azip", "azip_longest")

T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
F = TypeVar("F")


async def _anext(iterator: AsyncIterator[Any]) -> Any:
    # __anext__() is called only once the step's task runs: a step that is
    # cancelled before it starts leaves no un-awaited ``asend`` object behind
    # (Python 3.13 warns about those).
    return await iterator.__anext__()


@final
class _AZip:
    """The async iterator behind :func:`azip` and :func:`azip_longest`."""

    __slots__ = ("_fillvalue", "_iterators", "_longest")

    def __init__(
        self, aiterables: tuple[object, ...], longest: bool, fillvalue: object, who: str
    ) -> None:
        iterators: list[AsyncIterator[Any] | None] = []
        for position, aiterable in enumerate(aiterables, 1):
            if not isinstance(aiterable, AsyncIterable):
                raise TypeError(
                    f"{who} argument {position} must be an async iterable, "
                    f"got {type(aiterable).__name__}"
                )
            iterators.append(aiterable.__aiter__())
        self._iterators = iterators
        self._longest = longest
        self._fillvalue = fillvalue

    def __aiter__(self) -> _AZip:
        return self

    async def __anext__(self) -> tuple[Any, ...]:
        iterators = self._iterators
        live = [iterator for iterator in iterators if iterator is not None]
        if not live:
            raise StopAsyncIteration
        steps = tuple([_anext(iterator) for iterator in live])
        if not self._longest:
            gather: _Zip = _gather(_Zip, steps, "azip()")
            await gather
            children = gather._children
            if all(child.finished for child in children):
                return tuple([child.result for child in children])
            # One of them is exhausted (the others were cancelled): so is the zip.
            iterators.clear()
            raise StopAsyncIteration
        gather = _gather(_ZipLongest, steps, "azip_longest()")
        await gather
        children = gather._children
        values: list[Any] = []
        results = iter(children)
        ended = 0
        for index, iterator in enumerate(iterators):
            if iterator is None:
                values.append(self._fillvalue)
                continue
            child = next(results)
            if child.finished:
                values.append(child.result)
            else:  # StopAsyncIteration: anything else raised an exception group
                iterators[index] = None
                values.append(self._fillvalue)
                ended += 1
        if ended == len(live):
            raise StopAsyncIteration
        return tuple(values)


@overload
def azip() -> AsyncIterator[tuple[()]]: ...
@overload
def azip(aiterable1: AsyncIterable[T1], /) -> AsyncIterator[tuple[T1]]: ...
@overload
def azip(
    aiterable1: AsyncIterable[T1], aiterable2: AsyncIterable[T2], /
) -> AsyncIterator[tuple[T1, T2]]: ...
@overload
def azip(
    aiterable1: AsyncIterable[T1],
    aiterable2: AsyncIterable[T2],
    aiterable3: AsyncIterable[T3],
    /,
) -> AsyncIterator[tuple[T1, T2, T3]]: ...
@overload
def azip(*aiterables: AsyncIterable[Any]) -> AsyncIterator[tuple[Any, ...]]: ...
def azip(*aiterables: AsyncIterable[Any]) -> AsyncIterator[tuple[Any, ...]]:
    """Zip async iterables; each step advances all of them concurrently.

    Every step starts one child task per iterable, running its ``__anext__``,
    and waits for all of them (as :func:`~gearwork.nursery.wait_all` does), so
    an iterable that waits does not hold the others back. Iteration stops
    when any iterable is exhausted: the other ``__anext__`` calls of that step
    are cancelled and their items are dropped. Exceptions raised by the
    iterables leave as an :class:`ExceptionGroup`; if the iterating task is
    cancelled, the pending ``__anext__`` calls are cancelled too.

    :raises TypeError: an argument is not an async iterable (the message
        gives its position).

    >>> from gearwork.core import start
    >>> async def count(n):
    ...     for i in range(n):
    ...         yield i
    >>> async def main():
    ...     return [pair async for pair in azip(count(3), count(5))]
    >>> start(main()).result
    [(0, 0), (1, 1), (2, 2)]
    """
    return _AZip(aiterables, False, None, "azip()")


@overload
def azip_longest(aiterable1: AsyncIterable[T1], /) -> AsyncIterator[tuple[T1]]: ...
@overload
def azip_longest(
    aiterable1: AsyncIterable[T1], aiterable2: AsyncIterable[T2], /
) -> AsyncIterator[tuple[T1 | None, T2 | None]]: ...
@overload
def azip_longest(
    aiterable1: AsyncIterable[T1], aiterable2: AsyncIterable[T2], /, *, fillvalue: F
) -> AsyncIterator[tuple[T1 | F, T2 | F]]: ...
@overload
def azip_longest(
    *aiterables: AsyncIterable[Any], fillvalue: Any = None
) -> AsyncIterator[tuple[Any, ...]]: ...
def azip_longest(
    *aiterables: AsyncIterable[Any], fillvalue: Any = None
) -> AsyncIterator[tuple[Any, ...]]:
    """Zip async iterables until the longest is exhausted, advancing them concurrently.

    Like :func:`azip`, but an exhausted iterable yields *fillvalue* from then
    on and is not called again; iteration stops when all are exhausted.

    :raises TypeError: an argument is not an async iterable.

    >>> from gearwork.core import start
    >>> async def count(n):
    ...     for i in range(n):
    ...         yield i
    >>> async def main():
    ...     return [pair async for pair in azip_longest(count(1), count(3), fillvalue="-")]
    >>> start(main()).result
    [(0, 0), ('-', 1), ('-', 2)]
    """
    return _AZip(aiterables, True, fillvalue, "azip_longest()")
