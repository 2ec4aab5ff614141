"""Stress: many items, many tasks, deep chains; nothing lost, memory flat, nothing warns.

The full sizes are marked ``slow`` (``nox -s stress``); the default run uses small sizes
of the same code. ``retained_bytes``, ``report_figure`` and ``unraisable`` come from
conftest.py.
"""

from __future__ import annotations

import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gearwork.core import Task, start
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

pytestmark = pytest.mark.usefixtures("frozen_heap")  # fast gc.collect(): see conftest.py

# Memory allowed to remain after a run, whatever its size: caches warming up, interned
# names, and a long-lived deque keeping freed blocks for reuse (CPython caches up to 16
# blocks, about 8 KiB, per deque: bounded, whatever the run's size).
SLACK_BYTES = 64 * 1024

Retained = Callable[[Callable[[], object]], int]
Report = Callable[[str], None]


def sizes(small: int, full: int) -> list[Any]:
    return [small, pytest.param(full, marks=pytest.mark.slow)]


# -- a bounded queue between producers and consumers driven by hand -------------------

PRODUCERS = 4
CONSUMERS = 3
MAXSIZE = 8
MAX_BURST = 24  # > MAXSIZE: producers fill the queue and block, consumers drain it and block


@dataclass
class _Run:
    seconds: float = 0.0
    blocked_puts: int = 0
    blocked_gets: int = 0


def _pump_items_through_a_bounded_queue(n: int, seed: int) -> _Run:
    """Producers and consumers each wait at a gate of their own; the driver opens gates
    at random with a burst size ("put/get k items"). A producer whose burst does not fit
    blocks in ``put``, a consumer whose burst finds the queue empty blocks in ``get``;
    only the other side can unblock them.

    Every item is checked as it arrives: it must be the one whose ``put`` was called
    earliest among those not delivered yet (total FIFO by put-call order), hence also the
    next of its producer. The check needs O(maxsize) memory, so a long run stays flat.
    """
    quota = n // PRODUCERS
    assert quota * PRODUCERS == n
    queue: Queue[int] = Queue(MAXSIZE)
    put_calls: deque[int] = deque()  # items whose put() was called, not delivered yet
    next_seq = [0] * PRODUCERS
    got = [0]
    bad: list[str] = []
    stats = _Run()
    producer_gates = [ExclusiveEvent() for _ in range(PRODUCERS)]
    consumer_gates = [ExclusiveEvent() for _ in range(CONSUMERS)]
    producer_at_gate = [False] * PRODUCERS
    consumer_at_gate = [False] * CONSUMERS

    async def producer(p: int) -> None:
        gate = producer_gates[p]
        seq = 0
        while seq < quota:
            producer_at_gate[p] = True
            (burst,), _ = await gate.wait()
            producer_at_gate[p] = False
            for _ in range(burst):
                item = seq * PRODUCERS + p
                put_calls.append(item)
                if queue.full():
                    stats.blocked_puts += 1
                await queue.put(item)
                seq += 1

    async def consumer(c: int) -> None:
        gate = consumer_gates[c]
        while True:
            consumer_at_gate[c] = True
            (burst,), _ = await gate.wait()
            consumer_at_gate[c] = False
            for _ in range(burst):
                if queue.empty():
                    stats.blocked_gets += 1
                item = await queue.get()
                expected = put_calls.popleft()
                p = item % PRODUCERS
                if item != expected or item // PRODUCERS != next_seq[p]:
                    bad.append(f"got {item}, expected {expected} (producer {p} at {next_seq[p]})")
                next_seq[p] += 1
                got[0] += 1
                queue.task_done()

    rng = random.Random(seed)
    producer_left = [quota] * PRODUCERS  # items not yet asked of each producer
    consumer_budget = n  # items not yet asked of the consumers
    began = time.perf_counter()
    consumers = [start(consumer(c)) for c in range(CONSUMERS)]
    producers = [start(producer(p)) for p in range(PRODUCERS)]
    while got[0] < n and not bad:
        burst = rng.randint(1, MAX_BURST)
        if rng.random() < 0.5:
            p = rng.randrange(PRODUCERS)
            if producer_at_gate[p] and producer_left[p]:
                burst = min(burst, producer_left[p])
                producer_left[p] -= burst
                producer_gates[p].fire(burst)
        else:
            c = rng.randrange(CONSUMERS)
            if consumer_at_gate[c] and consumer_budget:
                burst = min(burst, consumer_budget)
                consumer_budget -= burst
                consumer_gates[c].fire(burst)
    stats.seconds = time.perf_counter() - began

    assert bad == []
    assert got[0] == n
    assert not put_calls
    assert next_seq == [quota] * PRODUCERS
    assert all(t.finished for t in producers)
    assert all(consumer_at_gate)
    for task in consumers:
        task.cancel()
    assert all(t.cancelled for t in consumers)
    assert queue.empty() and queue.qsize() == 0

    async def join() -> None:
        await queue.join()

    assert start(join()).finished  # every item was marked done: nothing unfinished
    assert "getters=0 putters=0 unfinished=0" in repr(queue)
    return stats


