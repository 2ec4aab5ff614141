"""End to end: examples/pygame_game.py with SDL's dummy drivers, played as a person would.

The player's input is posted to pygame's event queue (clicks and key presses), the game
runs in its real frame loop at 60 fps, and a screenshot of the display surface is saved
to build/screenshots/pygame-<test>.png.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from gearwork.adapters.pygame import PygameHost, run
from gearwork.nursery import open_nursery

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "pygame_game.py"
SCREENSHOTS = ROOT / "build" / "screenshots"


def load_example() -> ModuleType:
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} is not here (an sdist has no examples)")
    spec = importlib.util.spec_from_file_location("pygame_game", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"pygame-{name}.png"
    surface = pygame.display.get_surface()
    assert surface is not None, "no display surface: the game is not running"
    pygame.image.save(surface, str(path))
    return path


def click(pos: tuple[int, int]) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


def press(key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))


async def frames_until(host: PygameHost, condition: Callable[[], bool]) -> None:
    for _ in range(600):  # 10 s at 60 fps
        if condition():
            return
        await host.next_frame()
    raise AssertionError("the game did not get there within 600 frames")


def test_glide_interrupt_pause_and_quit() -> None:
    game = load_example()
    state = game.State()
    seen: dict[str, object] = {}

    async def player(host: PygameHost) -> int:
        async with open_nursery() as nursery:
            app = nursery.start(game.main(host, state, 0.5))
            click((280, 200))
            await frames_until(host, lambda: state.pos[0] > 180)  # under way
            click((40, 200))  # interrupts the glide
            await frames_until(host, lambda: state.interrupted == 1)
            await frames_until(host, lambda: state.glides == 1)
            seen["after glide"] = (round(state.pos[0]), round(state.pos[1]))
            press(pygame.K_p)
            await frames_until(host, lambda: state.paused)
            frozen = state.pos
            click((300, 30))  # swallowed by the menu
            press(pygame.K_DOWN)
            for _ in range(20):
                await host.next_frame()
            seen["frozen"] = state.pos == frozen and state.glides == 1
            seen["selected"] = game.MENU[state.selected]
            seen["shot"] = screenshot("test_glide_interrupt_pause_and_quit")
            press(pygame.K_RETURN)
            await frames_until(host, app.done)
        return int(app.result)

    assert run(player, size=game.SIZE, fps=60) == 1
    assert seen["after glide"] == (40, 200)
    assert seen["frozen"] is True
    assert seen["selected"] == "Quit"
