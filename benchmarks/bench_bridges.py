"""gearwork-adapters' bridges to asyncio and trio, and trio in guest mode.

Scenarios:

``bridges: from_asyncio of a future (per await)``
    a loop of BATCH awaits of an asyncio future that a ``call_soon``
    callback completes. asyncio: a plain ``await fut`` in an asyncio task;
    gearwork: ``await from_asyncio(fut)`` in a gearwork task (the same
    asyncio future, the same callback).
``bridges: from_asyncio of a coroutine (per await)``
    the same with ``asyncio.sleep(0)``: a plain await runs the coroutine
    inline, ``from_asyncio`` must make it an asyncio Task (what it costs,
    reported without a target).
``bridges: to_asyncio of a gearwork task (per await)``
    asyncio code awaits, BATCH times, something completed by a
    ``call_soon`` callback. asyncio: an ``asyncio.Future`` set by the
    callback; gearwork: ``await to_asyncio(task)`` of a gearwork task
    waiting on an ``Event`` that the callback fires.
``bridges: trio TCP echo, guest mode vs trio.run (per run)``
    one trio program (a TCP echo server and a client exchanging ECHOES
    messages of 100 bytes on 127.0.0.1: the issue's proof program, I/O-bound)
    run by ``trio.run`` and by ``start_guest_run`` on a minimal gearwork host
    (a thread-safe queue pumped by a while loop) and on an ``AsyncioHost``.
``bridges: trio scheduler ping-pong, guest vs trio.run (per run)``
    the worst case for guest mode, reported without a target: two tasks
    passing MESSAGES numbers over memory channels, every tick a host
    round trip and no I/O to amortise it.
``bridges: run_in_thread round trip, asyncio / trio (per call)``
    ``run_in_thread`` of a no-op on ``AsyncioHost`` / ``TrioHost`` against
    ``asyncio.to_thread`` / ``trio.to_thread.run_sync``. The median thread
    wake-up latency (worker done -> task resumed) is printed by
    ``python benchmarks/bench_bridges.py``.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import queue
import statistics
import time
from collections.abc import Callable
from typing import Any

import outcome
import trio
from harness import Case, Target

import gearwork.core as gw
import gearwork.sync as gws
from gearwork.adapters.asyncio import AsyncioHost, from_asyncio, to_asyncio
from gearwork.adapters.trio import current_host, start_guest_run, to_trio

BATCH = 1000
MESSAGES = 200
ECHOES = 50

_loops: list[asyncio.AbstractEventLoop] = []


@atexit.register
def _close_loops() -> None:
    for loop in _loops:
        loop.close()


def _loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    _loops.append(loop)
    return loop


# -- from_asyncio ---------------------------------------------------------------------


def aio_await_future() -> Callable[[], object]:
    loop = _loop()

    async def batch() -> None:
        create, call_soon = loop.create_future, loop.call_soon
        for i in range(BATCH):
            fut = create()
            call_soon(fut.set_result, i)
            await fut

    return lambda: loop.run_until_complete(batch())


def gw_from_asyncio_future() -> Callable[[], object]:
    loop = _loop()

    async def gw_batch() -> None:
        create, call_soon = loop.create_future, loop.call_soon
        for i in range(BATCH):
            fut = create()
            call_soon(fut.set_result, i)
            await from_asyncio(fut)

    async def batch() -> None:
        await to_asyncio(gw_batch())

    return lambda: loop.run_until_complete(batch())


def aio_await_coroutine() -> Callable[[], object]:
    loop = _loop()

    async def batch() -> None:
        sleep = asyncio.sleep
        for _ in range(BATCH):
            await sleep(0)

    return lambda: loop.run_until_complete(batch())


def gw_from_asyncio_coroutine() -> Callable[[], object]:
    loop = _loop()

    async def gw_batch() -> None:
        sleep = asyncio.sleep
        for _ in range(BATCH):
            await from_asyncio(sleep(0))

    async def batch() -> None:
        await to_asyncio(gw_batch())

    return lambda: loop.run_until_complete(batch())


# -- to_asyncio -----------------------------------------------------------------------


def gw_to_asyncio_task() -> Callable[[], object]:
    loop = _loop()
    event = gws.Event()

    async def job() -> int:
        (value,), _ = await event.wait()
        return value  # type: ignore[no-any-return]

    async def batch() -> None:
        call_soon, fire, start = loop.call_soon, event.fire, gw.start
        for i in range(BATCH):
            task = start(job())
            call_soon(fire, i)
            await to_asyncio(task)

    return lambda: loop.run_until_complete(batch())


# -- trio guest mode ------------------------------------------------------------------


async def ping_pong_program() -> int:
    """Scheduler-bound: two tasks pass MESSAGES numbers back and forth over memory channels."""
    send, receive = trio.open_memory_channel[int](0)
    back_send, back_receive = trio.open_memory_channel[int](0)

    async def echo() -> None:
        async for value in receive:
            await back_send.send(value + 1)
        await back_send.aclose()

    total = 0
    async with trio.open_nursery() as nursery:
        nursery.start_soon(echo)
        for i in range(MESSAGES):
            await send.send(i)
            total += await back_receive.receive()
            await trio.lowlevel.checkpoint()
        await send.aclose()
    return total


async def echo_program() -> int:
    """I/O-bound: a TCP echo server and a client sending ECHOES messages on 127.0.0.1."""

    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            async for data in stream:
                await stream.send_all(data)

    payload = b"x" * 100
    received = 0
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1")
        )
        port = listeners[0].socket.getsockname()[1]
        client = await trio.open_tcp_stream("127.0.0.1", port)
        async with client:
            for _ in range(ECHOES):
                await client.send_all(payload)
                got = 0
                while got < len(payload):
                    got += len(await client.receive_some(len(payload) - got))
                received += got
        nursery.cancel_scope.cancel()
    return received


class QueueHost:
    """The smallest gearwork host: a thread-safe queue pumped by a while loop."""

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> Any:
        raise NotImplementedError("the benchmark's trio programs use no host timer")

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        self.inbox.put(callback)


def _trio_run(program: Callable[[], Any]) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        return lambda: trio.run(program)

    return make


def _guest_on_queue_host(program: Callable[[], Any]) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        host = QueueHost()
        get = host.inbox.get

        def op() -> object:
            results: list[outcome.Outcome[Any]] = []
            start_guest_run(host, program, done_callback=results.append)
            while not results:
                get()()
            return results[0].unwrap()

        return op

    return make


def _guest_on_asyncio(program: Callable[[], Any]) -> Callable[[], Callable[[], object]]:
    def make() -> Callable[[], object]:
        loop = _loop()
        host = AsyncioHost(loop)

        def op() -> object:
            done: asyncio.Future[outcome.Outcome[Any]] = loop.create_future()
            start_guest_run(host, program, done_callback=done.set_result)
            return loop.run_until_complete(done).unwrap()

        return op

    return make


# -- run_in_thread ----------------------------------------------------------------------


def _noop() -> None:
    pass


def gw_run_in_thread_asyncio() -> Callable[[], object]:
    loop = _loop()
    host = AsyncioHost(loop)
    return lambda: loop.run_until_complete(to_asyncio(host.run_in_thread(_noop), loop=loop))


def aio_to_thread() -> Callable[[], object]:
    loop = _loop()
    return lambda: loop.run_until_complete(asyncio.to_thread(_noop))


def gw_run_in_thread_trio() -> Callable[[], object]:
    async def batch() -> None:
        host = current_host()
        for _ in range(100):
            await to_trio(host.run_in_thread(_noop))

    return lambda: trio.run(batch)


def trio_to_thread() -> Callable[[], object]:
    async def batch() -> None:
        for _ in range(100):
            await trio.to_thread.run_sync(_noop)

    return lambda: trio.run(batch)


def median_wakeup_latencies(n: int = 1000) -> dict[str, float]:
    """Median seconds from a ``run_in_thread`` call ending in its worker to the task resuming."""

    def stamp() -> float:
        return time.perf_counter()

    async def gearwork_side(host: Any) -> float:
        samples = []
        for _ in range(n):
            finished_at = await host.run_in_thread(stamp)
            samples.append(time.perf_counter() - finished_at)
        return statistics.median(samples)

    out: dict[str, float] = {}
    loop = _loop()
    aio_side = to_asyncio(gearwork_side(AsyncioHost(loop)), loop=loop)
    out["AsyncioHost"] = loop.run_until_complete(aio_side)

    async def trio_main() -> float:
        return await to_trio(gearwork_side(current_host()))

    out["TrioHost"] = trio.run(trio_main)
    return out


FROM_FUTURE = "bridges: from_asyncio of a future (per await)"
FROM_CORO = "bridges: from_asyncio of a coroutine (per await)"
TO_ASYNCIO = "bridges: to_asyncio of a gearwork task (per await)"
GUEST_ECHO = "bridges: trio TCP echo, guest mode vs trio.run (per run)"
GUEST_PING = "bridges: trio scheduler ping-pong, guest vs trio.run (per run)"
THREAD_AIO = "bridges: run_in_thread round trip, asyncio (per call)"
THREAD_TRIO = "bridges: run_in_thread round trip, trio (per call)"

CASES = [
    Case(FROM_FUTURE, "asyncio", aio_await_future, per=BATCH),
    Case(FROM_FUTURE, "gearwork", gw_from_asyncio_future, per=BATCH),
    Case(FROM_CORO, "asyncio", aio_await_coroutine, per=BATCH),
    Case(FROM_CORO, "gearwork", gw_from_asyncio_coroutine, per=BATCH),
    Case(TO_ASYNCIO, "asyncio", aio_await_future, per=BATCH),
    Case(TO_ASYNCIO, "gearwork", gw_to_asyncio_task, per=BATCH),
    Case(GUEST_ECHO, "trio.run", _trio_run(echo_program)),
    Case(GUEST_ECHO, "gearwork", _guest_on_queue_host(echo_program)),
    Case(GUEST_ECHO, "gearwork on asyncio", _guest_on_asyncio(echo_program)),
    Case(GUEST_PING, "trio.run", _trio_run(ping_pong_program)),
    Case(GUEST_PING, "gearwork", _guest_on_queue_host(ping_pong_program)),
    Case(THREAD_AIO, "asyncio.to_thread", aio_to_thread),
    Case(THREAD_AIO, "gearwork", gw_run_in_thread_asyncio),
    Case(THREAD_TRIO, "trio.to_thread", trio_to_thread, per=100),
    Case(THREAD_TRIO, "gearwork", gw_run_in_thread_trio, per=100),
]

TARGETS = [
    Target(FROM_FUTURE, "asyncio", 1.3),
    Target(TO_ASYNCIO, "asyncio", 1.3),
    Target(GUEST_ECHO, "trio.run", 1.15),
]


if __name__ == "__main__":
    for name, seconds in median_wakeup_latencies().items():
        print(f"run_in_thread wake-up latency on {name}, median: {seconds * 1e6:.0f} us")
