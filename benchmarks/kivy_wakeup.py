"""Median latency of waking Kivy from a worker thread (KivyHost), and of an awaited event.

Usage: ``python benchmarks/kivy_wakeup.py [--samples N]``. Runs each measurement in a
child process (Kivy's clock is chosen when Kivy is imported, and an App runs once per
process), on SDL's offscreen driver. Not a ``bench_*`` module: it measures a toolkit,
not gearwork's speed.

A worker notes the time and posts a callback with ``call_soon_threadsafe`` (one
``Clock.schedule_once`` from the thread); the callback, run by Kivy, notes the time
again. Measured with Kivy's default clock (the loop sleeps to hold 60 fps: a post waits
for the next frame) and with ``KIVY_CLOCK=interrupt`` (the post interrupts that sleep).
The event round trip is a task awaiting ``wait_event(obj, "on_ping")`` and resumed
inside ``dispatch()``, measured from ``dispatch()`` back to its return.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def measure(samples: int) -> None:
    """In the child: run an App whose root task measures; print the medians in ms."""
    from kivy.event import EventDispatcher

    from gearwork.adapters.kivy import KivyHost, run, wait_event
    from gearwork.core import start

    class Pinger(EventDispatcher):  # type: ignore[misc]
        __events__ = ("on_ping",)

        def on_ping(self) -> None:
            pass

    latencies: list[float] = []

    def worker(host: KivyHost, done: threading.Event) -> None:
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

    async def main(host: KivyHost) -> list[float]:
        done = threading.Event()
        thread = threading.Thread(target=worker, args=(host, done))
        thread.start()
        while not done.is_set():
            await host.sleep(0.05)
        thread.join()
        pinger, trips = Pinger(), []
        for _ in range(10 * samples):
            task = start(wait_event(pinger, "on_ping"))
            begun = time.perf_counter()
            pinger.dispatch("on_ping")
            trips.append(time.perf_counter() - begun)
            assert task.finished
        return trips

    trips = run(main)
    print(1000 * statistics.median(latencies), 1000 * statistics.median(trips))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.samples)
        return
    for clock in ("default", "interrupt"):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(
            SDL_VIDEODRIVER="offscreen",
            KIVY_NO_ARGS="1",
            KIVY_NO_CONSOLELOG="1",
            KIVY_CLOCK=clock,
            KIVY_HOME=tempfile.mkdtemp(prefix="kivy-bench-home-"),
        )
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--samples", str(args.samples)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        wake, trip = float(out[-2]), float(out[-1])
        print(
            f"kivy wake-up from a thread, {clock} clock, {args.samples} samples: "
            f"median {wake:.3f} ms; wait_event round trip median {1000 * trip:.2f} us"
        )


if __name__ == "__main__":
    main()
