# demo: skip (it opens a window and waits for a player; the tests drive it headless)
"""A tiny pygame game with a pause menu and an interruptible animation, as async code.

Click anywhere: the ball glides there in one second. Click again while it glides
and the glide is interrupted: the ball turns towards the new point from where it
is. Press P or Escape for the pause menu (Up/Down, Return): the game stands
still, clicks do not reach it, and "Quit" ends the game.

    python examples/pygame_game.py
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from gearwork.adapters.clock.easing import in_out_quad
from gearwork.adapters.pygame import PygameHost, run
from gearwork.core import Cancelled
from gearwork.nursery import open_nursery, wait_any

SIZE = (320, 240)
MENU = ("Resume", "Quit")
PAUSE_KEYS = (pygame.K_p, pygame.K_ESCAPE)
Draw = Callable[[pygame.Surface], None]


@dataclass
class State:
    pos: tuple[float, float] = (SIZE[0] / 2, SIZE[1] / 2)
    glides: int = 0
    interrupted: int = 0
    paused: bool = False
    selected: int = 0
    trail: list[tuple[int, int]] = field(default_factory=list)


async def game_frame(host: PygameHost, state: State) -> float:
    """The next frame's dt; while the game is paused, frames pass without time."""
    dt = await host.next_frame()
    while state.paused:
        await host.next_frame()
        dt = 0.0
    return dt


async def glide(host: PygameHost, state: State, target: tuple[int, int], seconds: float) -> None:
    """Move the ball from where it is to *target*, eased, in *seconds* of game time."""
    (x0, y0), (x1, y1) = state.pos, target
    elapsed = 0.0
    while elapsed < seconds:
        elapsed = min(seconds, elapsed + await game_frame(host, state))
        k = in_out_quad(elapsed / seconds)
        state.pos = (x0 + (x1 - x0) * k, y0 + (y1 - y0) * k)
        state.trail = [*state.trail[-30:], (int(state.pos[0]), int(state.pos[1]))]
    state.glides += 1


async def play(host: PygameHost, state: State, seconds: float) -> None:
    """Glide to each click; a click during a glide interrupts it."""
    click = await host.event(pygame.MOUSEBUTTONDOWN)
    while True:
        _glided, next_click = await wait_any(
            glide(host, state, click.pos, seconds), host.event(pygame.MOUSEBUTTONDOWN)
        )
        if next_click.finished:
            state.interrupted += 1
            click = next_click.result
        else:
            click = await host.event(pygame.MOUSEBUTTONDOWN)


async def pause_menu(host: PygameHost, state: State) -> str:
    """Show the menu until Return; the game sees no click meanwhile."""
    state.paused, state.selected = True, 0
    swallow = host.add_handler(pygame.MOUSEBUTTONDOWN, lambda ev: True, priority=100)
    try:
        async with host.events(pygame.KEYDOWN, priority=100, consume=True) as keys:
            async for ev in keys:
                if ev.key in (pygame.K_UP, pygame.K_DOWN):
                    state.selected = (state.selected + (1 if ev.key == pygame.K_DOWN else -1)) % 2
                elif ev.key == pygame.K_RETURN:
                    return MENU[state.selected]
    finally:
        swallow.remove()
        state.paused = False
    raise AssertionError("unreachable")  # pragma: no cover


def drawing(state: State) -> tuple[Draw, Draw]:
    """The draw callbacks: the world, and the pause menu over it."""
    font = pygame.font.Font(None, 28)

    def world(surface: pygame.Surface) -> None:
        surface.fill((20, 24, 40))
        for i, point in enumerate(state.trail):
            pygame.draw.circle(surface, (60, 90 + 4 * i, 160), point, 3)
        pygame.draw.circle(surface, (250, 200, 60), (int(state.pos[0]), int(state.pos[1])), 12)
        hud = font.render(f"glides {state.glides}  interrupted {state.interrupted}", True, "white")
        surface.blit(hud, (8, 8))

    def menu(surface: pygame.Surface) -> None:
        if not state.paused:
            return
        shade = pygame.Surface(SIZE, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 160))
        surface.blit(shade, (0, 0))
        surface.blit(font.render("PAUSED", True, "white"), (120, 70))
        for i, item in enumerate(MENU):
            color = (250, 200, 60) if i == state.selected else (180, 180, 180)
            label = ("> " if i == state.selected else "  ") + item
            surface.blit(font.render(label, True, color), (110, 110 + 30 * i))

    return world, menu


async def main(host: PygameHost, state: State | None = None, seconds: float = 1.0) -> int:
    """The game; returns how many glides ended when the player quits."""
    state = state or State()
    world, menu = drawing(state)
    host.add_draw(world)
    host.add_draw(menu, order=10)
    async with open_nursery() as nursery:
        nursery.start(play(host, state, seconds), daemon=True)  # ends with the block
        while True:
            await host.event(pygame.KEYDOWN, filter=lambda ev: ev.key in PAUSE_KEYS)
            if await pause_menu(host, state) == "Quit":
                break
    return state.glides


if __name__ == "__main__":
    with contextlib.suppress(Cancelled):  # the window was closed
        print("glides:", run(main, size=SIZE, fps=60, title="gearwork pygame"))