@pytest.mark.parametrize("n", sizes(10_000, 1_000_000))
def test_items_through_a_bounded_queue_arrive_exactly_once_in_put_order(
    n: int, retained_bytes: Retained, report_figure: Report, unraisable: list[object]
) -> None:
    runs: list[_Run] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        retained = retained_bytes(lambda: runs.append(_pump_items_through_a_bounded_queue(n, n)))
    assert caught == []
    assert unraisable == []
    assert retained < SLACK_BYTES
    first = runs[0]  # the untraced run: tracemalloc slows the second one down
    # Both ways of blocking happened, many times: the test is not a plain hand-over.
    assert first.blocked_puts > n // 20
    assert first.blocked_gets > n // 20
    report_figure(
        f"sync: {n:,} items through Queue(maxsize={MAXSIZE}), {PRODUCERS} producers x "
        f"{CONSUMERS} consumers: {n / first.seconds:,.0f} items/s "
        f"({first.blocked_puts:,} blocked puts, {first.blocked_gets:,} blocked gets), "
        f"exactly once in put order; {retained:,} B retained"
    )


# -- many tasks parked on one event ---------------------------------------------------


@pytest.mark.parametrize("n", sizes(10_000, 100_000))
def test_many_tasks_parked_on_one_event_all_resume_in_order_on_one_fire(
    n: int, retained_bytes: Retained, report_figure: Report
) -> None:
    fire_seconds: list[float] = []

    def run() -> None:
        event = Event()
        resumed = [0]
        out_of_order: list[int] = []

        async def waiter(i: int) -> None:
            await event.wait()
            if resumed[0] != i:
                out_of_order.append(i)
            resumed[0] += 1

        tasks = [start(waiter(i)) for i in range(n)]
        assert resumed[0] == 0
        began = time.perf_counter()
        event.fire()
        fire_seconds.append(time.perf_counter() - began)
        assert out_of_order == []
        assert resumed[0] == n
        assert all(t.finished for t in tasks)
        assert repr(event) == "<Event waiters=0>"

    retained = retained_bytes(run)
    assert retained < SLACK_BYTES
    report_figure(
        f"sync: {n:,} tasks parked on one Event, one fire: all resumed in order, "
        f"{n / fire_seconds[0]:,.0f} wake-ups/s; {retained:,} B retained"
    )


def _ordered(tasks: list[Task[None]], order: str) -> Iterator[Task[None]]:
    if order == "oldest first":
        return iter(tasks)
    if order == "newest first":
        return reversed(tasks)
    shuffled = list(tasks)
    random.Random(len(tasks)).shuffle(shuffled)
    return iter(shuffled)


