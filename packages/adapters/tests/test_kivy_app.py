"""gearwork.adapters.kivy with a real Kivy window (SDL offscreen): run(), touches, trio, example.

Kivy cannot run ``App().run()`` twice in one process (it hangs), so every test here runs
in a process of its own: the test, called by the outer pytest, runs pytest again on its
own node id in a child process with GEARWORK_KIVY_CHILD=1, where the body runs for real.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

CHILD = os.environ.get("GEARWORK_KIVY_CHILD") == "1"
ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "kivy_drag.py"
SCREENSHOTS = ROOT / "build" / "screenshots"

if CHILD:
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="gearwork-kivy-home-"))
pytest.importorskip("kivy")

F = TypeVar("F", bound=Callable[..., None])


def in_own_process(test: F) -> F:
    """Run *test* in a child pytest process (Kivy runs one App per process)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        if CHILD:
            return test(*args, **kwargs)
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(GEARWORK_KIVY_CHILD="1", SDL_VIDEODRIVER="offscreen")
        env["PYTHONPATH"] = os.pathsep.join(sys.path)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-x",
                "-W",
                "error",
                "-p",
                "no:cacheprovider",
                f"--rootdir={ROOT}",
                f"{__file__}::{test.__name__}",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
        assert "1 passed" in done.stdout, done.stdout[-4000:]
        return None

    return wrapper  # type: ignore[return-value]


# -- run() -------------------------------------------------------------------------------


@in_own_process
def test_run_returns_the_root_task_result_and_stops_the_app() -> None:
    from kivy.base import EventLoop

    from gearwork.adapters.kivy import KivyHost, run

    async def main(host: KivyHost, factor: int) -> int:
        assert EventLoop.window is not None
        await host.sleep(0.01)
        return 6 * factor

    assert run(main, 7) == 42
    assert EventLoop.status in ("stopped", "closed")


@in_own_process
def test_closing_the_window_cancels_the_root_task_and_awaits_its_clean_up() -> None:
    from kivy.core.window import Window

    from gearwork.adapters.kivy import KivyHost, run
    from gearwork.core import Cancelled, disable_cancellation, sleep_forever

    log: list[object] = []

    async def main(host: KivyHost) -> None:
        def close() -> None:
            log.append(("kept open", Window.dispatch("on_request_close")))

        host.call_later(0.01, close)
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                await host.sleep(0.02)  # clean-up that needs the loop still running
                log.append("cleaned up")

    with pytest.raises(Cancelled):
        run(main)
    assert log == [("kept open", True), "cleaned up"]


@in_own_process
def test_app_stop_from_elsewhere_cancels_the_root_task_and_its_clean_up_still_awaits() -> None:
    from kivy.app import App

    from gearwork.adapters.kivy import KivyHost, run
    from gearwork.core import Cancelled, disable_cancellation, sleep_forever

    log: list[str] = []

    async def main(host: KivyHost) -> None:
        host.call_later(0.01, App.get_running_app().stop)
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                await host.run_in_thread(log.append, "thread")
                await host.sleep(0.01)
                log.append("cleaned up")

    with pytest.raises(Cancelled):
        run(main)
    assert log == ["thread", "cleaned up"]


@in_own_process
def test_an_error_of_the_root_task_is_raised_by_run() -> None:
    from gearwork.adapters.kivy import KivyHost, run

    async def main(host: KivyHost) -> None:
        await host.sleep(0.01)
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        run(main)


@in_own_process
def test_run_checks_its_app() -> None:
    from gearwork.adapters.kivy import KivyHost, run

    async def main(host: KivyHost) -> None:
        pass

    with pytest.raises(TypeError, match=r"kivy\.app\.App"):
        run(main, app=object())


