"""Type tests: checked by mypy --strict (the bodies are never run)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gearwork.sync import (
    AsyncBool,
    AsyncDictionary,
    AsyncValue,
    Box,
    Event,
    ExclusiveEvent,
    Future,
    LifoQueue,
    PriorityQueue,
    Queue,
    StatefulEvent,
)

if TYPE_CHECKING:
    from typing_extensions import assert_type

Resumption = tuple[tuple[Any, ...], dict[str, Any]]


async def check_queues() -> None:
    queue: Queue[int] = Queue()
    assert_type(await queue.get(), int)
    assert_type(queue.get_nowait(), int)
    assert_type(await queue.put(1), None)
    assert_type(queue.put_nowait(1), None)
    assert_type(queue.qsize(), int)
    assert_type(queue.maxsize, int)
    assert_type(await queue.join(), None)
    async for item in queue:
        assert_type(item, int)
    lifo: LifoQueue[str] = LifoQueue(3)
    assert_type(await lifo.get(), str)
    prio: PriorityQueue[tuple[int, str]] = PriorityQueue()
    assert_type(await prio.get(), tuple[int, str])
    queue.put_nowait("no")  # type: ignore[arg-type]


async def check_future() -> None:
    future: Future[str] = Future()
    assert_type(await future, str)
    assert_type(await future.wait(), str | None)
    assert_type(future.result(), str)
    assert_type(future.exception(), BaseException | None)
    assert_type(future.cancel(), bool)
    future.add_done_callback(lambda f: assert_type(f, Future[str]))
    future.set_result(1)  # type: ignore[arg-type]


async def check_values() -> None:
    value: AsyncValue[int] = AsyncValue(0)
    assert_type(value.value, int)
    assert_type(await value.wait_value(3), int)
    assert_type(await value.wait_value(lambda v: v > 2), int)
    assert_type(await value.wait_transition(), tuple[int, int])
    async for v in value.eventual_values():
        assert_type(v, int)
    async for new, old in value.transitions():
        assert_type(new, int)
        assert_type(old, int)
    flag = AsyncBool()
    assert_type(flag.value, bool)
    assert_type(await flag.wait_transition(True), tuple[bool, bool])
    value.value = "no"  # type: ignore[assignment]


async def check_dictionary() -> None:
    mapping: AsyncDictionary[str, float] = AsyncDictionary()
    assert_type(await mapping.get_wait("k"), float)
    assert_type(await mapping.pop_wait("k"), float)
    assert_type(mapping["k"], float)
    assert_type(mapping.is_waiting("k"), bool)


async def check_events() -> None:
    assert_type(await Event().wait(), Resumption)
    assert_type(await ExclusiveEvent().wait(), Resumption)
    assert_type(await StatefulEvent().wait(), Resumption)
    assert_type(StatefulEvent().params, Resumption)
    assert_type(await Box().get(), Resumption)
    assert_type(Box().is_empty, bool)
