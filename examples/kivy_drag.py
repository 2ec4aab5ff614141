"""Drag the blue square onto the green target, in Kivy: one gearwork task, top to bottom.

Run it with ``python examples/kivy_drag.py`` (``pip install gearwork-adapters[kivy]``).
Touch (or click) the square and drag it: released on the target it stays there;
released anywhere else, or with Escape pressed during the drag, the drag is cancelled
and the square slides back (a Kivy ``Animation`` awaited from the task). Escape when
nothing is dragged, or closing the window, ends the app: the root task is cancelled
and its clean-up still runs.

Without a display (no DISPLAY or WAYLAND_DISPLAY), or with ``--selftest``, it runs on
SDL's offscreen driver and a scripted "person" drags for you: a drop on the target, a
release outside it and an Escape mid-drag, then closes the window. ``--screenshot PATH``
saves the window before it closes.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import sys
import tempfile

HEADLESS = "--selftest" in sys.argv or not (
    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
)
if HEADLESS:  # read by Kivy and SDL when kivy is imported and the window is made
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-drag-home-"))
os.environ["KIVY_NO_ARGS"] = "1"  # the options below are the example's, not Kivy's

from kivy.animation import Animation  # noqa: E402
from kivy.app import App  # noqa: E402
from kivy.base import EventLoop  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.graphics import Color, Line, Rectangle  # noqa: E402
from kivy.input.motionevent import MotionEvent  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

from gearwork.adapters.kivy import KivyHost, TouchMoves, run, wait_event  # noqa: E402
from gearwork.core import Cancelled, disable_cancellation  # noqa: E402
from gearwork.nursery import wait_any  # noqa: E402

ESCAPE = 27


class Box(Widget):  # type: ignore[misc]
    """A filled (or outlined) rectangle that follows its own pos and size."""

    def __init__(self, rgb: tuple[float, float, float], filled: bool, **kwargs: object) -> None:
        super().__init__(**kwargs)
        with self.canvas:
            Color(*rgb)
            self.shape = Rectangle() if filled else Line(width=3)
        self.fbind("pos", self._redraw)
        self.fbind("size", self._redraw)
        self._redraw()

    def _redraw(self, *_: object) -> None:
        if isinstance(self.shape, Rectangle):
            self.shape.pos, self.shape.size = self.pos, self.size
        else:
            self.shape.rectangle = (*self.pos, *self.size)


class DragApp(App):  # type: ignore[misc]
    title = "gearwork + Kivy: drag"

    def build(self) -> Widget:
        Window.size = (480, 320)
        Window.clearcolor = (0.12, 0.12, 0.14, 1)
        root = Widget()
        self.home = (60, 110)
        self.target = Box((0.2, 0.8, 0.3), False, pos=(320, 90), size=(120, 120))
        self.square = Box((0.2, 0.45, 0.95), True, pos=self.home, size=(80, 80))
        self.status = Label(text="Drag the square onto the target", pos=(0, 250), size=(480, 60))
        for widget in (self.target, self.square, self.status):
            root.add_widget(widget)
        return root


async def drag(host: KivyHost, app: DragApp, touch: MotionEvent) -> bool:
    """Follow *touch* with the square until it is lifted; True if dropped on the target."""
    square = app.square
    dx, dy = touch.x - square.x, touch.y - square.y
    async with TouchMoves(square, touch, stop_dispatching=True) as moves:
        async for moved in moves:
            square.pos = (moved.x - dx, moved.y - dy)
    return bool(app.target.collide_point(*touch.pos))


async def main(host: KivyHost, app: DragApp) -> None:
    square = app.square
    drops = 0
    try:
        while True:
            (touch,) = await wait_event(
                square, "on_touch_down", lambda t: square.collide_point(*t.pos)
            )
            app.status.text = "Dragging... (Escape cancels)"
            dragging, _ = await wait_any(
                drag(host, app, touch),
                # Escape during a drag goes no further: Kivy would otherwise close the app.
                wait_event(
                    Window, "on_key_down", lambda key, *_: key == ESCAPE, stop_dispatching=True
                ),
            )
            if dragging.finished and dragging.result:
                drops += 1
                square.center = app.target.center
                app.status.text = f"Dropped on the target ({drops})"
                app.home = tuple(square.pos)  # a copy: square.pos changes in place
            else:
                why = "Escape" if not dragging.finished else "released outside"
                app.status.text = f"Cancelled ({why}): back it goes"
                slide = Animation(pos=app.home, duration=0.25, t="out_quad")
                slide.start(square)
                try:
                    await wait_event(slide, "on_complete")
                finally:
                    slide.cancel(square)
            print(app.status.text, flush=True)
    finally:
        async with disable_cancellation():
            app.status.text = "Bye"
            await host.sleep(0.05)  # clean-up may still await: the window is still there
            print("Window closed", flush=True)


# -- the scripted person of --selftest -------------------------------------------------------

_ids = itertools.count(1)


class Finger(MotionEvent):  # type: ignore[misc]
    """A touch made by a script, fed to Kivy the way its input providers feed theirs."""

    def __init__(self, x: float, y: float) -> None:
        super().__init__(
            "gearwork-script", next(_ids), self._args(x, y), is_touch=True, type_id="touch"
        )

    @staticmethod
    def _args(x: float, y: float) -> dict[str, float]:
        width, height = Window.system_size
        return {"x": x / width, "y": y / height}

    def depack(self, args: dict[str, float]) -> None:
        self.profile = ["pos"]
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)

    def down(self) -> None:
        EventLoop.post_dispatch_input("begin", self)

    def move_to(self, x: float, y: float) -> None:
        self.move(self._args(x, y))
        EventLoop.post_dispatch_input("update", self)

    def up(self) -> None:
        self.update_time_end()
        EventLoop.post_dispatch_input("end", self)


async def glide(host: KivyHost, finger: Finger, to: tuple[float, float], steps: int = 8) -> None:
    (x0, y0), (x1, y1) = finger.pos, to
    for i in range(1, steps + 1):
        await host.sleep(0.01)
        finger.move_to(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)


def press_key(key: int) -> None:
    """A key press as SDL's window reports it (on_key_down, then on_keyboard if unhandled)."""
    if not Window.dispatch("on_key_down", key, 0, None, []):
        Window.dispatch("on_keyboard", key, 0, None, [])
    Window.dispatch("on_key_up", key, 0)


def close_window() -> None:
    """What the window manager's close button does."""
    if not Window.dispatch("on_request_close"):
        App.get_running_app().stop()


async def selftest(host: KivyHost, app: DragApp, screenshot: str | None) -> None:
    await host.sleep(0.1)
    for goal, end in (((380, 150), "up"), ((200, 40), "up"), ((250, 150), "escape")):
        finger = Finger(*app.square.center)
        finger.down()
        await glide(host, finger, goal)
        if end == "escape":
            press_key(ESCAPE)
            await host.sleep(0.02)
        finger.up()
        await host.sleep(0.4)  # a cancelled drag slides back
    if screenshot:  # Kivy numbers its screenshots: move the file to the name asked for
        os.replace(Window.screenshot(name=screenshot), screenshot)
    close_window()


def main_entry() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selftest", action="store_true", help="drag by script, then close")
    parser.add_argument("--screenshot", help="save the window to this PNG before closing")
    options = parser.parse_args()
    app = DragApp()

    async def root(host: KivyHost) -> None:
        if HEADLESS:
            host.start_managed(selftest(host, app, options.screenshot))
        await main(host, app)

    with contextlib.suppress(Cancelled):  # the window was closed: the usual way to end
        run(root, app=app)


if __name__ == "__main__":
    main_entry()
