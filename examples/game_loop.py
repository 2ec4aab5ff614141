"""A game-loop simulation on gearwork-adapters' Clock: pause, time scale, fixed step.

Run it with ``python examples/game_loop.py`` (or ``nox -s demo``). Needs gearwork-core,
-sync, -nursery and -adapters. The loop below stands in for a real game's: it calls
``root.tick(dt)`` once per frame, with a frame time that jitters as real ones do. Under
the root clock, the game clock drives a falling ball with a fixed physics step (the
update runs a whole number of 1/120 s steps per frame, and the drawing interpolates
with ``alpha``), and is paused by the menu and slowed to half speed for a "slow motion"
effect; the menu clock, a sibling, keeps running meanwhile. Everything is tick-driven,
so the run is deterministic: the same output every time.
"""

from __future__ import annotations

import random

from gearwork.adapters.clock import Clock, easing
from gearwork.core import start

STEP = 1 / 120  # physics step, seconds of game time
GRAVITY = -9.81


class Ball:
    def __init__(self) -> None:
        self.y = 10.0
        self.v = 0.0
        self.previous_y = self.y
        self.bounces = 0

    def update(self, step: float) -> None:
        self.previous_y = self.y
        self.v += GRAVITY * step
        self.y += self.v * step
        if self.y < 0:
            self.y = -self.y
            self.v = -self.v * 0.8
            self.bounces += 1


class Menu:
    def __init__(self) -> None:
        self.opacity = 0.0


async def director(root: Clock, game: Clock, menu_clock: Clock, menu: Menu, log: list[str]) -> None:
    """The script of the demo: play, open the menu (pause), slow motion, end."""
    await game.sleep(1.0)
    log.append(f"{root.time:5.2f}s  menu opens: game paused at {game.time:.2f}s of game time")
    game.pause()
    await menu_clock.animate(menu, 0.25, easing=easing.out_quad, opacity=1.0)
    await menu_clock.sleep(0.5)
    await menu_clock.animate(menu, 0.25, easing=easing.in_quad, opacity=0.0)
    game.resume()
    log.append(f"{root.time:5.2f}s  menu closed: game resumes at {game.time:.2f}s")
    async with game.move_on_after(1.0):  # one second of game time in slow motion
        game.scale = 0.5
        log.append(f"{root.time:5.2f}s  slow motion")
        await game.sleep(10)
    game.scale = 1.0
    log.append(f"{root.time:5.2f}s  normal speed at {game.time:.2f}s of game time")
    await game.n_frames(30)


def main() -> None:
    rng = random.Random(7)  # jittery frame times, the same on every run
    root = Clock()
    game, menu_clock = root.child(), root.child()
    ball, menu = Ball(), Menu()
    physics = game.fixed_timestep(STEP, ball.update)
    log: list[str] = []
    script = start(director(root, game, menu_clock, menu, log))
    frames = 0
    while not script.done():
        dt = 1 / 60 + rng.uniform(-0.004, 0.004)
        root.tick(dt)
        frames += 1
        drawn_y = ball.previous_y + (ball.y - ball.previous_y) * physics.alpha  # interpolated
        assert drawn_y >= -1e-9
    physics.cancel()
    for line in log:
        print(line)
    print(
        f"{frames} frames, {root.time:.2f}s of real time, {game.time:.2f}s of game time, "
        f"menu time {menu_clock.time:.2f}s; ball bounced {ball.bounces} times"
    )
    assert game.time < root.time == menu_clock.time  # paused and slowed, the menu was not
    assert menu.opacity == 0.0 and root.pending_timers == 0


if __name__ == "__main__":
    main()
