"""gearwork.adapters.tkinter in a real Tk, in a real window under Xvfb (see conftest.xdisplay)."""

from __future__ import annotations

import threading
import tkinter
from collections.abc import Iterator
from typing import Any

import pytest

from gearwork.adapters.tkinter import EventStream, TkHost, event, events, unbind, wait_destroyed
from gearwork.core import Cancelled, Task, disable_cancellation, sleep_forever, start


@pytest.fixture
def root(xdisplay: str) -> Iterator[tkinter.Tk]:
    tk = tkinter.Tk()
    tk.geometry("200x100+0+0")
    tk.update()
    try:
        yield tk
    finally:
        if tk.winfo_exists():
            tk.destroy()


@pytest.fixture
def host(root: tkinter.Tk) -> Iterator[TkHost]:
    h = TkHost(root)
    try:
        yield h
    finally:
        h.close()


def run_until_done(host: TkHost, task: Task[Any]) -> None:
    """Run Tk's main loop until *task* ends (a watchdog stops a hung test after 10 s)."""
    if task.done():
        return
    root = host.root
    task.add_done_callback(lambda _: root.quit())
    watchdog = root.after(10_000, root.quit)
    root.mainloop()
    root.after_cancel(watchdog)
    assert task.done(), "the task did not end within 10 s"


def tk_afters(root: tkinter.Tk) -> int:
    """How many `after` timers the Tk interpreter itself has pending."""
    return len(root.tk.splitlist(root.tk.call("after", "info")))


def press_key(widget: tkinter.Misc, keysym: str) -> None:
    widget.focus_force()
    widget.update()
    widget.event_generate("<KeyPress>", keysym=keysym)


# ----------------------------------------------------------------------------- timers


def test_sleep_runs_on_tk_after_timers_and_leaves_none_behind(host: TkHost) -> None:
    before = tk_afters(host.root)

    async def main() -> list[int]:
        seen = []
        await host.sleep(0.001)
        seen.append(host.pending_timers)
        async for _elapsed, _delta in host.periodic(0.001):
            seen.append(tk_afters(host.root) - before)
            if len(seen) == 4:
                break
        return seen

    task = start(main())
    assert host.pending_timers == 1
    assert tk_afters(host.root) == before + 1
    run_until_done(host, task)
    assert task.result[0] == 0
    assert host.pending_timers == 0
    assert tk_afters(host.root) == before


def test_many_cancelled_sleeps_take_their_timers_back_from_tk_at_once(host: TkHost) -> None:
    before = tk_afters(host.root)
    tasks = [start(host.sleep(60)) for _ in range(500)]
    assert host.pending_timers == 500
    assert tk_afters(host.root) == before + 500
    for task in tasks:
        task.cancel()
    assert all(task.cancelled for task in tasks)
    assert host.pending_timers == 0
    assert tk_afters(host.root) == before


def test_move_on_after_and_fail_after_time_out_on_tk_timers(host: TkHost) -> None:
    async def main() -> tuple[bool, str]:
        async with host.move_on_after(0.005) as scope:
            await sleep_forever()
        try:
            async with host.fail_after(0.005):
                await sleep_forever()
        except TimeoutError as exc:
            return scope.timed_out, type(exc).__name__
        return scope.timed_out, "no timeout"

    task = start(main())
    run_until_done(host, task)
    assert task.result == (True, "TimeoutError")
    assert host.pending_timers == 0


def test_wait_with_a_timeout_and_a_monitor_run_on_tk_timers(host: TkHost) -> None:
    async def main() -> tuple[int, int, bool]:
        async with host.monitor(0.002) as monitor:
            done, pending = await host.wait([host.sleep(0.001), sleep_forever()], timeout=0.01)
            await host.sleep(0.01)
        return len(done), len(pending), monitor.result >= 1

    task = start(main())
    run_until_done(host, task)
    assert task.result == (1, 1, True)
    assert host.pending_timers == 0


def test_call_later_needs_a_callable(host: TkHost) -> None:
    with pytest.raises(TypeError, match=r"call_later\(\) needs a callable, got int"):
        host.call_later(1, 42)  # type: ignore[arg-type]


def test_tk_host_needs_a_tk_root(xdisplay: str) -> None:
    with pytest.raises(TypeError, match=r"TkHost\(\) needs a tkinter\.Tk or None, got str"):
        TkHost("root")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- threads


