"""gearwork-core against asyncgui 1.0 (the fastest loop-less peer) and asyncio.

Scenarios:

``core: start+finish``
    start a task whose coroutine returns at once.
``core: suspend/resume``
    one suspension and one resumption of a waiting task, through each
    library's cheapest *public* way: ``await sleep_forever()`` +
    ``task.step()`` in gearwork, ``ExclusiveEvent`` in asyncgui (its task
    resumption method is private), ``await asyncio.sleep(0)`` in asyncio.
``core: resume via the task (same mechanism)``
    gearwork's ``task.step()`` against asyncgui's private ``task._step()``,
    both resuming ``await sleep_forever()``: the two mechanisms compared
    directly, for transparency.
``core: start+cancel``
    start a task that suspends, then cancel it.
``core: suspend/resume, own context (opt-in cost)``
    gearwork's resume of a task created with ``context=copy_context()``
    against the default (no context): why a per-task context is opt-in.

asyncio runs its cases in batches of 1,000 inside one ``run_until_complete``
and reports per task.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

import asyncgui
from harness import Case, Target

import gearwork.core as gw

BATCH = 1000


async def _nop() -> None:
    pass


# -- gearwork -------------------------------------------------------------------


def gw_start_finish() -> Callable[[], object]:
    start = gw.start
    return lambda: start(_nop())


def gw_suspend_resume() -> Callable[[], object]:
    async def waiter() -> None:
        sleep_forever = gw.sleep_forever
        while True:
            await sleep_forever()

    return gw.start(waiter()).step


def gw_suspend_resume_in_context() -> Callable[[], object]:
    async def waiter() -> None:
        sleep_forever = gw.sleep_forever
        while True:
            await sleep_forever()

    return gw.start(waiter(), context=contextvars.copy_context()).step


def gw_start_cancel() -> Callable[[], object]:
    start, sleep_forever = gw.start, gw.sleep_forever

    async def sleeper() -> None:
        await sleep_forever()

    return lambda: start(sleeper()).cancel()


# -- asyncgui ------------------------------------------------------------------


def ag_start_finish() -> Callable[[], object]:
    start = asyncgui.start
    return lambda: start(_nop())


def ag_suspend_resume() -> Callable[[], object]:
    event = asyncgui.ExclusiveEvent()

    async def waiter() -> None:
        wait = event.wait
        while True:
            await wait()

    asyncgui.start(waiter())
    return event.fire


def ag_private_step() -> Callable[[], object]:
    async def waiter() -> None:
        sleep_forever = asyncgui.sleep_forever
        while True:
            await sleep_forever()

    return asyncgui.start(waiter())._step  # type: ignore[no-any-return]


def ag_start_cancel() -> Callable[[], object]:
    start, sleep_forever = asyncgui.start, asyncgui.sleep_forever

    async def sleeper() -> None:
        await sleep_forever()

    return lambda: start(sleeper()).cancel()


# -- asyncio -------------------------------------------------------------------


def _asyncio_batch(body: Callable[[], object]) -> Callable[[], object]:
    loop = asyncio.new_event_loop()
    return lambda: loop.run_until_complete(body())  # type: ignore[arg-type]


def aio_start_finish() -> Callable[[], object]:
    async def batch() -> None:
        create_task = asyncio.get_running_loop().create_task
        tasks = [create_task(_nop()) for _ in range(BATCH)]
        for task in tasks:
            await task

    return _asyncio_batch(batch)


def aio_suspend_resume() -> Callable[[], object]:
    async def batch() -> None:
        sleep = asyncio.sleep
        for _ in range(BATCH):
            await sleep(0)

    return _asyncio_batch(batch)


def aio_start_cancel() -> Callable[[], object]:
    async def sleeper() -> None:
        await asyncio.get_running_loop().create_future()

    async def batch() -> None:
        create_task = asyncio.get_running_loop().create_task
        tasks = [create_task(sleeper()) for _ in range(BATCH)]
        await asyncio.sleep(0)  # every task starts and suspends
        for task in tasks:
            task.cancel()
        await asyncio.sleep(0)  # every task handles its cancellation
        await asyncio.sleep(0)

    return _asyncio_batch(batch)


CASES = [
    Case("core: start+finish", "gearwork", gw_start_finish),
    Case("core: start+finish", "asyncgui", ag_start_finish),
    Case("core: start+finish", "asyncio", aio_start_finish, per=BATCH),
    Case("core: suspend/resume", "gearwork", gw_suspend_resume),
    Case("core: suspend/resume", "asyncgui", ag_suspend_resume),
    Case("core: suspend/resume", "asyncio", aio_suspend_resume, per=BATCH),
    Case("core: resume via the task (same mechanism)", "gearwork", gw_suspend_resume),
    Case("core: resume via the task (same mechanism)", "asyncgui", ag_private_step),
    Case("core: suspend/resume, own context (opt-in cost)", "gearwork", gw_suspend_resume),
    Case(
        "core: suspend/resume, own context (opt-in cost)",
        "gearwork+context",
        gw_suspend_resume_in_context,
    ),
    Case("core: start+cancel", "gearwork", gw_start_cancel),
    Case("core: start+cancel", "asyncgui", ag_start_cancel),
    Case("core: start+cancel", "asyncio", aio_start_cancel, per=BATCH),
]

TARGETS = [
    Target("core: start+finish", "asyncgui", 0.8),
    Target("core: suspend/resume", "asyncgui", 0.8),
    Target("core: start+cancel", "asyncgui", 0.8),
]
