"""gearwork-nursery against asyncgui 1.0 (the fastest loop-less peer) and asyncio.

Every scenario times a whole cycle: a parent task is started, runs the
structured-concurrency construct, and is driven to its end by event fires
(or a cancel), exactly as a GUI callback would drive it. Children are
``async def`` functions awaiting an event, as in real code.

``nursery: wait_any of 2``
    ``await wait_any(a(), b())``; ``a`` waits on event 1, ``b`` on event 2.
    Firing event 1 finishes ``a``, which cancels ``b`` and resumes the parent.
``nursery: wait_all of 3``
    ``await wait_all(child(), child(), child())``, the three waiting on one
    event; one fire completes them all.
``nursery: 100 children``
    ``async with open_nursery()``, 100 children started, each waiting on one
    shared event; one fire completes them all and the nursery exits. Reported
    per child.
``nursery: wait_all of 3, looping on e.wait()``
    a long-lived parent loops on ``await wait_all(e.wait(), e.wait(),
    e.wait())`` on one shared ``Event`` (gearwork-sync's, asyncgui's); the
    operation is one ``e.fire()``. The awaitables are the events' own
    ``wait()`` objects, passed straight in, as users write it.
``nursery: 100 children, looping on e.wait()``
    a long-lived parent loops on ``async with open_nursery() as n:``,
    starting 100 children that are ``e.wait()`` of one shared ``Event``, then
    waits at the block's exit; the operation is one ``e.fire()``, reported
    per child.
``nursery: cancel``
    a parent inside ``wait_any`` of two waiting children is cancelled: the
    children are cancelled, then the parent.
``nursery: cancel (open_nursery)``
    the same with an ``open_nursery`` block holding two children.
``nursery: move_on_when``
    ``async with move_on_when(a()):`` around a block waiting on another
    event; ``a`` finishing cancels the block.
``nursery: run_as_daemon``
    ``async with run_as_daemon(a()):`` around a block that ends on an event
    fire; ``a`` is cancelled.

The events are the cheapest each library offers: asyncgui's ``ExclusiveEvent``
and ``Event``; for gearwork, the same two shapes written on the public
suspension protocol of gearwork-core (gearwork-nursery does not depend on
gearwork-sync). asyncio runs batches of cycles inside one
``run_until_complete`` (``TaskGroup`` on 3.11+, ``gather`` before) and reports
per cycle.
"""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Callable, Coroutine, Generator
from typing import Any

import asyncgui
from harness import Case, Target

import gearwork.core as gw
import gearwork.nursery as gwn
import gearwork.sync as gws
from gearwork.core.lowlevel import Registrar, Resumption

BATCH = 200
N_CHILDREN = 100
WAIT_ALL_LOOP = "nursery: wait_all of 3, looping on e.wait()"
CHILDREN_LOOP = "nursery: 100 children, looping on e.wait()"

_keep: list[object] = []  # the long-lived parents of the looping scenarios


# -- events on gearwork's public suspension protocol ------------------------------------


class _GwExclusiveEvent:
    """One waiter at a time; the shape of asyncgui's ExclusiveEvent."""

    __slots__ = ("_task",)

    def __init__(self) -> None:
        self._task: gw.Task[Any] | None = None

    def fire(self) -> None:
        task = self._task
        if task is not None:
            task.step()

    def _attach(self, task: gw.Task[Any]) -> None:
        self._task = task

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        try:
            return (yield self._attach)
        finally:
            self._task = None


class _GwEvent:
    """Many waiters; the shape of asyncgui's Event."""

    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: list[gw.Task[Any] | None] = []

    def fire(self) -> None:
        tasks = self._tasks
        if tasks:
            self._tasks = []
            for task in tasks:
                if task is not None:
                    task.step()

    @types.coroutine
    def wait(self) -> Generator[Registrar, Resumption, Resumption]:
        tasks = self._tasks
        index = len(tasks)
        try:
            return (yield tasks.append)
        finally:
            tasks[index] = None


# -- gearwork -------------------------------------------------------------------


def gw_wait_any_2() -> Callable[[], object]:
    start, wait_any = gw.start, gwn.wait_any
    e1, e2 = _GwExclusiveEvent(), _GwExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        await wait_any(a(), b())

    def cycle() -> None:
        start(parent())
        e1.fire()

    return cycle


def gw_wait_all_3() -> Callable[[], object]:
    start, wait_all = gw.start, gwn.wait_all
    e = _GwEvent()

    async def child() -> None:
        await e.wait()

    async def parent() -> None:
        await wait_all(child(), child(), child())

    def cycle() -> None:
        start(parent())
        e.fire()

    return cycle


def gw_children() -> Callable[[], object]:
    start, open_nursery = gw.start, gwn.open_nursery
    e = _GwEvent()

    async def child() -> None:
        await e.wait()

    async def parent() -> None:
        async with open_nursery() as nursery:
            spawn = nursery.start
            for _ in range(N_CHILDREN):
                spawn(child())

    def cycle() -> None:
        start(parent())
        e.fire()

    return cycle


def gw_wait_all_3_loop() -> Callable[[], object]:
    wait_all = gwn.wait_all
    e = gws.Event()
    wait = e.wait

    async def parent() -> None:
        while True:
            await wait_all(wait(), wait(), wait())

    _keep.append(gw.start(parent()))
    return e.fire


def gw_children_loop() -> Callable[[], object]:
    open_nursery = gwn.open_nursery
    e = gws.Event()
    wait = e.wait

    async def parent() -> None:
        while True:
            async with open_nursery() as nursery:
                spawn = nursery.start
                for _ in range(N_CHILDREN):
                    spawn(wait())

    _keep.append(gw.start(parent()))
    return e.fire


def gw_cancel() -> Callable[[], object]:
    start, wait_any = gw.start, gwn.wait_any
    e1, e2 = _GwExclusiveEvent(), _GwExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        await wait_any(a(), b())

    return lambda: start(parent()).cancel()


def gw_cancel_nursery() -> Callable[[], object]:
    start, open_nursery, sleep_forever = gw.start, gwn.open_nursery, gw.sleep_forever
    e1, e2 = _GwExclusiveEvent(), _GwExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        async with open_nursery() as nursery:
            nursery.start(a())
            nursery.start(b())
            await sleep_forever()

    return lambda: start(parent()).cancel()


def gw_move_on_when() -> Callable[[], object]:
    start, move_on_when = gw.start, gwn.move_on_when
    e1, e2 = _GwExclusiveEvent(), _GwExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def parent() -> None:
        async with move_on_when(a()):
            await e2.wait()

    def cycle() -> None:
        start(parent())
        e1.fire()

    return cycle


def gw_run_as_daemon() -> Callable[[], object]:
    start, run_as_daemon = gw.start, gwn.run_as_daemon
    e1, e2 = _GwExclusiveEvent(), _GwExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def parent() -> None:
        async with run_as_daemon(a()):
            await e2.wait()

    def cycle() -> None:
        start(parent())
        e2.fire()

    return cycle


# -- asyncgui ------------------------------------------------------------------


def ag_wait_any_2() -> Callable[[], object]:
    start, wait_any = asyncgui.start, asyncgui.wait_any
    e1, e2 = asyncgui.ExclusiveEvent(), asyncgui.ExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        await wait_any(a(), b())

    def cycle() -> None:
        start(parent())
        e1.fire()

    return cycle


def ag_wait_all_3() -> Callable[[], object]:
    start, wait_all = asyncgui.start, asyncgui.wait_all
    e = asyncgui.Event()

    async def child() -> None:
        await e.wait()

    async def parent() -> None:
        await wait_all(child(), child(), child())

    def cycle() -> None:
        start(parent())
        e.fire()

    return cycle


def ag_wait_all_3_loop() -> Callable[[], object]:
    wait_all = asyncgui.wait_all
    e = asyncgui.Event()
    wait = e.wait

    async def parent() -> None:
        while True:
            await wait_all(wait(), wait(), wait())

    _keep.append(asyncgui.start(parent()))
    return e.fire


def ag_children_loop() -> Callable[[], object]:
    open_nursery = asyncgui.open_nursery
    e = asyncgui.Event()
    wait = e.wait

    async def parent() -> None:
        while True:
            async with open_nursery() as nursery:
                spawn = nursery.start
                for _ in range(N_CHILDREN):
                    spawn(wait())

    _keep.append(asyncgui.start(parent()))
    return e.fire


def ag_children() -> Callable[[], object]:
    start, open_nursery = asyncgui.start, asyncgui.open_nursery
    e = asyncgui.Event()

    async def child() -> None:
        await e.wait()

    async def parent() -> None:
        async with open_nursery() as nursery:
            spawn = nursery.start
            for _ in range(N_CHILDREN):
                spawn(child())

    def cycle() -> None:
        start(parent())
        e.fire()

    return cycle


def ag_cancel() -> Callable[[], object]:
    start, wait_any = asyncgui.start, asyncgui.wait_any
    e1, e2 = asyncgui.ExclusiveEvent(), asyncgui.ExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        await wait_any(a(), b())

    return lambda: start(parent()).cancel()


def ag_cancel_nursery() -> Callable[[], object]:
    start, open_nursery = asyncgui.start, asyncgui.open_nursery
    sleep_forever = asyncgui.sleep_forever
    e1, e2 = asyncgui.ExclusiveEvent(), asyncgui.ExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def b() -> None:
        await e2.wait()

    async def parent() -> None:
        async with open_nursery() as nursery:
            nursery.start(a())
            nursery.start(b())
            await sleep_forever()

    return lambda: start(parent()).cancel()


def ag_move_on_when() -> Callable[[], object]:
    start, move_on_when = asyncgui.start, asyncgui.move_on_when
    e1, e2 = asyncgui.ExclusiveEvent(), asyncgui.ExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def parent() -> None:
        async with move_on_when(a()):
            await e2.wait()

    def cycle() -> None:
        start(parent())
        e1.fire()

    return cycle


def ag_run_as_daemon() -> Callable[[], object]:
    start, run_as_daemon = asyncgui.start, asyncgui.run_as_daemon
    e1, e2 = asyncgui.ExclusiveEvent(), asyncgui.ExclusiveEvent()

    async def a() -> None:
        await e1.wait()

    async def parent() -> None:
        async with run_as_daemon(a()):
            await e2.wait()

    def cycle() -> None:
        start(parent())
        e2.fire()

    return cycle


# -- asyncio -------------------------------------------------------------------


def _asyncio_batches(
    parent: Callable[[asyncio.Event], Coroutine[Any, Any, None]], *, cancel: bool = False
) -> Callable[[], object]:
    """BATCH parents started, left to suspend, then each fired (or cancelled), all awaited."""
    loop = asyncio.new_event_loop()

    async def batch() -> None:
        create_task = asyncio.get_running_loop().create_task
        events = [asyncio.Event() for _ in range(BATCH)]
        tasks = [create_task(parent(event)) for event in events]
        for _ in range(3):
            await asyncio.sleep(0)  # every parent starts its children, which suspend
        if cancel:
            for task in tasks:
                task.cancel()
        else:
            for event in events:
                event.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    return lambda: loop.run_until_complete(batch())


if sys.version_info >= (3, 11):

    async def _aio_group(*coros: Coroutine[Any, Any, object]) -> None:
        async with asyncio.TaskGroup() as tg:
            for coro in coros:
                tg.create_task(coro)

else:  # pragma: no cover - Python 3.10

    async def _aio_group(*coros: Coroutine[Any, Any, object]) -> None:
        await asyncio.gather(*coros)


async def _aio_wait_any(*coros: Coroutine[Any, Any, object]) -> None:
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def aio_wait_any_2() -> Callable[[], object]:
    async def parent(event: asyncio.Event) -> None:
        await _aio_wait_any(event.wait(), asyncio.Event().wait())

    return _asyncio_batches(parent)


def aio_wait_all_3() -> Callable[[], object]:
    async def parent(event: asyncio.Event) -> None:
        await _aio_group(event.wait(), event.wait(), event.wait())

    return _asyncio_batches(parent)


def aio_children() -> Callable[[], object]:
    loop = asyncio.new_event_loop()

    async def cycle() -> None:
        event = asyncio.Event()

        async def set_soon() -> None:
            for _ in range(3):
                await asyncio.sleep(0)
            event.set()

        await asyncio.gather(_aio_group(*(event.wait() for _ in range(N_CHILDREN))), set_soon())

    return lambda: loop.run_until_complete(cycle())


def aio_cancel() -> Callable[[], object]:
    async def parent(event: asyncio.Event) -> None:
        await _aio_wait_any(event.wait(), asyncio.Event().wait())

    return _asyncio_batches(parent, cancel=True)


CASES = [
    Case("nursery: wait_any of 2", "gearwork", gw_wait_any_2),
    Case("nursery: wait_any of 2", "asyncgui", ag_wait_any_2),
    Case("nursery: wait_any of 2", "asyncio", aio_wait_any_2, per=BATCH),
    Case("nursery: wait_all of 3", "gearwork", gw_wait_all_3),
    Case("nursery: wait_all of 3", "asyncgui", ag_wait_all_3),
    Case("nursery: wait_all of 3", "asyncio", aio_wait_all_3, per=BATCH),
    Case("nursery: 100 children", "gearwork", gw_children, per=N_CHILDREN),
    Case("nursery: 100 children", "asyncgui", ag_children, per=N_CHILDREN),
    Case("nursery: 100 children", "asyncio", aio_children, per=N_CHILDREN),
    Case(WAIT_ALL_LOOP, "gearwork", gw_wait_all_3_loop),
    Case(WAIT_ALL_LOOP, "asyncgui", ag_wait_all_3_loop),
    Case(CHILDREN_LOOP, "gearwork", gw_children_loop, per=N_CHILDREN),
    Case(CHILDREN_LOOP, "asyncgui", ag_children_loop, per=N_CHILDREN),
    Case("nursery: cancel", "gearwork", gw_cancel),
    Case("nursery: cancel", "asyncgui", ag_cancel),
    Case("nursery: cancel", "asyncio", aio_cancel, per=BATCH),
    Case("nursery: cancel (open_nursery)", "gearwork", gw_cancel_nursery),
    Case("nursery: cancel (open_nursery)", "asyncgui", ag_cancel_nursery),
    Case("nursery: move_on_when", "gearwork", gw_move_on_when),
    Case("nursery: move_on_when", "asyncgui", ag_move_on_when),
    Case("nursery: run_as_daemon", "gearwork", gw_run_as_daemon),
    Case("nursery: run_as_daemon", "asyncgui", ag_run_as_daemon),
]

TARGETS = [
    Target("nursery: wait_any of 2", "asyncgui", 0.5),
    Target("nursery: wait_all of 3", "asyncgui", 0.5),
    Target("nursery: 100 children", "asyncgui", 0.6),
    Target(WAIT_ALL_LOOP, "asyncgui", 0.5),
    Target(CHILDREN_LOOP, "asyncgui", 0.6),
    Target("nursery: cancel", "asyncgui", 0.6),
]
