"""gearwork.adapters.qt against the real Qt (PySide6, offscreen platform)."""

from __future__ import annotations

import functools
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import SIGNAL, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QWidget

import gearwork.adapters.qt as gwqt
from gearwork.adapters.qt import QtHost, SignalStream, open_dialog, wait_signal
from gearwork.core import Cancelled, Task, disable_cancellation, sleep_forever, start

# The screenshots go to the repository's build/screenshots.
SCREENSHOTS = Path(__file__).resolve().parents[3] / "build" / "screenshots"


@pytest.fixture(scope="module")
def app() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication([])


@pytest.fixture
def host(app: QApplication) -> QtHost:
    return QtHost()


class Emitter(QObject):
    value = Signal(int)
    pair = Signal(int, str)


RECEIVERS_VALUE = SIGNAL("value(int)")
RECEIVERS_PAIR = SIGNAL("pair(int,QString)")


def exec_until(app: QApplication, task: Task[Any], limit: float = 10.0) -> None:
    """Run Qt's loop until *task* ends (or, as a safety net for a broken test, *limit* s)."""
    task.add_done_callback(lambda _: app.exit(0))
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: app.exit(1))
    guard.start(int(limit * 1000))
    if not task.done():
        assert app.exec() == 0, "the task did not end in time"
    guard.stop()


# -- the time protocol on Qt's timers ------------------------------------------------


def test_sleeps_are_driven_by_qt_timers_and_end_in_order(app: QApplication, host: QtHost) -> None:
    order: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await host.sleep(seconds)
        order.append(name)

    async def main() -> None:
        a = start(sleeper("late", 0.03))
        b = start(sleeper("early", 0.001))
        assert host.pending_timers == host.qt_timers == 2
        while not (a.done() and b.done()):
            await host.sleep(0.005)

    exec_until(app, start(main()))
    assert order == ["early", "late"]
    assert host.pending_timers == host.qt_timers == 0


def test_many_cancelled_sleeps_leave_no_timer_in_qt(host: QtHost) -> None:
    tasks = [start(host.sleep(100)) for _ in range(1000)]
    assert host.pending_timers == host.qt_timers == 1000
    for task in tasks:
        task.cancel()
    assert all(task.cancelled for task in tasks)
    assert host.pending_timers == host.qt_timers == 0


def test_move_on_after_and_fail_after_end_waits_on_qt_timers(
    app: QApplication, host: QtHost
) -> None:
    async def main() -> tuple[bool, bool]:
        async with host.move_on_after(0.01) as scope:
            await sleep_forever()
        with pytest.raises(TimeoutError):
            async with host.fail_after(0.01):
                await sleep_forever()
        return scope.cancelled_caught, host.pending_timers == 0

    task = start(main())
    exec_until(app, task)
    assert task.result == (True, True)
    assert host.qt_timers == 0


def test_periodic_and_wait_with_timeout(app: QApplication, host: QtHost) -> None:
    async def main() -> tuple[int, int, int]:
        ticks = 0
        async for _ in host.periodic(0.002):
            ticks += 1
            if ticks == 3:
                break
        done, pending = await host.wait([sleep_forever(), host.sleep(0.001)], timeout=0.05)
        for task in pending:
            task.cancel()
        return ticks, len(done), len(pending)

    task = start(main())
    exec_until(app, task)
    assert task.result == (3, 1, 1)
    assert host.pending_timers == host.qt_timers == 0


def test_call_later_rejects_nan(host: QtHost) -> None:
    with pytest.raises(ValueError, match="NaN"):
        host.call_later(float("nan"), print)


def test_a_host_needs_an_application_object() -> None:
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from gearwork.adapters.qt import QtHost\n"
        "try:\n    QtHost()\nexcept RuntimeError as e:\n    print(e)\n"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "QApplication" in out


# -- threads --------------------------------------------------------------------------


def test_run_in_thread_wakes_qt_with_a_posted_event(app: QApplication, host: QtHost) -> None:
    main_thread = threading.get_ident()

    async def main() -> tuple[int, bool]:
        worker = await host.run_in_thread(threading.get_ident)
        return worker, threading.get_ident() == main_thread

    task = start(main())
    exec_until(app, task)
    worker, back_on_main = task.result
    assert worker != main_thread
    assert back_on_main


def test_call_soon_threadsafe_latency_is_measured(app: QApplication, host: QtHost) -> None:
    # The median is printed for the report (pytest -s); durations are never asserted.
    latencies: list[float] = []
    rounds = 200
    done = threading.Event()

    def worker() -> None:
        for _ in range(rounds):
            arrived = threading.Event()
            sent = time.perf_counter()

            def on_qt(sent: float = sent, arrived: threading.Event = arrived) -> None:
                latencies.append(time.perf_counter() - sent)
                arrived.set()

            host.call_soon_threadsafe(on_qt)
            arrived.wait()
        host.call_soon_threadsafe(lambda: app.exit(0))
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    app.exec()
    thread.join()
    assert done.is_set()
    assert len(latencies) == rounds
    median_ms = statistics.median(latencies) * 1000
    print(f"\nQt call_soon_threadsafe median latency: {median_ms:.3f} ms over {rounds} wake-ups")