@in_own_process
def test_managed_tasks_of_an_app_with_its_own_run_are_cancelled_at_exit() -> None:
    from kivy.app import App
    from kivy.base import ExceptionManager, ExceptionManagerBase
    from kivy.uix.label import Label

    from gearwork.adapters.kivy import KivyHost
    from gearwork.core import Cancelled, sleep_forever

    handled: list[BaseException] = []
    log: list[str] = []

    class Handler(ExceptionManagerBase):  # type: ignore[misc]
        def handle_exception(self, exc: BaseException) -> int:
            handled.append(exc)
            return int(ExceptionManager.PASS)

    ExceptionManager.add_handler(Handler())

    async def fails(host: KivyHost) -> None:
        await host.sleep(0.01)
        raise KeyError("managed")

    async def forever() -> None:
        try:
            await sleep_forever()
        except Cancelled:
            log.append("cancelled at exit")
            raise

    class MyApp(App):  # type: ignore[misc]
        def build(self) -> Label:
            return Label(text="own run()")

        def on_start(self) -> None:
            host = KivyHost()
            host.start_managed(fails(host))
            host.start_managed(forever())
            host.call_later(0.1, self.stop)

    MyApp().run()  # an error of a managed task does not crash the app
    assert [type(e) for e in handled] == [KeyError]
    assert log == ["cancelled at exit"]


# -- touches ---------------------------------------------------------------------------------


