"""trio and anyio on the scenarios of bench_core, bench_nursery, bench_sync and bench_clock.

Each scenario is written once for both, on the API they share (a nursery or
task group with ``start_soon`` and ``cancel_scope``, a one-shot ``Event``,
``lowlevel.checkpoint()``, a memory channel of size 1), in each library's
idiom:

- an event cannot be re-armed in trio or anyio, so the waiting side of a
  ping makes a new ``Event`` before each wait and the firing side sets the
  one it finds;
- ``wait_any`` is a nursery whose children cancel its scope when they end,
  ``wait_all`` a nursery, ``cancel`` a ``CancelScope`` around the parent;
- trio runs the tasks it woke in one batch in a random order, so the firing
  side checkpoints until every woken task has waited again (the minimum that
  keeps each operation one wake-up per waiter).

A library with a loop needs the loop running for any of this: every timed call
is one ``trio.run`` (anyio: ``anyio.run`` on its default asyncio backend) of a
whole batch, reported per unit of work. A run costs about 0.5 ms to start and
stop, so the batches are large (``BATCH`` units) to keep that below a few
percent of what is measured.

Memory: the parked tasks live inside a run, so the run is held open in a
worker thread while the harness reads the traced memory from the main thread
(tracemalloc sees every thread's allocations; the thread's C stack is not
Python memory and is not counted).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.lowlevel
import trio
import trio.lowlevel
from harness import Case, MemoryCase

BATCH = 2000  # units of work per run
PARENTS = 500  # parents per run in the nursery scenarios (each is a whole cycle)
N_CHILDREN = 100
CHILDREN_CYCLES = 20  # cycles of 100 children per run
WAITERS = 1000
BROADCASTS = 20  # fires per run in the broadcast scenario


@dataclass(frozen=True)
class Flavor:
    """What a scenario needs from trio or anyio: the same names on both."""

    library: str
    run: Callable[[Callable[[], Awaitable[object]]], object]
    open_group: Callable[[], Any]  # async context manager with start_soon, cancel_scope
    event: Callable[[], Any]
    checkpoint: Callable[[], Awaitable[None]]
    sleep_forever: Callable[[], Awaitable[None]]
    sleep: Callable[[float], Awaitable[None]]
    cancel_scope: Callable[[], Any]
    channel: Callable[[int], tuple[Any, Any]]  # (send side, receive side)


def _anyio_channel(size: int) -> tuple[Any, Any]:
    return anyio.create_memory_object_stream[int](size)


TRIO = Flavor(
    library="trio",
    run=trio.run,
    open_group=trio.open_nursery,
    event=trio.Event,
    checkpoint=trio.lowlevel.checkpoint,
    sleep_forever=trio.sleep_forever,
    sleep=trio.sleep,
    cancel_scope=trio.CancelScope,
    channel=trio.open_memory_channel,
)
ANYIO = Flavor(
    library="anyio",
    run=anyio.run,
    open_group=anyio.create_task_group,
    event=anyio.Event,
    checkpoint=anyio.lowlevel.checkpoint,
    sleep_forever=anyio.sleep_forever,
    sleep=anyio.sleep,
    cancel_scope=anyio.CancelScope,
    channel=_anyio_channel,
)
FLAVORS = (TRIO, ANYIO)


def _runner(f: Flavor, batch: Callable[[], Awaitable[object]]) -> Callable[[], object]:
    return lambda: f.run(batch)


async def _nop() -> None:
    pass


async def _settle(f: Flavor) -> None:
    """Let every task started or woken so far run until it waits (children start lazily)."""
    for _ in range(3):
        await f.checkpoint()


# -- core -----------------------------------------------------------------------------


def start_finish(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        async with f.open_group() as group:
            start_soon = group.start_soon
            for _ in range(BATCH):
                start_soon(_nop)

    return _runner(f, batch)


def suspend_resume(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        checkpoint = f.checkpoint
        for _ in range(BATCH):
            await checkpoint()

    return _runner(f, batch)


def start_cancel(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        async with f.open_group() as group:
            start_soon, sleep_forever = group.start_soon, f.sleep_forever
            for _ in range(BATCH):
                start_soon(sleep_forever)
            await _settle(f)  # every task starts and suspends
            group.cancel_scope.cancel()

    return _runner(f, batch)


def sleep_cancel(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        async with f.open_group() as group:
            start_soon, sleep = group.start_soon, f.sleep
            for _ in range(BATCH):
                start_soon(sleep, 1.0)
            await _settle(f)  # every task starts and arms its timer
            group.cancel_scope.cancel()

    return _runner(f, batch)


# -- nursery --------------------------------------------------------------------------


def _parents(
    f: Flavor, parent: Callable[[Any], Awaitable[None]], *, cancel: bool = False
) -> Callable[[], object]:
    """PARENTS parents started, left to suspend, then each fired (or cancelled), all awaited."""

    async def batch() -> None:
        events = [f.event() for _ in range(PARENTS)]
        scopes = [f.cancel_scope() for _ in range(PARENTS)]

        async def guarded(event: Any, scope: Any) -> None:
            with scope:
                await parent(event)

        async with f.open_group() as group:
            for event, scope in zip(events, scopes, strict=True):
                group.start_soon(guarded, event, scope)
            await _settle(f)  # every parent starts its children, which suspend
            if cancel:
                for scope in scopes:
                    scope.cancel()
            else:
                for event in events:
                    event.set()

    return _runner(f, batch)


def _wait_any_parent(f: Flavor) -> Callable[[Any], Awaitable[None]]:
    async def first_to_end(group: Any, event: Any) -> None:
        await event.wait()
        group.cancel_scope.cancel()

    async def parent(event: Any) -> None:
        async with f.open_group() as group:
            group.start_soon(first_to_end, group, event)
            group.start_soon(first_to_end, group, f.event())

    return parent


def wait_any_2(f: Flavor) -> Callable[[], object]:
    return _parents(f, _wait_any_parent(f))


def wait_all_3(f: Flavor) -> Callable[[], object]:
    async def parent(event: Any) -> None:
        async with f.open_group() as group:
            for _ in range(3):
                group.start_soon(event.wait)

    return _parents(f, parent)


def children(f: Flavor) -> Callable[[], object]:
    async def cycle() -> None:
        event = f.event()
        async with f.open_group() as group:
            for _ in range(N_CHILDREN):
                group.start_soon(event.wait)
            await _settle(f)
            event.set()

    async def batch() -> None:
        for _ in range(CHILDREN_CYCLES):
            await cycle()

    return _runner(f, batch)


def cancel(f: Flavor) -> Callable[[], object]:
    return _parents(f, _wait_any_parent(f), cancel=True)


# -- sync -----------------------------------------------------------------------------


def event_ping(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        current: list[Any] = [None]

        async def waiter() -> None:
            make = f.event
            while True:
                current[0] = event = make()
                await event.wait()

        async with f.open_group() as group:
            group.start_soon(waiter)
            await _settle(f)
            checkpoint = f.checkpoint
            for _ in range(BATCH):
                event = current[0]
                event.set()
                while current[0] is event:  # until the waiter waits again
                    await checkpoint()
            group.cancel_scope.cancel()

    return _runner(f, batch)


def broadcast(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        current = [f.event()]

        async def waiter() -> None:
            while True:
                await current[0].wait()

        async with f.open_group() as group:
            for _ in range(WAITERS):
                group.start_soon(waiter)
            await _settle(f)
            checkpoint = f.checkpoint
            for _ in range(BROADCASTS):
                old, current[0] = current[0], f.event()
                old.set()
                await checkpoint()  # the woken run, in any order, and wait again
                await checkpoint()
            group.cancel_scope.cancel()

    return _runner(f, batch)


def queue_round_trip(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        send, receive = f.channel(1)

        async def consumer() -> None:
            get = receive.receive
            for _ in range(BATCH):
                await get()

        async with f.open_group() as group:
            group.start_soon(consumer)
            put = send.send
            for i in range(BATCH):
                await put(i)

    return _runner(f, batch)


def queue_blocked_producer(f: Flavor) -> Callable[[], object]:
    async def batch() -> None:
        send, receive = f.channel(1)

        async def producer() -> None:
            put = send.send
            i = 0
            while True:
                await put(i)
                i += 1

        async with f.open_group() as group:
            group.start_soon(producer)
            await _settle(f)  # the producer fills the channel and blocks
            get = receive.receive
            for _ in range(BATCH):
                await get()
            group.cancel_scope.cancel()

    return _runner(f, batch)


# -- memory ---------------------------------------------------------------------------


def _parked_in_thread(
    f: Flavor, n: int, *, own_events: bool
) -> tuple[object, Callable[[], object]]:
    """n tasks parked on one event (or each on its own) inside a run held open in a thread."""
    parked = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    async def waiter(event: Any) -> None:
        await event.wait()

    async def main() -> None:
        shared = f.event()
        async with f.open_group() as group:
            for _ in range(n):
                group.start_soon(waiter, f.event() if own_events else shared)
            await _settle(f)
            parked.set()
            while not release.is_set():  # polls, but only while the harness cleans up
                await f.checkpoint()
            group.cancel_scope.cancel()

    def target() -> None:
        try:
            f.run(main)
        except BaseException as exc:  # reported to the main thread below
            failure.append(exc)
            parked.set()

    thread = threading.Thread(target=target, name=f"bench-{f.library}-parked", daemon=True)
    thread.start()
    parked.wait()
    if failure:
        raise failure[0]

    def cleanup() -> None:
        release.set()
        thread.join()

    return thread, cleanup


# -- the cases ------------------------------------------------------------------------

_TIMED: list[tuple[str, Callable[[Flavor], Callable[[], object]], int]] = [
    ("core: start+finish", start_finish, BATCH),
    ("core: suspend/resume", suspend_resume, BATCH),
    ("core: start+cancel", start_cancel, BATCH),
    ("clock: sleep + cancel", sleep_cancel, BATCH),
    ("nursery: wait_any of 2", wait_any_2, PARENTS),
    ("nursery: wait_all of 3", wait_all_3, PARENTS),
    ("nursery: 100 children", children, N_CHILDREN * CHILDREN_CYCLES),
    ("nursery: cancel", cancel, PARENTS),
    ("sync: event ping (1 waiter)", event_ping, BATCH),
    ("sync: broadcast to 1,000 waiters (per woken task)", broadcast, WAITERS * BROADCASTS),
    ("sync: queue round trip (per item)", queue_round_trip, BATCH),
    ("sync: queue, blocked producer (per item)", queue_blocked_producer, BATCH),
]


def _timed_case(
    scenario: str, build: Callable[[Flavor], Callable[[], object]], per: int, f: Flavor
) -> Case:
    return Case(scenario, f.library, lambda: build(f), per=per)


def _memory_case(scenario: str, f: Flavor, *, own_events: bool) -> MemoryCase:
    return MemoryCase(scenario, f.library, lambda n: _parked_in_thread(f, n, own_events=own_events))


CASES = [_timed_case(s, build, per, f) for s, build, per in _TIMED for f in FLAVORS]

MEMORY_CASES = [
    _memory_case(scenario, f, own_events=own)
    for scenario, own in (
        ("sync: bytes per task parked on an event", False),
        ("sync: bytes per task parked on its own event", True),
    )
    for f in FLAVORS
]
