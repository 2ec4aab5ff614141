"""Median latency of waking Tk from a worker thread through TkHost.call_soon_threadsafe.

Usage: ``python benchmarks/tkinter_wakeup.py [--samples N]`` (needs a display: it starts
its own Xvfb when there is no $DISPLAY and Xvfb is installed). Not a ``bench_*`` module:
the side-by-side harness runs without a display.

A worker thread notes the time and posts a callback; the callback, run by Tk's main loop
through the file handler of TkHost, notes the time again. The main loop is idle (blocked in
select) when each post arrives, which is the case that polling adapters answer late.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import threading
import time


def _ensure_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("no $DISPLAY and no Xvfb: apt-get install xvfb")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip().decode()
    return server


def measure(samples: int) -> list[float]:
    from gearwork.adapters.tkinter import TkHost

    host = TkHost()
    latencies: list[float] = []
    done = threading.Event()

    def worker() -> None:
        for _ in range(samples):
            time.sleep(0.002)  # let Tk go back to sleep in select()
            sent = time.perf_counter()
            arrived = threading.Event()

            def callback(sent: float = sent, arrived: threading.Event = arrived) -> None:
                latencies.append(time.perf_counter() - sent)
                arrived.set()

            host.call_soon_threadsafe(callback)
            arrived.wait()
        done.set()
        host.call_soon_threadsafe(host.root.quit)

    thread = threading.Thread(target=worker)
    thread.start()
    host.root.mainloop()
    thread.join()
    host.close()
    host.root.destroy()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    server = _ensure_display()
    try:
        latencies = measure(args.samples)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    ms = sorted(1000 * x for x in latencies)
    print(
        f"Tk wake-up from a thread (file handler on a socket pair), {len(ms)} samples: "
        f"median {statistics.median(ms):.3f} ms, p90 {ms[int(0.9 * len(ms))]:.3f} ms, "
        f"max {ms[-1]:.3f} ms"
    )


if __name__ == "__main__":
    main()
