"""trio in guest mode on gearwork hosts: a TCP echo on 127.0.0.1, cancellation, errors.

PumpHost is a hand-written host (a thread-safe queue pumped by a while loop)."""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import queue
import time
from collections.abc import Callable
from typing import Any

import outcome
import pytest
import trio

from gearwork.adapters.asyncio import AsyncioHost, to_asyncio
from gearwork.adapters.trio import run_trio_guest, start_guest_run
from gearwork.core import Task, TaskState, start


class PumpTimer:
    __slots__ = ("callback", "live")

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback
        self.live = True

    def cancel(self) -> None:
        self.live = False


class PumpHost:
    """The three host methods over a SimpleQueue and a timer heap; see :meth:`run_until`."""

    def __init__(self) -> None:
        self._inbox: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, PumpTimer]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> PumpTimer:
        timer = PumpTimer(callback)
        heapq.heappush(self._timers, (self.now() + delay, next(self._seq), timer))
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        self._inbox.put(callback)

    def run_until(self, done: Callable[[], bool], *, limit: float = 30.0) -> None:
        """Pump callbacks and timers until ``done()`` is true (or *limit* seconds passed)."""
        give_up = self.now() + limit
        while not done():
            if self.now() > give_up:
                raise AssertionError("the host loop gave up waiting")
            timers = self._timers
            while timers and not timers[0][2].live:
                heapq.heappop(timers)
            timeout = 0.05 if not timers else max(0.0, min(0.05, timers[0][0] - self.now()))
            try:
                callback = self._inbox.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                callback()
            now = self.now()
            while timers and timers[0][0] <= now:
                timer = heapq.heappop(timers)[2]
                if timer.live:
                    timer.live = False
                    timer.callback()


MESSAGES = [b"hello", b"gearwork", b"trio guest"]


async def echo_round_trip(messages: list[bytes]) -> list[bytes]:
    """A trio TCP echo server and a client that sends *messages* one by one."""
    replies: list[bytes] = []

    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            async for data in stream:
                await stream.send_all(data)

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1")
        )
        port = listeners[0].socket.getsockname()[1]
        client = await trio.open_tcp_stream("127.0.0.1", port)
        async with client:
            for message in messages:
                await client.send_all(message)
                got = b""
                while len(got) < len(message):
                    got += await client.receive_some(len(message) - len(got))
                replies.append(got)
        nursery.cancel_scope.cancel()
    return replies


def test_echo_completes_in_a_guest_run_on_a_hand_written_host() -> None:
    host = PumpHost()
    task = start(run_trio_guest(host, echo_round_trip, MESSAGES))
    host.run_until(lambda: task.done())
    assert task.result == MESSAGES


def test_echo_completes_in_a_guest_run_inside_asyncio() -> None:
    async def main() -> list[bytes]:
        host = AsyncioHost()
        return await to_asyncio(run_trio_guest(host, echo_round_trip, MESSAGES))

    assert asyncio.run(main()) == MESSAGES


def test_start_guest_run_calls_done_callback_on_the_host() -> None:
    host = PumpHost()
    results: list[outcome.Outcome[int]] = []

    async def answer() -> int:
        await trio.sleep(0)
        return 42

    start_guest_run(host, answer, done_callback=results.append)
    host.run_until(lambda: bool(results))
    assert results[0].unwrap() == 42


def test_a_trio_exception_is_raised_in_the_gearwork_task() -> None:
    async def fails() -> None:
        await trio.sleep(0)
        raise ZeroDivisionError("in trio")

    async def gw(host: PumpHost) -> str:
        try:
            await run_trio_guest(host, fails)
        except ZeroDivisionError as e:
            return f"caught {e}"
        return "nothing raised"

    host = PumpHost()
    task = start(gw(host))
    host.run_until(lambda: task.done())
    assert task.result == "caught in trio"


def test_cancelling_the_gearwork_task_cancels_trio_first_and_waits_for_done_callback() -> None:
    log: list[str] = []

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            log.append("trio unwound")

    host = PumpHost()
    task = start(run_trio_guest(host, forever))
    ran: list[Task[Any]] = []

    def cancel_soon() -> None:
        task.cancel()
        ran.append(task)
        log.append(f"after cancel: {task.state.name}")

    host.call_later(0.01, cancel_soon)
    host.run_until(lambda: task.done())
    assert task.state is TaskState.CANCELLED
    assert log == ["after cancel: STARTED", "trio unwound"]


def test_cancelling_before_trio_has_started_its_function() -> None:
    host = PumpHost()
    started: list[bool] = []

    async def body() -> None:
        started.append(True)
        await trio.sleep_forever()

    task = start(run_trio_guest(host, body))
    task.cancel()
    host.run_until(lambda: task.done())
    assert task.state is TaskState.CANCELLED


def test_cancelling_the_asyncio_side_shuts_the_guest_down_in_order() -> None:
    log: list[str] = []

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            log.append("trio unwound")

    async def main() -> Task[None]:
        host = AsyncioHost()
        task = start(run_trio_guest(host, forever))
        fut = to_asyncio(task)
        await asyncio.sleep(0.01)
        fut.cancel()  # cancels the gearwork task, which now waits for trio to end
        with pytest.raises(asyncio.CancelledError):
            await fut
        # Keep the loop running until trio has ended: await the task once more.
        with pytest.raises(asyncio.CancelledError):
            await to_asyncio(task)
        return task

    task = asyncio.run(main())
    assert task.state is TaskState.CANCELLED
    assert log == ["trio unwound"]


def test_start_guest_run_refuses_its_own_keywords() -> None:
    with pytest.raises(TypeError, match="do not pass run_sync_soon_threadsafe"):
        start_guest_run(
            PumpHost(), trio.sleep, 0, done_callback=print, run_sync_soon_threadsafe=print
        )
    with pytest.raises(TypeError, match="needs a gearwork host"):
        start_guest_run(object(), trio.sleep, 0, done_callback=print)  # type: ignore[arg-type]


def test_echo_completes_in_a_guest_run_on_a_sched_host() -> None:
    from gearwork.adapters.sched import SchedHost

    host = SchedHost()
    assert host.run(run_trio_guest(host, echo_round_trip, MESSAGES)) == MESSAGES
    assert host.pending_timers == 0


def test_a_sched_host_main_task_cancelled_mid_echo_waits_for_trio_to_finish() -> None:
    from gearwork.adapters.sched import SchedHost

    log: list[str] = []

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            log.append("trio unwound")

    host = SchedHost()

    async def main() -> None:
        async with host.move_on_after(0.01):
            await run_trio_guest(host, forever)
        log.append("moved on")

    host.run(main())
    assert log == ["trio unwound", "moved on"]


def test_trio_code_in_a_guest_run_awaits_gearwork_work_resumed_by_the_host() -> None:
    from gearwork.adapters.sched import SchedHost
    from gearwork.adapters.trio import to_trio

    host = SchedHost()

    async def gearwork_work() -> str:
        await host.sleep(0.001)  # resumed by a sched timer, outside trio's ticks
        return "from the host"

    async def trio_side() -> list[str]:
        got = [await to_trio(gearwork_work())]
        await trio.sleep(0)
        got.append(await to_trio(gearwork_work()))
        return got

    assert host.run(run_trio_guest(host, trio_side)) == ["from the host", "from the host"]
