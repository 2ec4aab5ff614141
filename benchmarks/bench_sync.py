"""gearwork-sync against asyncgui 1.0, asyncgui-ext-queue 0.3.2 and asyncio.

Scenarios:

``sync: event ping (1 waiter)``
    one task loops on ``await event.wait()``; the operation is
    ``event.fire()``. gearwork's and asyncgui's ``Event``; asyncio sets an
    ``asyncio.Event`` that the waiter clears.
``sync: exclusive event ping (1 waiter)``
    the same with ``ExclusiveEvent`` (gearwork and asyncgui).
``sync: ExclusiveBox vs Box (gearwork)``
    one task loops on ``await box.get()`` then ``box.clear()``; the operation
    is ``box.put(1)``. gearwork only (asyncgui's Box has no exclusive form):
    shows what the exclusive variant saves.
``sync: event ping with an argument``
    the event ping, firing ``event.fire(1)``: the common GUI case of a
    callback that passes the widget or the event object.
``sync: broadcast to 1,000 waiters (per woken task)``
    1,000 tasks loop on ``await event.wait()``; one ``fire()`` wakes them
    all and each waits again. asyncio wakes 1,000 tasks awaiting one
    future, which each then await the next one.
``sync: queue round trip (per item)``
    a consumer task loops on ``await queue.get()``; a producer task puts
    1,000 items with ``await queue.put(i)`` into a queue of size 1.
    asyncgui-ext-queue's ``Queue(capacity=1)``; asyncio's ``Queue(1)``.
``sync: queue, producer blocked on a full queue (per item)``
    a producer task loops on ``await queue.put(i)`` into a full queue of
    size 1; a consumer task gets 1,000 items, each get letting the blocked
    producer's next item in.

Memory (traced bytes per unit, for n units; the harness picks n):

``sync: bytes per task parked on an event``
    n tasks each waiting on one shared event (task, coroutine, wait frames
    and the event's bookkeeping).
``sync: bytes per task parked on its own event``
    n tasks each waiting on an event of its own, made for it (the pattern of
    one event per widget or per request): the task, its frames and a whole
    event with one waiter.
``sync: bytes per Event with no waiter``
    n events that nobody waits for.

asyncio runs its cases in batches inside one ``run_until_complete`` and
reports per unit of work.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Callable
from typing import Any

import asyncgui
from asyncgui_ext.queue import Queue as AgQueue
from harness import Case, MemoryCase, Target

import gearwork.core as gw
import gearwork.sync as gws

BATCH = 1000
WAITERS = 1000


_loops: list[asyncio.AbstractEventLoop] = []
_keep: list[object] = []


@atexit.register
def _close_loops() -> None:
    """Cancel the tasks still parked in the asyncio loops, quietly, and close the loops."""
    for loop in _loops:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.close()


def _asyncio_batch(setup: Callable[[], Any]) -> Callable[[], object]:
    """Run ``await batch()`` in one loop; *setup* runs inside the loop and returns batch."""
    loop = asyncio.new_event_loop()
    _loops.append(loop)

    async def prepare() -> Any:
        return await setup()

    batch = loop.run_until_complete(prepare())
    _keep.append(batch)  # its tasks stay alive until _close_loops() cancels them
    return lambda: loop.run_until_complete(batch())


# -- event ping -------------------------------------------------------------------


def _ping(event: Any, start: Callable[[Any], object]) -> Any:
    async def waiter() -> None:
        wait = event.wait
        while True:
            await wait()

    start(waiter())
    return event


def gw_event_ping() -> Callable[[], object]:
    return _ping(gws.Event(), gw.start).fire  # type: ignore[no-any-return]


def ag_event_ping() -> Callable[[], object]:
    return _ping(asyncgui.Event(), asyncgui.start).fire  # type: ignore[no-any-return]


def gw_exclusive_ping() -> Callable[[], object]:
    return _ping(gws.ExclusiveEvent(), gw.start).fire  # type: ignore[no-any-return]


def ag_exclusive_ping() -> Callable[[], object]:
    return _ping(asyncgui.ExclusiveEvent(), asyncgui.start).fire  # type: ignore[no-any-return]


def _box_ping(box: Any) -> Callable[[], object]:
    async def getter() -> None:
        get, clear = box.get, box.clear
        while True:
            await get()
            clear()

    gw.start(getter())
    put = box.put
    return lambda: put(1)


def gw_box_ping() -> Callable[[], object]:
    return _box_ping(gws.Box())


def gw_exclusive_box_ping() -> Callable[[], object]:
    return _box_ping(gws.ExclusiveBox())


def gw_event_ping_arg() -> Callable[[], object]:
    fire = _ping(gws.Event(), gw.start).fire
    return lambda: fire(1)


def ag_event_ping_arg() -> Callable[[], object]:
    fire = _ping(asyncgui.Event(), asyncgui.start).fire
    return lambda: fire(1)


def aio_event_ping() -> Callable[[], object]:
    async def setup() -> Callable[[], Any]:
        event = asyncio.Event()

        async def waiter() -> None:
            while True:
                await event.wait()
                event.clear()

        _keep.append(asyncio.get_running_loop().create_task(waiter()))
        await asyncio.sleep(0)

        async def batch() -> None:
            set_, sleep = event.set, asyncio.sleep
            for _ in range(BATCH):
                set_()
                await sleep(0)

        return batch

    return _asyncio_batch(setup)


# -- broadcast --------------------------------------------------------------------


def _broadcast(event: Any, start: Callable[[Any], object]) -> Any:
    async def waiter() -> None:
        wait = event.wait
        while True:
            await wait()

    for _ in range(WAITERS):
        start(waiter())
    return event.fire


def gw_broadcast() -> Callable[[], object]:
    return _broadcast(gws.Event(), gw.start)  # type: ignore[no-any-return]


def ag_broadcast() -> Callable[[], object]:
    return _broadcast(asyncgui.Event(), asyncgui.start)  # type: ignore[no-any-return]


def aio_broadcast() -> Callable[[], object]:
    async def setup() -> Callable[[], Any]:
        loop = asyncio.get_running_loop()
        holder = [loop.create_future()]

        async def waiter() -> None:
            while True:
                await holder[0]

        _keep.extend(loop.create_task(waiter()) for _ in range(WAITERS))
        await asyncio.sleep(0)

        async def batch() -> None:
            old = holder[0]
            holder[0] = loop.create_future()
            old.set_result(None)
            await asyncio.sleep(0)  # every waiter wakes and awaits the new future

        return batch

    return _asyncio_batch(setup)


# -- queues -----------------------------------------------------------------------


def _round_trip(queue: Any, start: Callable[[Any], object]) -> Callable[[], object]:
    async def consumer() -> None:
        get = queue.get
        while True:
            await get()

    async def producer() -> None:
        put = queue.put
        for i in range(BATCH):
            await put(i)

    start(consumer())
    return lambda: start(producer())


def gw_queue_round_trip() -> Callable[[], object]:
    return _round_trip(gws.Queue(1), gw.start)


def ag_queue_round_trip() -> Callable[[], object]:
    return _round_trip(AgQueue(capacity=1), asyncgui.start)


def aio_queue_round_trip() -> Callable[[], object]:
    async def setup() -> Callable[[], Any]:
        queue: asyncio.Queue[int] = asyncio.Queue(1)

        async def consumer() -> None:
            get = queue.get
            while True:
                await get()

        _keep.append(asyncio.get_running_loop().create_task(consumer()))
        await asyncio.sleep(0)

        async def batch() -> None:
            put = queue.put
            for i in range(BATCH):
                await put(i)

        return batch

    return _asyncio_batch(setup)


def _blocked_producer(queue: Any, start: Callable[[Any], object]) -> Callable[[], object]:
    async def producer() -> None:
        put = queue.put
        i = 0
        while True:
            await put(i)
            i += 1

    async def consumer() -> None:
        get = queue.get
        for _ in range(BATCH):
            await get()

    start(producer())  # fills the queue, then waits in put()
    return lambda: start(consumer())


def gw_queue_blocked_producer() -> Callable[[], object]:
    return _blocked_producer(gws.Queue(1), gw.start)


def ag_queue_blocked_producer() -> Callable[[], object]:
    return _blocked_producer(AgQueue(capacity=1), asyncgui.start)


def aio_queue_blocked_producer() -> Callable[[], object]:
    async def setup() -> Callable[[], Any]:
        queue: asyncio.Queue[int] = asyncio.Queue(1)

        async def producer() -> None:
            i = 0
            while True:
                await queue.put(i)
                i += 1

        _keep.append(asyncio.get_running_loop().create_task(producer()))
        await asyncio.sleep(0)

        async def batch() -> None:
            get = queue.get
            for _ in range(BATCH):
                await get()

        return batch

    return _asyncio_batch(setup)


# -- memory -----------------------------------------------------------------------


def _parked(event: Any, start: Callable[[Any], Any], n: int) -> tuple[object, Callable[[], object]]:
    async def waiter() -> None:
        await event.wait()

    tasks = [start(waiter()) for _ in range(n)]
    return (event, tasks), lambda: [t.cancel() for t in tasks]


def gw_parked(n: int) -> tuple[object, Callable[[], object]]:
    return _parked(gws.Event(), gw.start, n)


def ag_parked(n: int) -> tuple[object, Callable[[], object]]:
    return _parked(asyncgui.Event(), asyncgui.start, n)


def _parked_on_own(
    make_event: Callable[[], Any], start: Callable[[Any], Any], n: int
) -> tuple[object, Callable[[], object]]:
    async def waiter(event: Any) -> None:
        await event.wait()

    tasks = [start(waiter(make_event())) for _ in range(n)]  # each frame holds its event
    return tasks, lambda: [t.cancel() for t in tasks]


def gw_parked_on_own(n: int) -> tuple[object, Callable[[], object]]:
    return _parked_on_own(gws.Event, gw.start, n)


def ag_parked_on_own(n: int) -> tuple[object, Callable[[], object]]:
    return _parked_on_own(asyncgui.Event, asyncgui.start, n)


def gw_idle_events(n: int) -> tuple[object, Callable[[], object]]:
    return [gws.Event() for _ in range(n)], lambda: None


def ag_idle_events(n: int) -> tuple[object, Callable[[], object]]:
    return [asyncgui.Event() for _ in range(n)], lambda: None


def aio_parked(n: int) -> tuple[object, Callable[[], object]]:
    loop = asyncio.new_event_loop()
    event = asyncio.Event()

    async def waiter() -> None:
        await event.wait()

    async def park() -> list[asyncio.Task[None]]:
        tasks = [loop.create_task(waiter()) for _ in range(n)]
        await asyncio.sleep(0)  # every task starts and parks
        return tasks

    tasks = loop.run_until_complete(park())

    def cleanup() -> None:
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()

    return (event, tasks), cleanup


CASES = [
    Case("sync: event ping (1 waiter)", "gearwork", gw_event_ping),
    Case("sync: event ping (1 waiter)", "asyncgui", ag_event_ping),
    Case("sync: event ping (1 waiter)", "asyncio", aio_event_ping, per=BATCH),
    Case("sync: exclusive event ping (1 waiter)", "gearwork", gw_exclusive_ping),
    Case("sync: exclusive event ping (1 waiter)", "asyncgui", ag_exclusive_ping),
    # gearwork against itself: what exclusivity buys (the ratio is ExclusiveEvent / Event).
    Case("sync: ExclusiveEvent vs Event (gearwork)", "gearwork", gw_exclusive_ping),
    Case("sync: ExclusiveEvent vs Event (gearwork)", "gearwork Event", gw_event_ping),
    Case("sync: ExclusiveBox vs Box (gearwork)", "gearwork", gw_exclusive_box_ping),
    Case("sync: ExclusiveBox vs Box (gearwork)", "gearwork Box", gw_box_ping),
    Case("sync: event ping with an argument", "gearwork", gw_event_ping_arg),
    Case("sync: event ping with an argument", "asyncgui", ag_event_ping_arg),
    Case("sync: broadcast to 1,000 waiters (per woken task)", "gearwork", gw_broadcast, WAITERS),
    Case("sync: broadcast to 1,000 waiters (per woken task)", "asyncgui", ag_broadcast, WAITERS),
    Case("sync: broadcast to 1,000 waiters (per woken task)", "asyncio", aio_broadcast, WAITERS),
    Case("sync: queue round trip (per item)", "gearwork", gw_queue_round_trip, BATCH),
    Case("sync: queue round trip (per item)", "asyncgui-ext-queue", ag_queue_round_trip, BATCH),
    Case("sync: queue round trip (per item)", "asyncio", aio_queue_round_trip, BATCH),
    Case("sync: queue, blocked producer (per item)", "gearwork", gw_queue_blocked_producer, BATCH),
    Case(
        "sync: queue, blocked producer (per item)",
        "asyncgui-ext-queue",
        ag_queue_blocked_producer,
        BATCH,
    ),
    Case("sync: queue, blocked producer (per item)", "asyncio", aio_queue_blocked_producer, BATCH),
]

MEMORY_CASES = [
    MemoryCase("sync: bytes per task parked on an event", "gearwork", gw_parked),
    MemoryCase("sync: bytes per task parked on an event", "asyncgui", ag_parked),
    MemoryCase("sync: bytes per task parked on an event", "asyncio", aio_parked),
    MemoryCase("sync: bytes per task parked on its own event", "gearwork", gw_parked_on_own),
    MemoryCase("sync: bytes per task parked on its own event", "asyncgui", ag_parked_on_own),
    MemoryCase("sync: bytes per Event with no waiter", "gearwork", gw_idle_events),
    MemoryCase("sync: bytes per Event with no waiter", "asyncgui", ag_idle_events),
]

TARGETS = [
    Target("sync: event ping (1 waiter)", "asyncgui", 0.8),
    Target("sync: exclusive event ping (1 waiter)", "asyncgui", 0.8),
    Target("sync: broadcast to 1,000 waiters (per woken task)", "asyncgui", 0.8),
    Target("sync: queue round trip (per item)", "asyncgui-ext-queue", 0.8),
    Target("sync: bytes per task parked on an event", "asyncgui", 0.8),
    Target("sync: bytes per task parked on its own event", "asyncgui", 0.8),
    Target("sync: bytes per Event with no waiter", "asyncgui", 1.0),
]
