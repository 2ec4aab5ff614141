"""lowlevel.set_instrument: every run of every task is reported, and nothing else changes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from gearwork.core import Cancelled, Task, sleep_forever, start
from gearwork.core import _task as task_module
from gearwork.core.lowlevel import (
    RESUME_DEPTH_LIMIT,
    get_instrument,
    set_instrument,
    start_each,
)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def before_step(self, task: Task[Any], /) -> None:
        self.calls.append(("before", task.get_name(), task.state.name))

    def after_step(self, task: Task[Any], /) -> None:
        self.calls.append(("after", task.get_name(), task.state.name))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    assert set_instrument(rec) is None
    try:
        yield rec
    finally:
        set_instrument(None)


def test_start_step_and_end_are_reported(recorder: Recorder) -> None:
    async def job() -> int:
        await sleep_forever()
        return 1

    task = start(job(), name="job")
    task.step()
    assert task.result == 1
    assert recorder.calls == [
        ("before", "job", "CREATED"),
        ("after", "job", "STARTED"),
        ("before", "job", "STARTED"),
        ("after", "job", "FINISHED"),
    ]


def test_throw_cancel_and_start_each_are_reported(recorder: Recorder) -> None:
    a = start(sleep_forever(), name="a")
    with pytest.raises(KeyError):
        a.throw(KeyError("x"))
    b = Task(sleep_forever(), name="b")
    c = Task(sleep_forever(), name="c")
    start_each([b, c])
    b.cancel()
    assert c.state.name == "STARTED"
    assert [name for event, name, _ in recorder.calls if event == "before"] == [
        "a",
        "a",
        "b",
        "c",
        "b",
    ]
    assert recorder.calls[-1] == ("after", "b", "CANCELLED")
    c.cancel()


def test_nested_runs_nest(recorder: Recorder) -> None:
    waiter = start(sleep_forever(), name="waiter")

    async def firer() -> None:
        await sleep_forever()
        waiter.step()

    f = start(firer(), name="firer")
    recorder.calls.clear()
    f.step()
    assert recorder.calls == [
        ("before", "firer", "STARTED"),
        ("before", "waiter", "STARTED"),
        ("after", "waiter", "FINISHED"),
        ("after", "firer", "FINISHED"),
    ]


def test_after_step_runs_when_the_run_raises(recorder: Recorder) -> None:
    async def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        start(fails(), name="fails")
    assert recorder.calls == [("before", "fails", "CREATED"), ("after", "fails", "CANCELLED")]


def test_queued_resumptions_past_the_depth_limit_are_reported(recorder: Recorder) -> None:
    # A chain longer than the depth limit: each task resumes the next one.
    n = RESUME_DEPTH_LIMIT * 3
    tasks: list[Task[Any]] = []

    async def link(i: int) -> None:
        await sleep_forever()
        if i + 1 < n:
            tasks[i + 1].step()

    tasks.extend(start(link(i), name=f"t{i}") for i in range(n))
    recorder.calls.clear()
    tasks[0].step()
    assert all(t.finished for t in tasks)
    befores = [name for event, name, _ in recorder.calls if event == "before"]
    assert sorted(befores) == sorted(f"t{i}" for i in range(n))
    assert len(recorder.calls) == 2 * n


def test_removing_the_instrument_restores_the_plain_paths() -> None:
    plain = vars(Task)["_run"]
    set_instrument(Recorder())
    assert vars(Task)["_run"] is not plain
    assert task_module._inline_below == 0
    set_instrument(None)
    assert vars(Task)["_run"] is plain
    assert task_module._inline_below == task_module._DRAINER
    assert get_instrument() is None


def test_an_instrument_that_raises_is_removed_and_the_task_runs_on() -> None:
    class Broken:
        def before_step(self, task: Task[Any], /) -> None:
            raise RuntimeError("bug in the instrument")

        def after_step(self, task: Task[Any], /) -> None:
            pass

    set_instrument(Broken())
    try:
        with pytest.warns(RuntimeWarning, match=r"Broken\.before_step\(\) raised .*removed"):
            task = start(sleep_forever())
        assert get_instrument() is None
        assert task.state.name == "STARTED"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            task.step()
        assert task.finished
    finally:
        set_instrument(None)


@pytest.mark.parametrize("bad", [None.__class__, object(), "x"])
def test_an_object_without_the_methods_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="callable before_step"):
        set_instrument(bad)  # type: ignore[arg-type]
    assert get_instrument() is None


def test_cancellation_is_unchanged_with_an_instrument(recorder: Recorder) -> None:
    seen: list[str] = []

    async def job() -> None:
        try:
            await sleep_forever()
        except Cancelled:
            seen.append("cancelled")
            raise

    task = start(job(), name="job")
    task.cancel()
    assert seen == ["cancelled"]
    assert task.cancelled
    assert recorder.calls[-1] == ("after", "job", "CANCELLED")
