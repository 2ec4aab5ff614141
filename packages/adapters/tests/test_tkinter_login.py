"""End to end: examples/tkinter_login.py in a real window under Xvfb, driven as a person would.

Clicks go through <Enter>/<ButtonPress-1>/<ButtonRelease-1> on the widget, typing through
<KeyPress> events on the focused entry. A screenshot of the window is saved to
build/screenshots/tkinter-<test>.png at the end of each test.
"""

from __future__ import annotations

import importlib.util
import tkinter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from PIL import ImageGrab

from gearwork.adapters.tkinter import TkHost, run
from gearwork.nursery import open_nursery

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "tkinter_login.py"
SCREENSHOTS = ROOT / "build" / "screenshots"


def load_example() -> ModuleType:
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} is not here (an sdist has no examples)")
    spec = importlib.util.spec_from_file_location("tkinter_login", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def screenshot(widget: tkinter.Misc, display: str, name: str) -> Path:
    """Save what the screen shows of *widget*'s window as build/screenshots/tkinter-<name>.png."""
    widget.update()
    x, y = widget.winfo_rootx(), widget.winfo_rooty()
    box = (x, y, x + widget.winfo_width(), y + widget.winfo_height())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"tkinter-{name}.png"
    ImageGrab.grab(bbox=box, xdisplay=display).save(path)
    return path


class Person:
    """Drives the app with real X events, waiting on the host between actions."""

    def __init__(self, host: TkHost) -> None:
        self.host = host

    def find(self, path: str) -> tkinter.Misc:
        widget: tkinter.Misc = self.host.root.nametowidget(path)
        return widget

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        for _ in range(500):
            if condition():
                return
            await self.host.sleep(0.01)
        raise AssertionError("the app did not get there within 5 s")

    async def click(self, path: str) -> None:
        await self.wait_for(lambda: self._viewable(path))
        widget = self.find(path)
        widget.event_generate("<Enter>", x=5, y=5)
        widget.event_generate("<ButtonPress-1>", x=5, y=5)
        widget.event_generate("<ButtonRelease-1>", x=5, y=5)
        await self.host.sleep(0.01)

    async def type(self, path: str, text: str) -> None:
        await self.wait_for(lambda: self._viewable(path))
        widget = self.find(path)
        widget.focus_force()
        widget.update()
        for char in text:
            widget.event_generate("<KeyPress>", keysym=char)
        await self.host.sleep(0.01)

    def press(self, path: str, keysym: str) -> None:
        widget = self.find(path)
        widget.focus_force()
        widget.update()
        widget.event_generate("<KeyPress>", keysym=keysym)

    def _viewable(self, path: str) -> bool:
        try:
            return bool(self.find(path).winfo_viewable())
        except KeyError:
            return False


def dialog_path(host: TkHost) -> str:
    (dialog,) = [w for w in host.root.winfo_children() if isinstance(w, tkinter.Toplevel)]
    return str(dialog)


def test_login_with_a_wrong_then_the_right_password_then_quit(xdisplay: str) -> None:
    example = load_example()
    shown: list[str] = []

    async def session(host: TkHost) -> str:
        host.root.geometry("+20+20")
        person = Person(host)
        async with open_nursery() as nursery:
            app = nursery.start(example.main(host, timeout=30.0))
            await person.click(".login")
            await person.wait_for(lambda: len(host.root.winfo_children()) > 2)
            dialog = dialog_path(host)
            await person.type(f"{dialog}.user", "alice")
            await person.type(f"{dialog}.password", "nope")
            await person.click(f"{dialog}.ok")
            status = person.find(".status")
            await person.wait_for(lambda: status["text"].startswith("Wrong"))
            shown.append(status["text"])
            await person.click(".login")
            await person.wait_for(lambda: len(host.root.winfo_children()) > 2)
            dialog = dialog_path(host)
            await person.type(f"{dialog}.user", "alice")
            await person.type(f"{dialog}.password", "wonderland")
            screenshot(
                person.find(dialog),
                xdisplay,
                "test_login_with_a_wrong_then_the_right_password-dialog",
            )
            assert person.find(f"{dialog}.password").get() == "wonderland"  # type: ignore[attr-defined]
            person.press(f"{dialog}.password", "Return")
            await person.wait_for(lambda: status["text"].startswith("Welcome"))
            shown.append(status["text"])
            screenshot(host.root, xdisplay, "test_login_with_a_wrong_then_the_right_password")
            await person.click(".quit")
        return str(app.result)

    assert run(session) == "alice"
    assert shown == ["Wrong password for 'alice'", "Welcome, alice!"]


def test_the_login_dialog_closes_itself_when_the_time_is_up(xdisplay: str) -> None:
    example = load_example()

    async def session(host: TkHost) -> str:
        host.root.geometry("+20+20")
        person = Person(host)
        async with open_nursery() as nursery:
            app = nursery.start(example.main(host, timeout=0.3))
            await person.click(".login")
            await person.wait_for(lambda: len(host.root.winfo_children()) > 2)
            await person.type(f"{dialog_path(host)}.user", "bob")
            status = person.find(".status")
            await person.wait_for(lambda: status["text"] == "Login timed out")
            assert len(host.root.winfo_children()) == 2  # the dialog is gone
            assert str(person.find(".login")["state"]) == "normal"
            screenshot(host.root, xdisplay, "test_the_login_dialog_closes_itself")
            app.cancel()
            return str(status["text"])

    assert run(session) == "Login timed out"
