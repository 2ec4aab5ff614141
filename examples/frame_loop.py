"""A hand-written game loop driving gearwork tasks, one frame at a time.

Run it with ``python examples/frame_loop.py`` (or ``nox -s demo``). Only gearwork-core
is needed. The loop owns the clock; tasks suspend until the next frame and are resumed
inside the loop's own call, so an entity reacts in the frame where its condition became
true, with no scheduler in between.
"""

from __future__ import annotations

from typing import Any

from gearwork.core import Cancelled, Task, start
from gearwork.core.lowlevel import suspend

FRAME = 1 / 60  # seconds per frame


class Frames:
    """Wakes every waiting task once per frame with the frame's time step."""

    def __init__(self) -> None:
        self._waiting: list[Task[Any]] = []

    def tick(self, dt: float) -> None:
        waiting, self._waiting = self._waiting, []
        for task in waiting:
            task.step(dt)

    async def next(self) -> float:
        # A cancelled task is simply not found when the next frame comes.
        (dt,), _ = await suspend(self._waiting.append)
        return float(dt)

    async def wait(self, seconds: float) -> None:
        while seconds > 0:
            seconds -= await self.next()


async def ball(frames: Frames, log: list[str]) -> str:
    """Falls from 10 m, bounces with 60% of its speed, stops after three bounces."""
    height, speed, bounces, t = 10.0, 0.0, 0, 0.0
    while bounces < 3:
        dt = await frames.next()
        t += dt
        speed -= 9.81 * dt
        height += speed * dt
        if height <= 0:
            height, speed, bounces = 0.0, -speed * 0.6, bounces + 1
            log.append(f"{t:5.2f}s  bounce {bounces} at {speed:4.1f} m/s")
    return f"ball at rest after {t:.2f}s"


async def blinker(frames: Frames, log: list[str]) -> None:
    """Toggles a light every half second until it is cancelled."""
    on = False
    try:
        while True:
            await frames.wait(0.5)
            on = not on
    except Cancelled:
        log.append(f"blinker stopped with the light {'on' if on else 'off'}")
        raise


def main() -> None:
    frames, log = Frames(), []
    ball_task = start(ball(frames, log), name="ball")
    blink_task = start(blinker(frames, log), name="blinker")
    frame = 0
    while not ball_task.done():  # the game loop: the program's own loop, not gearwork's
        frames.tick(FRAME)
        frame += 1
    blink_task.cancel()
    for line in log:
        print(line)
    print(f"{ball_task.result} ({frame} frames); {blink_task!r}")


if __name__ == "__main__":
    main()