def _finger_class() -> Any:
    """The example's scripted touch (imported from examples/kivy_drag.py)."""
    spec = importlib.util.spec_from_file_location("kivy_drag", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["kivy_drag"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/ is not part of the sdist")
@in_own_process
def test_touch_moves_follow_a_grabbed_touch_outside_the_widget_until_it_is_lifted() -> None:
    drag = _finger_class()
    from kivy.core.window import Window
    from kivy.uix.widget import Widget

    from gearwork.adapters.kivy import KivyHost, TouchMoves, run, wait_event

    async def main(host: KivyHost) -> tuple[list[tuple[float, float]], bool, int, int]:
        box = Widget(pos=(10, 10), size=(50, 50))
        Window.add_widget(box)
        other: list[object] = []
        box.fbind("on_touch_move", lambda w, t: other.append(t.grab_current))
        finger = drag.Finger(30, 30)
        host.call_later(0.01, finger.down)
        (touch,) = await wait_event(box, "on_touch_down", lambda t: box.collide_point(*t.pos))
        seen: list[tuple[float, float]] = []
        async with TouchMoves(box, touch) as moves:
            assert box in [ref() for ref in touch.grab_list]
            host.call_later(0.01, lambda: (finger.move_to(200, 150), finger.move_to(300, 200)))
            host.call_later(0.03, finger.up)
            async for t in moves:
                seen.append((round(t.x), round(t.y)))
        grabbed = sum(ref() is box for ref in touch.grab_list)
        return seen, moves.up, grabbed, len(box.get_property_observers("on_touch_move"))

    seen, up, grabbed, observers = run(main)
    assert seen[-1] == (300.0, 200.0)  # far outside the widget: the grab brought it
    assert up
    assert grabbed == 0
    assert observers == 1  # only the test's own binding is left


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/ is not part of the sdist")
@in_own_process
def test_cancelling_touch_moves_ungrabs_and_unbinds() -> None:
    drag = _finger_class()
    from kivy.core.window import Window
    from kivy.uix.widget import Widget

    from gearwork.adapters.kivy import KivyHost, TouchMoves, run, wait_event
    from gearwork.core import start

    async def main(host: KivyHost) -> tuple[bool, int, int, int]:
        box = Widget(pos=(10, 10), size=(50, 50))
        Window.add_widget(box)
        finger = drag.Finger(30, 30)
        host.call_later(0.01, finger.down)
        (touch,) = await wait_event(box, "on_touch_down")

        async def follow() -> None:
            async with TouchMoves(box, touch) as moves:
                async for _ in moves:
                    pass

        task = start(follow())
        bound = len(box.get_property_observers("on_touch_up"))
        task.cancel()
        finger.up()
        return (
            task.cancelled,
            bound,
            len(box.get_property_observers("on_touch_up")),
            sum(ref() is box for ref in touch.grab_list),
        )

    assert run(main) == (True, 1, 0, 0)


# -- trio guest mode ---------------------------------------------------------------------------


@in_own_process
def test_a_trio_tcp_echo_completes_in_guest_mode_inside_the_kivy_app() -> None:
    trio = pytest.importorskip("trio")
    from kivy.core.window import Window
    from kivy.uix.label import Label

    from gearwork.adapters.kivy import KivyHost, run
    from gearwork.adapters.trio import run_trio_guest

    async def echo() -> bytes:
        async def handler(stream: Any) -> None:
            data = await stream.receive_some(100)
            await stream.send_all(data.upper())
            await stream.aclose()

        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(
                functools.partial(trio.serve_tcp, handler, 0, host="127.0.0.1")
            )
            port = listeners[0].socket.getsockname()[1]
            client = await trio.open_tcp_stream("127.0.0.1", port)
            await client.send_all(b"hello kivy")
            reply = b""
            while len(reply) < 10:
                reply += await client.receive_some(100)
            await client.aclose()
            nursery.cancel_scope.cancel()
        return reply

    async def main(host: KivyHost) -> bytes:
        label = Label(text="trio")
        Window.add_widget(label)
        reply = await run_trio_guest(host, echo)
        label.text = reply.decode()
        # Cancelled from the gearwork side: trio is cancelled first, Kivy keeps running.
        from gearwork.core import start

        guest = start(run_trio_guest(host, trio.sleep_forever))
        await host.sleep(0.02)
        guest.cancel()
        while not guest.done():
            await host.sleep(0.005)
        assert guest.cancelled
        return reply

    assert run(main) == b"HELLO KIVY"


# -- the example, end to end ----------------------------------------------------------------------


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/ is not part of the sdist")
@in_own_process
def test_a_person_drags_the_square_onto_the_target_presses_escape_and_closes_the_window() -> None:
    drag = _finger_class()
    from kivy.core.window import Window

    from gearwork.adapters.kivy import KivyHost, run
    from gearwork.core import Cancelled

    app = drag.DragApp()
    shown: list[str] = []

    async def person(host: KivyHost) -> None:
        await host.sleep(0.1)
        square, target = app.square, app.target
        finger = drag.Finger(*square.center)
        finger.down()
        assert app.status.text.startswith("Dragging")  # the task ran inside the touch down
        await drag.glide(host, finger, target.center)
        finger.up()
        shown.append(app.status.text)
        assert target.collide_point(*square.center)
        # A second drag, cancelled with Escape: the square slides back onto the target.
        finger = drag.Finger(*square.center)
        finger.down()
        await drag.glide(host, finger, (120, 60))
        drag.press_key(drag.ESCAPE)
        shown.append(app.status.text)
        finger.up()
        await host.sleep(0.5)
        assert target.collide_point(*square.center)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "kivy-drag.png"
        os.replace(Window.screenshot(name=str(shot)), shot)
        drag.close_window()

    async def root(host: KivyHost) -> None:
        host.start_managed(person(host))
        await drag.main(host, app)

    with pytest.raises(Cancelled):
        run(root, app=app)
    assert shown == ["Dropped on the target (1)", "Cancelled (Escape): back it goes"]
    assert app.status.text == "Bye"
    assert (SCREENSHOTS / "kivy-drag.png").stat().st_size > 0


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/ is not part of the sdist")
def test_the_drag_example_runs_headless_by_itself() -> None:
    head = EXAMPLE.read_text(encoding="utf-8").splitlines()[:20]
    assert not any(line.strip().lower().startswith("# demo: skip") for line in head[:10])
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Dropped on the target (1)",
        "Cancelled (released outside): back it goes",
        "Cancelled (Escape): back it goes",
        "Window closed",
    ]
    assert "Traceback" not in done.stderr
