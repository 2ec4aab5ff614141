"""Median latency of waking Qt's event loop from a worker thread (QtHost).

Usage: ``python benchmarks/qt_wakeup.py [--samples N]``. Runs on Qt's offscreen platform
(``QT_QPA_PLATFORM=offscreen``) unless another one is set. Not a ``bench_*`` module: it
measures a toolkit, not gearwork's speed.

A worker thread notes the time and posts a callback with ``call_soon_threadsafe`` (a
posted ``QEvent``); the callback, run by Qt's event loop, notes the time again. The loop
is idle (blocked in its event dispatcher) when each post arrives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gearwork.adapters.qt import QtHost, run


def measure(samples: int) -> list[float]:
    latencies: list[float] = []

    def worker(host: QtHost, done: threading.Event) -> None:
        for _ in range(samples):
            time.sleep(0.002)
            arrived = threading.Event()
            sent = time.perf_counter()

            def callback(sent: float = sent, arrived: threading.Event = arrived) -> None:
                latencies.append(time.perf_counter() - sent)
                arrived.set()

            host.call_soon_threadsafe(callback)
            arrived.wait()
        host.call_soon_threadsafe(done.set)

    async def main(host: QtHost) -> None:
        done = threading.Event()
        thread = threading.Thread(target=worker, args=(host, done))
        thread.start()
        while not done.is_set():
            await host.sleep(0.05)
        thread.join()

    run(main)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    ms = sorted(1000 * x for x in measure(args.samples))
    print(
        f"Qt wake-up from a thread (a posted QEvent), {len(ms)} samples: "
        f"median {statistics.median(ms):.3f} ms, p90 {ms[int(0.9 * len(ms))]:.3f} ms, "
        f"max {ms[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
