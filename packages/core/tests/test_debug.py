"""Debug mode: a task resumed, thrown into or cancelled from a thread that is not its own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gearwork.core import Cancelled, Task, get_debug, set_debug, sleep_forever, start
from gearwork.core.lowlevel import suspend


@pytest.fixture
def debug() -> Iterator[None]:
    previous = get_debug()
    set_debug(True)
    try:
        yield
    finally:
        set_debug(previous)


def _in_thread(call: Callable[[], object], name: str = "worker") -> BaseException | None:
    """Run *call* in a new thread; what it raised, if anything."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed back to the test
            raised.append(exc)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    thread.join()
    return raised[0] if raised else None


class Boom(Exception):
    pass


CALLS: list[tuple[str, Callable[[Task[Any]], object]]] = [
    ("step", lambda task: task.step("from elsewhere")),
    ("throw", lambda task: task.throw(Boom())),
    ("cancel", lambda task: task.cancel()),
    ("close", lambda task: task.close()),
]


@pytest.mark.usefixtures("debug")
@pytest.mark.parametrize(("method", "call"), CALLS, ids=[name for name, _ in CALLS])
def test_from_another_thread_a_started_task_refuses_and_stays_as_it_was(
    method: str, call: Callable[[Task[Any]], object]
) -> None:
    task = start(sleep_forever(), name="clicker")
    error = _in_thread(lambda: call(task))
    assert isinstance(error, RuntimeError)
    expected = "cancel" if method == "close" else method
    message = str(error)
    assert message.startswith(f"{task!r}.{expected}() called from thread 'worker'")
    assert f"runs on thread {threading.current_thread().name!r}" in message
    assert "call_soon_threadsafe" in message
    # Nothing happened to the task: its own thread still drives it.
    assert task.state.name == "STARTED"
    task.step("home")
    assert task.result == (("home",), {})


@pytest.mark.usefixtures("debug")
def test_a_wake_up_through_a_primitive_from_another_thread_is_refused() -> None:
    waiting: list[Task[Any]] = []

    async def waits() -> object:
        return await suspend(waiting.append)

    task = start(waits())
    error = _in_thread(lambda: waiting[0].step(1))
    assert isinstance(error, RuntimeError)
    assert not task.done()
    waiting[0].step(2)
    assert task.result == ((2,), {})


@pytest.mark.usefixtures("debug")
def test_what_is_harmless_anywhere_is_allowed_from_another_thread() -> None:
    # A task that has not started belongs to no thread yet: cancelling it just closes it.
    created: Task[Any] = Task(sleep_forever())
    assert _in_thread(created.cancel) is None
    assert created.cancelled
    # A stale wake-up of an ended task does nothing, from any thread.
    ended = start(sleep_forever())
    ended.cancel()
    assert _in_thread(ended.step) is None
    assert _in_thread(ended.cancel) is None


@pytest.mark.usefixtures("debug")
def test_a_task_started_on_a_worker_thread_belongs_to_that_thread() -> None:
    box: list[Task[Any]] = []

    def start_there() -> None:
        box.append(start(sleep_forever(), name="worker's"))

    assert _in_thread(start_there, name="worker") is None
    task = box[0]
    with pytest.raises(RuntimeError, match=r"called from thread .*runs on thread 'worker'"):
        task.step()
    # A new thread with the same name is another thread.
    assert isinstance(_in_thread(task.step, name="worker"), RuntimeError)
    # Its thread has ended, so nothing may resume it any more; debug mode off, it can be
    # cleaned up from here (the one way out for a task whose thread is gone).
    set_debug(False)
    task.cancel()
    assert task.cancelled


@pytest.mark.usefixtures("debug")
def test_on_its_own_thread_everything_works_as_without_debug_mode() -> None:
    log: list[str] = []

    async def body() -> str:
        try:
            await sleep_forever()
        except Cancelled:
            log.append("cancelled")
            raise
        return "never"

    task = start(body())
    task.cancel()
    assert log == ["cancelled"]
    assert task.cancelled


def test_off_by_default_and_the_methods_are_the_plain_ones() -> None:
    if get_debug():
        pytest.skip("the test run itself enabled debug mode (GEARWORK_DEBUG or -X dev)")
    plain_step = Task.step
    set_debug(True)
    try:
        assert get_debug() is True
        assert Task.step is not plain_step
        assert Task.step.__name__ == "step"
        assert Task.step.__doc__ == plain_step.__doc__
    finally:
        set_debug(False)
    assert get_debug() is False
    assert Task.step is plain_step


@pytest.mark.parametrize("bad", [1, 0, "yes", None])
def test_set_debug_needs_a_bool(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"^set_debug\(\) needs a bool, got "):
        set_debug(bad)


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        ({}, [], "False"),
        ({"GEARWORK_DEBUG": "1"}, [], "True"),
        ({"GEARWORK_DEBUG": "0"}, [], "False"),
        ({"GEARWORK_DEBUG": ""}, [], "False"),
        ({}, ["-X", "dev"], "True"),
    ],
)
def test_the_environment_turns_it_on_at_import(
    env: dict[str, str], flags: list[str], expected: str
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "GEARWORK_DEBUG"}
    environ.update(env)
    out = subprocess.run(
        [sys.executable, *flags, "-c", "import gearwork.core as c; print(c.get_debug())"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected
