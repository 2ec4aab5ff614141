"""What every primitive promises its waiters (the policy of gearwork.sync._waiters).

Each primitive is described once by a :class:`Spec` (how a task waits on it,
how waiters are released), and every property is checked for each of them.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gearwork.core import BaseExceptionGroup, Cancelled, Task, TaskState, start
from gearwork.sync import (
    AsyncBool,
    AsyncDictionary,
    AsyncValue,
    Box,
    Event,
    ExclusiveBox,
    ExclusiveEvent,
    Future,
    LifoQueue,
    MailboxRepeatedEvent,
    PriorityQueue,
    Queue,
    StatefulEvent,
    UnqueuedRepeatedEvent,
)


@dataclass(frozen=True)
class Spec:
    """How to wait on a primitive, and how to release its waiters."""

    name: str
    make: Callable[[], Any]
    wait: Callable[[Any], Awaitable[object]]
    release: Callable[[Any, int], object]  # lets n waiters go on (all of them for broadcasts)
    broadcast: bool  # one release call wakes every waiter


async def _await_cancelled_future(future: Future[None]) -> None:
    try:
        await future
    except Cancelled as exc:
        if exc.args != ("released",):  # the waiting task itself was cancelled
            raise


def _put_items(queue: Any, n: int) -> None:
    for i in range(n):
        queue.put_nowait(i)


def _get_items(queue: Any, n: int) -> None:
    for _ in range(n):
        queue.get_nowait()


def _full_queue() -> Queue[int]:
    queue: Queue[int] = Queue(1)
    queue.put_nowait(-1)
    return queue


def _joinable_queue() -> Queue[int]:
    queue: Queue[int] = Queue()
    queue.put_nowait(0)
    queue.get_nowait()
    return queue


def _increment(value: AsyncValue[int], n: int) -> None:
    value.value += 1


def _set_key(mapping: AsyncDictionary[str, int], n: int) -> None:
    mapping["key"] = 1


def _set_key_n_times(mapping: AsyncDictionary[str, int], n: int) -> None:
    for i in range(n):
        mapping["key"] = i


def _set_value_to_one(value: AsyncValue[int], n: int) -> None:
    value.value = 1


def _set_true(value: AsyncBool, n: int) -> None:
    value.value = True


SPECS = [
    Spec("Event", Event, lambda e: e.wait(), lambda e, n: e.fire(), True),
    Spec("StatefulEvent", StatefulEvent, lambda e: e.wait(), lambda e, n: e.fire(), True),
    Spec("Box", Box, lambda b: b.get(), lambda b, n: b.put(), True),
    Spec("Future", Future, lambda f: f, lambda f, n: f.set_result(None), True),
    Spec(
        "Future (cancel)", Future, _await_cancelled_future, lambda f, n: f.cancel("released"), True
    ),
    Spec("Future.wait", Future, lambda f: f.wait(), lambda f, n: f.set_result(None), True),
    Spec("Future.wait (cancel)", Future, lambda f: f.wait(), lambda f, n: f.cancel(), True),
    Spec("Queue.get", Queue, lambda q: q.get(), _put_items, False),
    Spec("LifoQueue.get", LifoQueue, lambda q: q.get(), _put_items, False),
    Spec("PriorityQueue.get", PriorityQueue, lambda q: q.get(), _put_items, False),
    Spec("Queue.put", _full_queue, lambda q: q.put(0), _get_items, False),
    Spec("Queue.join", _joinable_queue, lambda q: q.join(), lambda q, n: q.task_done(), True),
    Spec(
        "AsyncValue.wait_value",
        lambda: AsyncValue(0),
        lambda v: v.wait_value(1),
        _set_value_to_one,
        True,
    ),
    Spec(
        "AsyncValue.wait_transition",
        lambda: AsyncValue(0),
        lambda v: v.wait_transition(),
        _increment,
        True,
    ),
    Spec("AsyncBool.wait_value", AsyncBool, lambda v: v.wait_value(True), _set_true, True),
    Spec(
        "AsyncDictionary.get_wait",
        AsyncDictionary,
        lambda d: d.get_wait("key"),
        _set_key,
        True,
    ),
    Spec(
        "AsyncDictionary.pop_wait",
        AsyncDictionary,
        lambda d: d.pop_wait("key"),
        _set_key_n_times,
        False,
    ),
]

by_name = pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])


def _start_waiters(spec: Spec, obj: Any, log: list[int], indices: range) -> list[Task[None]]:
    async def waiter(i: int) -> None:
        try:
            await spec.wait(obj)
        except BaseException:
            log.append(-i - 100)  # an unexpected wake-up by exception shows in the log
            raise
        log.append(i)

    return [start(waiter(i)) for i in indices]


@by_name
def test_waiters_resume_synchronously_in_the_order_they_began_waiting(spec: Spec) -> None:
    obj = spec.make()
    log: list[int] = []
    tasks = _start_waiters(spec, obj, log, range(5))
    assert log == []
    assert all(t.state is TaskState.STARTED for t in tasks)
    spec.release(obj, 5)
    assert log == [0, 1, 2, 3, 4]
    assert all(t.finished for t in tasks)


@by_name
@pytest.mark.parametrize("cancelled", [[0], [2], [4], [0, 4], [1, 2, 3], [0, 1, 2, 3, 4]])
def test_a_waiter_cancelled_while_waiting_is_removed_without_disturbing_the_others(
    spec: Spec, cancelled: list[int]
) -> None:
    obj = spec.make()
    log: list[int] = []
    tasks = _start_waiters(spec, obj, log, range(5))
    for i in cancelled:
        tasks[i].cancel()
        assert tasks[i].cancelled
    assert log == [-i - 100 for i in cancelled]
    del log[:]
    remaining = [i for i in range(5) if i not in cancelled]
    spec.release(obj, len(remaining))
    assert log == remaining
    assert all(tasks[i].finished for i in remaining)


@by_name
def test_a_waiter_cancelled_by_a_task_woken_before_it_is_not_woken(spec: Spec) -> None:
    obj = spec.make()
    log: list[int] = []
    victims: list[Task[None]] = []

    async def first() -> None:
        await spec.wait(obj)
        log.append(0)
        victims[0].cancel()

    tasks = [start(first())]
    tasks += _start_waiters(spec, obj, log, range(1, 3))
    victims.append(tasks[1])
    spec.release(obj, 3 if not spec.broadcast else 1)
    assert log[:2] == [0, -101]
    assert tasks[1].cancelled
    if spec.broadcast:
        assert log == [0, -101, 2]
    else:
        assert 1 not in log


# Primitives whose waiters wait for a change, not for a state: a task that waits again
# after being woken is only woken by a later release. (The others - a fired event, a full
# box, a done future, a matching value - let a new wait through at once.)
EDGE_TRIGGERED = [
    s
    for s in SPECS
    if s.name
    in {
        "Event",
        "AsyncValue.wait_transition",
        "Queue.get",
        "LifoQueue.get",
        "PriorityQueue.get",
        "Queue.put",
    }
]


@pytest.mark.parametrize("spec", EDGE_TRIGGERED, ids=[s.name for s in EDGE_TRIGGERED])
def test_woken_waiters_that_wait_again_are_woken_only_by_a_later_release(spec: Spec) -> None:
    obj = spec.make()
    wakes: list[int] = []

    async def waiter(i: int) -> None:
        while True:
            await spec.wait(obj)
            wakes.append(i)

    tasks = [start(waiter(i)) for i in range(3)]
    spec.release(obj, 3)
    assert wakes == [0, 1, 2]
    spec.release(obj, 3)
    assert wakes == [0, 1, 2, 0, 1, 2]
    for task in tasks:
        task.cancel()


BROADCASTS = [s for s in SPECS if s.broadcast]


@pytest.mark.parametrize("spec", BROADCASTS, ids=[s.name for s in BROADCASTS])
def test_a_woken_task_that_raises_does_not_keep_the_others_waiting(spec: Spec) -> None:
    obj = spec.make()
    log: list[int] = []

    async def failing() -> None:
        await spec.wait(obj)
        log.append(0)
        raise ValueError("boom")

    failing_task = start(failing())
    others = _start_waiters(spec, obj, log, range(1, 3))
    with pytest.raises(ValueError, match="boom"):
        spec.release(obj, 3)
    assert log == [0, 1, 2]
    assert failing_task.cancelled
    assert all(t.finished for t in others)


@pytest.mark.parametrize("spec", BROADCASTS, ids=[s.name for s in BROADCASTS])
def test_several_woken_tasks_that_raise_are_raised_together(spec: Spec) -> None:
    obj = spec.make()
    log: list[int] = []

    async def failing(i: int) -> None:
        await spec.wait(obj)
        log.append(i)
        raise KeyError(i)

    tasks = [start(failing(0))]
    tasks += _start_waiters(spec, obj, log, range(1, 2))
    tasks.append(start(failing(2)))
    with pytest.raises(BaseExceptionGroup) as info:
        spec.release(obj, 3)
    assert [e.args for e in info.value.exceptions] == [(0,), (2,)]
    assert log == [0, 1, 2]


async def _through_a_helper(aw: Awaitable[object]) -> object:
    return await aw


LAYERS: list[Callable[[Awaitable[object]], Awaitable[object]]] = [
    lambda aw: aw,
    _through_a_helper,
    lambda aw: _through_a_helper(_through_a_helper(aw)),
]

SINGLE_WAITER: list[tuple[str, Callable[[], Any], Callable[[Any], Awaitable[object]]]] = [
    ("ExclusiveEvent", ExclusiveEvent, lambda e: e.wait()),
    ("ExclusiveBox", ExclusiveBox, lambda b: b.get()),
    ("UnqueuedRepeatedEvent", UnqueuedRepeatedEvent, lambda e: e.__anext__()),
    ("MailboxRepeatedEvent", MailboxRepeatedEvent, lambda e: e.__anext__()),
    ("Queue async for", Queue, lambda q: q.__anext__()),
    (
        "AsyncValue.eventual_values",
        lambda: AsyncValue(0),
        lambda v: v.eventual_values(bool).__anext__(),
    ),
    ("AsyncValue.transitions", lambda: AsyncValue(0), lambda v: v.transitions().__anext__()),
]
ALL_WAITS = [(s.name, s.make, s.wait) for s in SPECS] + SINGLE_WAITER


@pytest.mark.parametrize(("name", "make", "wait"), ALL_WAITS, ids=[w[0] for w in ALL_WAITS])
@pytest.mark.parametrize("layers", [0, 1, 2])
def test_a_parked_task_collected_with_its_primitive_leaves_no_noise(
    name: str, make: Callable[[], Any], wait: Callable[[Any], Awaitable[object]], layers: int
) -> None:
    # Python closes the coroutines of garbage tasks; waiting generators must not turn
    # that into "Exception ignored ..." messages, however deep they are awaited.
    problems: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = problems.append
    try:
        for _ in range(3):
            obj = make()

            async def main(aw: Awaitable[object]) -> None:
                await aw

            start(main(LAYERS[layers](wait(obj))))
            del obj
            gc.collect()
    finally:
        sys.unraisablehook = previous
    assert problems == []