def test_run_in_thread_wakes_tk_through_the_file_handler(host: TkHost) -> None:
    async def main() -> tuple[int, bool]:
        value = await host.run_in_thread(sum, [1, 2, 3])
        return value, threading.current_thread() is threading.main_thread()

    task = start(main())
    run_until_done(host, task)
    assert task.result == (6, True)


def test_callbacks_posted_from_threads_also_run_while_update_drives_tk(host: TkHost) -> None:
    ran = threading.Event()
    seen: list[bool] = []

    def worker() -> None:
        host.call_soon_threadsafe(lambda: seen.append(True))
        ran.set()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert ran.is_set()
    while not seen:  # update() serves the file handler; no mainloop() runs here
        host.root.tk.dooneevent(0)
    assert seen == [True]


def test_a_posted_callback_that_raises_goes_to_report_callback_exception(host: TkHost) -> None:
    reported: list[BaseException] = []
    host.root.report_callback_exception = lambda t, e, tb: reported.append(e)

    def boom() -> None:
        raise ValueError("boom")

    host.call_soon_threadsafe(boom)
    host.call_soon_threadsafe(host.root.quit)
    host.root.mainloop()
    assert [str(e) for e in reported] == ["boom"]


def test_a_closed_host_refuses_posts(host: TkHost) -> None:
    host.close()
    with pytest.raises(RuntimeError, match="closed"):
        host.call_soon_threadsafe(print)


# ----------------------------------------------------------------------------- events


def test_event_resumes_the_task_with_the_first_event_that_passes_the_filter(
    root: tkinter.Tk,
) -> None:
    entry = tkinter.Entry(root)
    entry.pack()

    async def main() -> str:
        ev = await event(entry, "<KeyPress>", filter=lambda e: e.keysym == "b")
        return ev.keysym

    task = start(main())
    press_key(entry, "a")
    assert not task.done()
    press_key(entry, "b")
    assert task.result == "b"
    assert entry.get() == "ab"  # not consumed: the Entry's class binding saw both keys


def test_the_waiting_task_runs_inside_tks_callback(root: tkinter.Tk) -> None:
    button = tkinter.Button(root, text="go")
    button.pack()
    root.update()
    state = {"clicked": False}
    seen_by_the_next_binding: list[bool] = []

    async def main() -> None:
        await event(button, "<<Clicked>>")
        state["clicked"] = True

    task = start(main())
    # A binding of the same event after the waiter's: it runs in the same Tk dispatch.
    button.bind(
        "<<Clicked>>", lambda e: seen_by_the_next_binding.append(state["clicked"]), add=True
    )
    button.event_generate("<<Clicked>>")
    # event_generate returned: Tk's callbacks have all run, and the task had already run
    # before the next binding of the same event.
    assert seen_by_the_next_binding == [True]
    assert task.finished


def test_the_binding_is_removed_when_the_wait_ends_and_other_bindings_stay(
    root: tkinter.Tk,
) -> None:
    own: list[str] = []
    root.bind("<<Ping>>", lambda e: own.append("own"))
    script_before = root.bind("<<Ping>>").strip()
    commands_before = len(root.tk.splitlist(root.tk.call("info", "commands")))

    async def main() -> None:
        await event(root, "<<Ping>>")

    task = start(main())
    assert root.bind("<<Ping>>") != script_before
    root.event_generate("<<Ping>>")
    assert task.finished
    assert root.bind("<<Ping>>").strip() == script_before  # gh-75666 would have removed "own" too
    assert len(root.tk.splitlist(root.tk.call("info", "commands"))) == commands_before
    root.event_generate("<<Ping>>")
    assert own == ["own", "own"]


def test_a_cancelled_waiter_removes_exactly_its_binding(root: tkinter.Tk) -> None:
    script_before = root.bind("<<Ping>>").strip()
    tasks = [start(event(root, "<<Ping>>")) for _ in range(3)]
    tasks[1].cancel()
    assert tasks[1].cancelled
    root.event_generate("<<Ping>>")
    assert tasks[0].finished and tasks[2].finished
    assert root.bind("<<Ping>>").strip() == script_before


