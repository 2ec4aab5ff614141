"""azip and azip_longest: async iterables advanced concurrently."""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Generator
from typing import Any

import pytest

from gearwork.core import BaseExceptionGroup, Task, start
from gearwork.core.lowlevel import Registrar, Resumption, exception_of, supervise
from gearwork.nursery import azip, azip_longest


class Event:
    def __init__(self) -> None:
        self.waiters: list[Task[Any]] = []

    def fire(self, *args: Any) -> None:
        for task in list(self.waiters):
            task.step(*args)

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        me: list[Task[Any]] = []

        def register(task: Task[Any]) -> None:
            me.append(task)
            self.waiters.append(task)

        try:
            return (yield register)
        finally:
            if me and me[0] in self.waiters:
                self.waiters.remove(me[0])


def root(aw: Any) -> Task[Any]:
    task = Task(aw)
    supervise(task, lambda t: None)
    return start(task)


class Boom(Exception):
    pass


async def count(n: int, log: list[str] | None = None) -> AsyncIterator[int]:
    try:
        for i in range(n):
            yield i
    finally:
        if log is not None:
            log.append(f"count({n}) closed")


async def ticks(event: Event, n: int, name: str, log: list[str]) -> AsyncIterator[str]:
    for i in range(n):
        await event.wait()
        log.append(f"{name}{i}")
        yield f"{name}{i}"


def test_azip_stops_at_the_shortest() -> None:
    async def main() -> list[tuple[int, int]]:
        return [pair async for pair in azip(count(2), count(4))]

    assert root(main()).result == [(0, 0), (1, 1)]


def test_azip_of_nothing_is_empty() -> None:
    async def main() -> list[tuple[()]]:
        return [t async for t in azip()]

    assert root(main()).result == []


def test_azip_advances_the_iterables_concurrently() -> None:
    ea, eb = Event(), Event()
    log: list[str] = []
    pairs: list[tuple[str, str]] = []

    async def main() -> None:
        async for pair in azip(ticks(ea, 2, "a", log), ticks(eb, 2, "b", log)):
            pairs.append(pair)

    task = root(main())
    eb.fire()  # b is not held back by a
    assert log == ["b0"]
    ea.fire()
    assert pairs == [("a0", "b0")]
    ea.fire()
    eb.fire()
    assert pairs == [("a0", "b0"), ("a1", "b1")]
    assert task.finished


def test_azip_cancels_the_other_steps_when_one_is_exhausted() -> None:
    e = Event()
    log: list[str] = []

    async def main() -> list[tuple[Any, ...]]:
        return [pair async for pair in azip(count(1), ticks(e, 5, "t", log))]

    task = root(main())
    assert not task.done()
    e.fire()
    assert task.result == [(0, "t0")]
    assert e.waiters == []  # the second step of ticks() was cancelled


def test_azip_longest_fills_in() -> None:
    async def main() -> list[tuple[Any, ...]]:
        return [t async for t in azip_longest(count(1), count(3), count(2), fillvalue="-")]

    assert root(main()).result == [(0, 0, 0), ("-", 1, 1), ("-", 2, "-")]


def test_azip_longest_does_not_call_an_exhausted_iterable_again() -> None:
    calls: list[int] = []

    class Once:
        def __aiter__(self) -> Once:
            return self

        async def __anext__(self) -> int:
            calls.append(1)
            if len(calls) > 1:
                raise StopAsyncIteration
            return 1

    async def main() -> list[tuple[Any, ...]]:
        return [t async for t in azip_longest(Once(), count(3))]

    assert root(main()).result == [(1, 0), (None, 1), (None, 2)]
    assert len(calls) == 2


def test_an_error_in_an_iterable_comes_in_a_group() -> None:
    error = Boom()

    async def broken() -> AsyncIterator[int]:
        yield 1
        raise error

    async def main() -> list[tuple[int, int]]:
        return [pair async for pair in azip(broken(), count(5))]

    task = root(main())
    exc = exception_of(task)
    assert isinstance(exc, BaseExceptionGroup)
    assert exc.exceptions == (error,)


def test_cancelling_the_iterating_task_cancels_the_pending_steps() -> None:
    e = Event()
    log: list[str] = []

    async def main() -> None:
        async for _ in azip(ticks(e, 3, "a", log), ticks(e, 3, "b", log)):
            pass

    task = root(main())
    task.cancel()
    assert task.cancelled
    assert e.waiters == []


@pytest.mark.parametrize("fn", [azip, azip_longest])
def test_a_non_iterable_is_refused_with_its_position(fn: Any) -> None:
    with pytest.raises(TypeError, match=r"argument 2 must be an async iterable, got list"):
        fn(count(1), [1, 2])