ORDERS = ["oldest first", "newest first", "shuffled"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("n", sizes(10_000, 100_000))
def test_many_tasks_parked_on_one_event_then_cancelled_leave_nothing_behind(
    n: int, order: str, retained_bytes: Retained, report_figure: Report
) -> None:
    # One event for both runs: if cancelled waiters left tombstones (or anything) behind,
    # the second run would retain them, and the late waiter below would find them.
    event = Event()
    woken: list[int] = []

    async def waiter(i: int) -> None:
        await event.wait()
        woken.append(i)

    def run() -> None:
        tasks = [start(waiter(i)) for i in range(n)]
        assert repr(event) == f"<Event waiters={n}>"
        for task in _ordered(tasks, order):
            task.cancel()
        assert all(t.cancelled for t in tasks)
        assert repr(event) == "<Event waiters=0>"

    retained = retained_bytes(run)
    assert retained < SLACK_BYTES
    late = [start(waiter(-1)), start(waiter(-2))]
    event.fire()
    assert woken == [-1, -2]  # only the new waiters, in order
    assert all(t.finished for t in late)
    report_figure(
        f"sync: {n:,} tasks parked on one Event then cancelled ({order}), x2 runs: "
        f"{retained:,} B retained"
    )


# -- every multi-waiter primitive: park many, cancel them all ----------------------------


@dataclass(frozen=True)
class Parking:
    """How to park a task on a primitive, and how to let one parked task go."""

    name: str
    make: Callable[[], Any]
    wait: Callable[[Any], Awaitable[object]]
    release_one: Callable[[Any], object]


def _full_queue() -> Queue[int]:
    queue: Queue[int] = Queue(1)
    queue.put_nowait(-1)
    return queue


def _queue_with_unfinished_work() -> Queue[int]:
    queue: Queue[int] = Queue()
    queue.put_nowait(0)
    queue.put_nowait(1)
    queue.get_nowait()
    return queue


def _finish_work(queue: Queue[int]) -> None:
    queue.task_done()  # one of two items done: nobody wakes
    queue.get_nowait()
    queue.task_done()  # now every item is done


def _set(value: AsyncValue[int]) -> None:
    value.value = 1


def _set_key(mapping: AsyncDictionary[str, int]) -> None:
    mapping["key"] = 1


def _put_again(queue: Queue[int]) -> None:
    queue.get_nowait()  # admits the late putter (it finishes); its item stays
    queue.get_nowait()  # the late putter's item


PARKINGS = [
    Parking("Event", Event, lambda e: e.wait(), lambda e: e.fire()),
    Parking("StatefulEvent", StatefulEvent, lambda e: e.wait(), lambda e: e.fire()),
    Parking("Box", Box, lambda b: b.get(), lambda b: b.put()),
    Parking("Queue.get", Queue, lambda q: q.get(), lambda q: q.put_nowait(0)),
    Parking("PriorityQueue.get", PriorityQueue, lambda q: q.get(), lambda q: q.put_nowait(0)),
    Parking("Queue.put", _full_queue, lambda q: q.put(0), _put_again),
    Parking("Queue.join", _queue_with_unfinished_work, lambda q: q.join(), _finish_work),
    Parking("Future", Future, lambda f: f, lambda f: f.set_result(None)),
    Parking("AsyncValue.wait_value", lambda: AsyncValue(0), lambda v: v.wait_value(1), _set),
    Parking(
        "AsyncValue.wait_transition", lambda: AsyncValue(0), lambda v: v.wait_transition(), _set
    ),
    Parking("AsyncDictionary.get_wait", AsyncDictionary, lambda d: d.get_wait("key"), _set_key),
    Parking("AsyncDictionary.pop_wait", AsyncDictionary, lambda d: d.pop_wait("key"), _set_key),
]


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
@pytest.mark.parametrize("n", sizes(2_000, 20_000))
@pytest.mark.parametrize("parking", PARKINGS, ids=[p.name for p in PARKINGS])
def test_many_tasks_parked_on_a_primitive_then_cancelled_leave_nothing_behind(
    parking: Parking, n: int, order: str, retained_bytes: Retained, report_figure: Report
) -> None:
    obj = parking.make()  # lives across both runs, as in the Event test above
    woken: list[int] = []
    cancel_seconds: list[float] = []

    async def waiter(i: int) -> None:
        await parking.wait(obj)
        woken.append(i)

    def run() -> None:
        tasks = [start(waiter(i)) for i in range(n)]
        began = time.perf_counter()
        for task in _ordered(tasks, order):
            task.cancel()
        cancel_seconds.append(time.perf_counter() - began)
        assert all(t.cancelled for t in tasks)

    retained = retained_bytes(run)
    assert retained < SLACK_BYTES
    assert woken == []
    late = start(waiter(-1))
    parking.release_one(obj)
    assert woken == [-1]
    assert late.finished
    report_figure(
        f"sync: {n:,} tasks parked on {parking.name} then cancelled ({order}): "
        f"{cancel_seconds[0] * 1e3:,.0f} ms to cancel; {retained:,} B retained"
    )


# -- deep chains: task i waits on primitive i, then releases primitive i+1 -------------


@dataclass(frozen=True)
class Link:
    name: str
    make: Callable[[], Any]
    wait: Callable[[Any], Awaitable[object]]
    release: Callable[[Any], object]


def _admit_one(queue: Queue[int]) -> None:
    queue.get_nowait()


def _increment(value: AsyncValue[int]) -> None:
    value.value += 1


def _set_true(value: AsyncBool) -> None:
    value.value = True


LINKS = [
    Link("Event", Event, lambda e: e.wait(), lambda e: e.fire()),
    Link("ExclusiveEvent", ExclusiveEvent, lambda e: e.wait(), lambda e: e.fire()),
    Link("StatefulEvent", StatefulEvent, lambda e: e.wait(), lambda e: e.fire()),
    Link("Box", Box, lambda b: b.get(), lambda b: b.put()),
    Link("ExclusiveBox", ExclusiveBox, lambda b: b.get(), lambda b: b.put()),
    Link("Queue.get", Queue, lambda q: q.get(), lambda q: q.put_nowait(0)),
    Link("LifoQueue.get", LifoQueue, lambda q: q.get(), lambda q: q.put_nowait(0)),
    Link("PriorityQueue.get", PriorityQueue, lambda q: q.get(), lambda q: q.put_nowait(0)),
    Link("Queue.put", _full_queue, lambda q: q.put(0), _admit_one),
    Link("Queue.join", _queue_with_unfinished_work, lambda q: q.join(), _finish_work),
    Link("Future", Future, lambda f: f, lambda f: f.set_result(None)),
    Link("AsyncValue.wait_value", lambda: AsyncValue(0), lambda v: v.wait_value(1), _set),
    Link(
        "AsyncValue.wait_transition",
        lambda: AsyncValue(0),
        lambda v: v.wait_transition(),
        _increment,
    ),
    Link("AsyncBool.wait_value", AsyncBool, lambda v: v.wait_value(True), _set_true),
    Link("AsyncDictionary.get_wait", AsyncDictionary, lambda d: d.get_wait("key"), _set_key),
    Link("AsyncDictionary.pop_wait", AsyncDictionary, lambda d: d.pop_wait("key"), _set_key),
    Link(
        "UnqueuedRepeatedEvent",
        UnqueuedRepeatedEvent,
        lambda e: e.__anext__(),
        lambda e: e.set(),
    ),
    Link(
        "MailboxRepeatedEvent",
        MailboxRepeatedEvent,
        lambda e: e.__anext__(),
        lambda e: e.set(),
    ),
]


# 2,000 links already nest far deeper than Python's recursion limit would allow if each
# wake-up recursed; the full size is the 100,000.
@pytest.mark.parametrize("links", sizes(2_000, 100_000))
@pytest.mark.parametrize("link", LINKS, ids=[k.name for k in LINKS])
def test_deep_chains_through_each_primitive_complete_from_one_call(
    link: Link, links: int, retained_bytes: Retained, report_figure: Report
) -> None:
    seconds: list[float] = []

    async def step(i: int, objs: list[Any], order: list[int]) -> None:
        await link.wait(objs[i])
        order.append(i)
        link.release(objs[i + 1])

    def run() -> None:
        objs = [link.make() for _ in range(links + 1)]
        order: list[int] = []
        tasks = [start(step(i, objs, order)) for i in range(links)]
        assert order == []
        began = time.perf_counter()
        link.release(objs[0])  # one top-level call runs the whole chain
        seconds.append(time.perf_counter() - began)
        assert order == list(range(links))
        assert all(t.finished for t in tasks)

    retained = retained_bytes(run)  # a RecursionError would fail the run
    assert retained < SLACK_BYTES
    report_figure(
        f"sync: {links:,}-link chain through {link.name}: {seconds[0] * 1e3:,.0f} ms, "
        f"no RecursionError; {retained:,} B retained"
    )
