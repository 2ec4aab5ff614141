"""A trio network client run in guest mode, driven from a hand-written loop.

Run it with ``python examples/trio_guest_client.py`` (or ``nox -s demo``); it needs
``pip install gearwork-adapters[trio]``. The program's own loop is a plain ``while``
loop over a thread-safe queue and a timer heap: a gearwork host of ten lines. trio runs
as its guest (``run_trio_guest``): trio does its I/O waiting in a thread of its own and
hands each of its steps to the loop, so the trio client, the gearwork tasks and the loop
share one thread. The client talks to a TCP echo server on 127.0.0.1 that the example
starts in a thread (plain sockets, no trio there), while a gearwork task shows a
"progress" line every few milliseconds on the same loop. At the end the progress task is
cancelled, and a second guest run is cancelled half-way to show trio's shutdown order:
trio is cancelled first and the loop keeps running until trio says it is done.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import trio

from gearwork.adapters.timing import Timing
from gearwork.adapters.trio import run_trio_guest
from gearwork.core import Task, start


class Timer:
    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], object] | None) -> None:
        self.callback = callback

    def cancel(self) -> None:
        self.callback = None


class LoopHost(Timing):
    """A hand-written loop that is its own gearwork host (and so has the Timing set)."""

    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self.timers: list[tuple[float, int, Timer]] = []
        self.ids = itertools.count()
        super().__init__(self)

    def now(self) -> float:
        return time.monotonic()

    def call_later(self, delay: float, callback: Callable[[], object], /) -> Timer:
        timer = Timer(callback)
        heapq.heappush(self.timers, (self.now() + delay, next(self.ids), timer))
        return timer

    def call_soon_threadsafe(self, callback: Callable[[], object], /) -> None:
        self.inbox.put(callback)  # SimpleQueue.put is thread-safe and wakes get()

    def run_until_done(self, task: Task[Any]) -> None:
        while not task.done():
            timeout = self.timers[0][0] - self.now() if self.timers else None
            try:
                callback = self.inbox.get(timeout=None if timeout is None else max(timeout, 0))
            except queue.Empty:
                pass
            else:
                callback()
            while self.timers and self.timers[0][0] <= self.now():
                timer = heapq.heappop(self.timers)[2]
                if timer.callback is not None:
                    timer.callback()


def start_echo_server() -> int:
    """A blocking-socket echo server in a daemon thread; returns its port."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            conn, _ = server.accept()
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return int(server.getsockname()[1])


async def trio_client(port: int, lines: list[str]) -> list[str]:
    """Ordinary trio code: connect, send each line, read the echo back."""
    replies = []
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        for line in lines:
            await stream.send_all(line.encode())
            data = b""
            while len(data) < len(line):
                data += await stream.receive_some(1024)
            replies.append(data.decode())
    return replies


async def stuck_trio_client(port: int, log: list[str]) -> None:
    async with await trio.open_tcp_stream("127.0.0.1", port) as stream:
        try:
            await stream.receive_some(1024)  # the server never speaks first
        finally:
            log.append("trio: client unwound after cancellation")


async def main(host: LoopHost, port: int, log: list[str]) -> list[str]:
    async def progress() -> None:
        async for elapsed, _delta in host.periodic(0.002):
            log.append(f"loop: still responsive at {elapsed * 1000:.0f} ms")

    ticker = start(progress())
    replies = await run_trio_guest(host, trio_client, port, ["hello", "from", "guest mode"])
    ticker.cancel()

    async with host.move_on_after(0.02) as scope:
        await run_trio_guest(host, stuck_trio_client, port, log)
    log.append(f"gearwork: moved on after trio had finished: {scope.cancelled_caught}")
    return replies


if __name__ == "__main__":
    host = LoopHost()
    port = start_echo_server()
    log: list[str] = []
    task = start(main(host, port, log))
    host.run_until_done(task)
    replies = task.result
    print("echoed:", replies)
    print(f"{sum('still responsive' in line for line in log)} progress lines while trio ran")
    for line in log[-2:]:
        print(line)
    assert replies == ["hello", "from", "guest mode"]
    assert log[-2:] == [
        "trio: client unwound after cancellation",
        "gearwork: moved on after trio had finished: True",
    ]
