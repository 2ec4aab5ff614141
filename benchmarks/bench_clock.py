"""gearwork-adapters' Clock against gearwork-sync's Event, the cheapest wake-up gearwork has.

Scenarios:

``clock: one tick wakes 10,000 sleepers (per woken task)``
    10,000 tasks loop on ``await clock.sleep(1.0)``; the operation is
    ``clock.tick(1.0)``, which wakes them all, and each sleeps again (its new
    timer fires at the next tick). The reference: 10,000 tasks looping on
    ``await event.wait()`` of one ``gearwork.sync.Event``, woken by ``fire()``.
``clock: sleep + cancel``
    start a task that sleeps on the clock, then cancel it (its timer leaves
    the clock at once). The reference starts a task waiting on an Event and
    cancels it. asyncio (here), trio and anyio (``bench_trio_anyio.py``) start
    tasks that sleep for a second on their loop's timers and cancel them, in
    batches of 1,000 per run of their loop, reported per task.
``clock: tick with nothing due``
    ``clock.tick(0.001)`` with 1,000 timers pending far in the future: the
    cost of a frame in which nothing happens. Reported, no target.
``sched: run_in_thread round trip``
    a task on a ``SchedHost`` awaits ``run_in_thread(int)`` 100 times: a new
    worker thread per call, whose result wakes the scheduler blocked in its
    delay function (no polling). Reported, no target: it is the thread
    wake-up cost on this host, thread start included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness import Case, Target

import gearwork.core as gw
import gearwork.sync as gws
from gearwork.adapters.clock import Clock
from gearwork.adapters.sched import SchedHost

SLEEPERS = 10_000
ROUND_TRIPS = 100
BATCH = 1000

WAKE_ALL = "clock: one tick wakes 10,000 sleepers (per woken task)"
SLEEP_CANCEL = "clock: sleep + cancel"
IDLE_TICK = "clock: tick with nothing due (1,000 timers pending)"
THREAD = "sched: run_in_thread round trip"

_keep: list[object] = []


def clock_wake_all() -> Callable[[], object]:
    clock = Clock()

    async def sleeper() -> None:
        sleep = clock.sleep
        while True:
            await sleep(1.0)

    for _ in range(SLEEPERS):
        gw.start(sleeper())
    _keep.append(clock)
    tick = clock.tick
    return lambda: tick(1.0)


def event_wake_all() -> Callable[[], object]:
    event = gws.Event()

    async def waiter() -> None:
        wait = event.wait
        while True:
            await wait()

    for _ in range(SLEEPERS):
        gw.start(waiter())
    _keep.append(event)
    return event.fire


def clock_sleep_cancel() -> Callable[[], object]:
    clock = Clock()
    sleep, start = clock.sleep, gw.start
    _keep.append(clock)

    def op() -> None:
        start(sleep(1.0)).cancel()

    return op


def event_wait_cancel() -> Callable[[], object]:
    event = gws.Event()
    wait, start = event.wait, gw.start
    _keep.append(event)

    def op() -> None:
        start(wait()).cancel()

    return op


def aio_sleep_cancel() -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    async def batch() -> None:
        create_task, sleep = loop.create_task, asyncio.sleep
        tasks = [create_task(sleep(1.0)) for _ in range(BATCH)]
        await sleep(0)  # every task starts and arms its timer
        for task in tasks:
            task.cancel()
        await sleep(0)  # every task handles its cancellation
        await sleep(0)

    return lambda: loop.run_until_complete(batch())


def clock_idle_tick() -> Callable[[], object]:
    clock = Clock()
    for i in range(1000):
        clock.call_later(1e9 + i, lambda: None)
    _keep.append(clock)
    tick = clock.tick
    return lambda: tick(0.001)


def sched_thread_round_trip() -> Callable[[], object]:
    host = SchedHost()

    async def batch() -> None:
        run_in_thread = host.run_in_thread
        for _ in range(ROUND_TRIPS):
            await run_in_thread(int)

    return lambda: host.run(batch())


CASES = [
    Case(WAKE_ALL, "gearwork", clock_wake_all, per=SLEEPERS),
    Case(WAKE_ALL, "gearwork Event", event_wake_all, per=SLEEPERS),
    Case(SLEEP_CANCEL, "gearwork", clock_sleep_cancel),
    Case(SLEEP_CANCEL, "gearwork Event", event_wait_cancel),
    Case(SLEEP_CANCEL, "asyncio", aio_sleep_cancel, per=BATCH),
    Case(IDLE_TICK, "gearwork", clock_idle_tick),
    Case(THREAD, "gearwork", sched_thread_round_trip, per=ROUND_TRIPS),
]

TARGETS = [
    Target(WAKE_ALL, "gearwork Event", 1.2),
    Target(SLEEP_CANCEL, "gearwork Event", 2.0),
]
