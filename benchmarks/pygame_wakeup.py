"""Median latency of waking pygame's frame loop from a worker thread (PygameHost).

Usage: ``python benchmarks/pygame_wakeup.py [--samples N]``. Runs with SDL's dummy video
and audio drivers. Not a ``bench_*`` module: it measures a toolkit, not gearwork's speed.

A worker notes the time and posts a callback with ``call_soon_threadsafe`` (a posted pygame
event); the callback, run by the loop, notes the time again. Measured twice: with
``fps=0`` (the loop sleeps in ``pygame.event.wait`` until something comes) and with
``fps=60`` (the loop sleeps in ``Clock.tick``: a post waits for the next frame).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from gearwork.adapters.pygame import PygameHost, run


def measure(samples: int, fps: int) -> list[float]:
    latencies: list[float] = []

    def worker(host: PygameHost, done: threading.Event) -> None:
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

    async def main(host: PygameHost) -> None:
        done = threading.Event()
        thread = threading.Thread(target=worker, args=(host, done))
        thread.start()
        while not done.is_set():
            await host.sleep(0.05)
        thread.join()

    run(main, size=(32, 32), fps=fps)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    for fps in (0, 60):
        ms = sorted(1000 * x for x in measure(args.samples, fps))
        print(
            f"pygame wake-up from a thread, fps={fps}, {len(ms)} samples: "
            f"median {statistics.median(ms):.3f} ms, p90 {ms[int(0.9 * len(ms))]:.3f} ms"
        )


if __name__ == "__main__":
    main()