def test_consume_stops_the_event_before_the_class_bindings(root: tkinter.Tk) -> None:
    entry = tkinter.Entry(root)
    entry.pack()
    task = start(event(entry, "<KeyPress>", consume=True))
    press_key(entry, "x")
    assert task.finished
    assert entry.get() == ""
    press_key(entry, "y")
    assert entry.get() == "y"


def test_an_event_stream_keeps_one_binding_for_a_loop_of_events(root: tkinter.Tk) -> None:
    frame = tkinter.Frame(root, width=100, height=50)
    frame.pack()
    root.update()
    scripts: list[str] = []

    async def main() -> list[int]:
        xs = []
        async with events(frame, "<Motion>", filter=lambda e: e.x % 2 == 0) as motion:
            scripts.append(frame.bind("<Motion>"))
            async for ev in motion:
                xs.append(ev.x)
                scripts.append(frame.bind("<Motion>"))
                if len(xs) == 3:
                    break
        return xs

    task = start(main())
    for x in range(1, 8):
        frame.event_generate("<Motion>", x=x, y=5)
    assert task.result == [2, 4, 6]
    assert len(set(scripts)) == 1 and scripts[0].count("\n") <= 1  # one binding all along
    assert frame.bind("<Motion>") == ""


def test_an_event_stream_awaited_outside_its_block_says_so(root: tkinter.Tk) -> None:
    stream: EventStream[tkinter.Tk] = events(root, "<Motion>")

    async def main() -> None:
        await anext(stream)

    with pytest.raises(RuntimeError, match="inside its 'async with' block"):
        start(main())


@pytest.mark.parametrize(
    ("widget", "sequence", "error", "match"),
    [
        ("not a widget", "<Motion>", TypeError, "needs a tkinter widget, got str"),
        (None, "Motion", ValueError, "needs an event sequence"),
    ],
)
def test_event_checks_its_arguments(
    root: tkinter.Tk, widget: object, sequence: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        event(root if widget is None else widget, sequence)  # type: ignore[type-var]


def test_unbind_needs_the_funcid_of_bind(root: tkinter.Tk) -> None:
    with pytest.raises(TypeError, match="needs the funcid"):
        unbind(root, "<Motion>", None)  # type: ignore[arg-type]


def test_wait_destroyed_waits_for_a_toplevel_dialog(root: tkinter.Tk) -> None:
    dialog = tkinter.Toplevel(root)
    tkinter.Button(dialog, text="child").pack()
    root.update()
    task = start(wait_destroyed(dialog))
    assert not task.done()
    dialog.destroy()
    assert task.finished
    assert start(wait_destroyed(dialog)).finished  # already gone: at once


# ------------------------------------------------------------------------- root tasks


def test_root_tasks_are_cancelled_when_the_root_window_is_destroyed(xdisplay: str) -> None:
    tk = tkinter.Tk()
    host = TkHost(tk)
    cleaned: list[str] = []

    async def background() -> None:
        try:
            await sleep_forever()
        finally:
            cleaned.append("cleaned")

    task = host.start_root(background())
    assert host.root_tasks == {task}
    tk.destroy()
    assert task.cancelled
    assert cleaned == ["cleaned"]
    assert host.root_tasks == frozenset()
    with pytest.raises(RuntimeError, match="closed"):
        host.start_root(background())


def test_a_failing_root_task_is_reported_by_tk(host: TkHost) -> None:
    reported: list[BaseException] = []
    host.root.report_callback_exception = lambda t, e, tb: reported.append(e)

    async def fails() -> None:
        await event(host.root, "<<Fail>>")
        raise KeyError("bad")

    task = host.start_root(fails())
    host.root.event_generate("<<Fail>>")
    assert exception_is_key_error(task)
    assert [repr(e) for e in reported] == ["KeyError('bad')"]


def exception_is_key_error(task: Task[Any]) -> bool:
    from gearwork.core.lowlevel import exception_of

    return isinstance(exception_of(task), KeyError)


def test_a_cancelled_task_cleans_up_under_shield_on_tk_timers(host: TkHost) -> None:
    async def main() -> str:
        try:
            await sleep_forever()
        except Cancelled:
            async with disable_cancellation():
                await host.sleep(0.002)
            raise
        return "not cancelled"

    task = start(main())
    task.cancel()
    assert not task.done()
    run_until_done(host, task)
    assert task.cancelled