def test_callbacks_posted_together_run_in_order_on_one_wake_up(
    app: QApplication, host: QtHost
) -> None:
    seen: list[int] = []
    for i in range(5):
        host.call_soon_threadsafe(functools.partial(seen.append, i))
    host.call_soon_threadsafe(lambda: app.exit(0))
    app.exec()
    assert seen == [0, 1, 2, 3, 4]


# -- signals --------------------------------------------------------------------------


def test_wait_signal_resumes_inside_the_emission_and_disconnects() -> None:
    emitter = Emitter()
    state: list[int] = []

    async def waiter() -> None:
        (value,) = await wait_signal(emitter.value)
        state.append(value)

    task = start(waiter())
    assert emitter.receivers(RECEIVERS_VALUE) == 1
    emitter.value.emit(7)
    # Synchronous resumption: the task ran inside emit().
    assert state == [7]
    assert task.finished
    assert emitter.receivers(RECEIVERS_VALUE) == 0


def test_wait_signal_filter_skips_emissions_and_passes_every_argument() -> None:
    emitter = Emitter()
    task = start(wait_signal(emitter.pair, lambda n, s: n > 2))
    emitter.pair.emit(1, "no")
    assert not task.done()
    emitter.pair.emit(3, "yes")
    assert task.result == (3, "yes")
    assert emitter.receivers(RECEIVERS_PAIR) == 0


def test_cancelling_a_waiter_removes_exactly_its_connection() -> None:
    emitter = Emitter()
    others: list[int] = []
    emitter.value.connect(others.append)
    task = start(wait_signal(emitter.value))
    assert emitter.receivers(RECEIVERS_VALUE) == 2
    task.cancel()
    assert task.cancelled
    assert emitter.receivers(RECEIVERS_VALUE) == 1
    emitter.value.emit(5)
    assert others == [5]


def test_wait_signal_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="bound Qt signal"):
        wait_signal(Emitter.value)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="filter must be callable"):
        wait_signal(Emitter().value, 3)  # type: ignore[arg-type]


def test_a_signal_stream_keeps_one_connection_for_a_loop_of_emissions() -> None:
    emitter = Emitter()
    seen: list[int] = []
    connected_during: list[int] = []

    async def follow() -> None:
        async with SignalStream(emitter.value, lambda v: v % 2 == 0) as stream:
            async for (value,) in stream:
                connected_during.append(emitter.receivers(RECEIVERS_VALUE))
                seen.append(value)
                if value >= 6:
                    break
        assert not stream.connected

    task = start(follow())
    for value in range(10):
        emitter.value.emit(value)
        # Each emission that passes is handled before emit() returns.
        assert seen == [v for v in range(value + 1) if v % 2 == 0 and v <= 6]
    assert task.finished
    assert connected_during == [1, 1, 1, 1]
    assert emitter.receivers(RECEIVERS_VALUE) == 0


def test_a_signal_stream_buffers_while_the_task_is_busy_and_closes_on_cancel(
    host: QtHost,
) -> None:
    emitter = Emitter()
    seen: list[int] = []
    gate = Emitter()

    async def follow() -> None:
        async with SignalStream(emitter.value, maxlen=2) as stream:
            await wait_signal(gate.value)  # busy elsewhere
            async for (value,) in stream:
                seen.append(value)

    task = start(follow())
    for value in range(3):
        emitter.value.emit(value)
    gate.value.emit(0)
    assert seen == [1, 2]  # the oldest was dropped beyond maxlen
    emitter.value.emit(9)
    assert seen == [1, 2, 9]
    task.cancel()
    assert task.cancelled
    assert emitter.receivers(RECEIVERS_VALUE) == 0


def test_signal_stream_checks_its_use() -> None:
    emitter = Emitter()
    with pytest.raises(ValueError, match="maxlen"):
        SignalStream(emitter.value, maxlen=-1)
    stream = SignalStream(emitter.value)
    with pytest.raises(RuntimeError, match="async with"):
        start(stream.next())


# -- dialogs --------------------------------------------------------------------------


def test_open_dialog_returns_the_code_of_finished(app: QApplication) -> None:
    dialog = QDialog()
    task = start(open_dialog(dialog))
    assert dialog.isVisible()
    dialog.accept()
    assert task.result == QDialog.DialogCode.Accepted.value
    task = start(open_dialog(dialog))
    dialog.reject()
    assert task.result == QDialog.DialogCode.Rejected.value
    assert dialog.receivers(SIGNAL("finished(int)")) == 0


def test_cancelling_open_dialog_closes_the_dialog(app: QApplication) -> None:
    dialog = QDialog()
    task = start(open_dialog(dialog))
    task.cancel()
    assert task.cancelled
    assert not dialog.isVisible()
    assert dialog.receivers(SIGNAL("finished(int)")) == 0


def test_open_dialog_needs_a_dialog() -> None:
    with pytest.raises(TypeError, match="needs a QDialog"):
        start(open_dialog(QWidget()))  # type: ignore[arg-type]


# -- run() ------------------------------------------------------------------------------


def test_run_returns_the_root_task_result_when_it_ends(app: QApplication) -> None:
    async def main(host: QtHost, factor: int) -> int:
        await host.sleep(0.001)
        return 6 * factor

    assert gwqt.run(main, 7) == 42
    assert QApplication.instance() is app


def test_closing_the_window_cancels_the_root_task_and_awaits_its_clean_up(
    app: QApplication,
) -> None:
    log: list[str] = []

    async def main(host: QtHost) -> None:
        window = QLabel("closing soon")
        window.show()
        host.call_later(0.001, window.close)
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                await host.sleep(0.002)  # clean-up that needs the loop still running
                log.append("cleaned up")

    with pytest.raises(Cancelled):
        gwqt.run(main)
    assert log == ["cleaned up"]


def test_an_error_of_the_root_task_is_raised_by_run(app: QApplication) -> None:
    async def main(host: QtHost) -> None:
        await host.sleep(0.001)
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        gwqt.run(main)


def test_managed_tasks_report_errors_through_excepthook_and_are_cancelled_at_exit(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[BaseException] = []

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        reported.append(exc)

    monkeypatch.setattr(sys, "excepthook", hook)
    forever: list[Task[Any]] = []

    async def fails(host: QtHost) -> None:
        await host.sleep(0.001)
        raise KeyError("managed")

    async def main(host: QtHost) -> int:
        forever.append(host.start_managed(sleep_forever()))
        host.start_managed(fails(host))
        await host.sleep(0.01)
        return host.managed_tasks

    assert gwqt.run(main) == 1
    assert [type(e) for e in reported] == [KeyError]
    assert forever[0].cancelled


# -- trio guest mode --------------------------------------------------------------------


def test_a_trio_tcp_echo_completes_in_guest_mode_inside_the_qt_app(app: QApplication) -> None:
    trio = pytest.importorskip("trio")
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
            await client.send_all(b"hello qt")
            reply = b""
            while len(reply) < 8:
                reply += await client.receive_some(100)
            await client.aclose()
            nursery.cancel_scope.cancel()
        return reply

    async def main(host: QtHost) -> bytes:
        label = QLabel("trio")
        label.show()
        reply = await run_trio_guest(host, echo)
        label.setText(reply.decode())
        return reply

    assert gwqt.run(main) == b"HELLO QT"


def test_cancelling_a_trio_guest_run_keeps_qt_running_until_trio_is_done(
    app: QApplication,
) -> None:
    trio = pytest.importorskip("trio")
    from gearwork.adapters.trio import run_trio_guest

    async def main(host: QtHost) -> bool:
        guest = start(run_trio_guest(host, trio.sleep_forever))
        await host.sleep(0.01)
        guest.cancel()
        # trio needs a few more ticks of the Qt loop before its done_callback comes.
        while not guest.done():
            await host.sleep(0.001)
        return guest.cancelled

    assert gwqt.run(main)


# -- end to end -------------------------------------------------------------------------


def test_a_person_types_a_name_clicks_and_closes_the_window(app: QApplication) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout

    shown: list[str] = []
    window = QWidget()
    window.setWindowTitle("greeter")
    window.resize(320, 120)
    layout = QVBoxLayout(window)
    entry = QLineEdit()
    button = QPushButton("Greet")
    label = QLabel("Type your name")
    for widget in (entry, button, label):
        layout.addWidget(widget)

    async def main(host: QtHost) -> None:
        window.show()
        try:
            while True:
                await wait_signal(button.clicked)
                label.setText(f"Hello, {entry.text()}!")
                shown.append(label.text())
        finally:
            shown.append("closed")

    def person(act: Callable[[], object], after_ms: int) -> None:
        QTimer.singleShot(after_ms, act)

    def type_and_click() -> None:
        QTest.keyClicks(entry, "Ada")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        # The task ran inside the click: the label already shows the greeting.
        assert label.text() == "Hello, Ada!"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(SCREENSHOTS / "qt-greeter.png"))

    person(type_and_click, 5)
    person(window.close, 20)
    with pytest.raises(Cancelled):
        gwqt.run(main)
    assert shown == ["Hello, Ada!", "closed"]
    assert (SCREENSHOTS / "qt-greeter.png").stat().st_size > 0
