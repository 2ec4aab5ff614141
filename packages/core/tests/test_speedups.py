"""The compiled accelerator (gearwork.core._speedups) and its pure-Python fallback.

Every other test of core, sync and nursery runs against both implementations
(`nox -s tests` runs them twice: the second time with GEARWORK_PURE_PYTHON=1).
These tests check the switch itself and what the two must agree on.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
import traceback
from typing import Any

import pytest

from gearwork.core import Task, lowlevel, sleep_forever, start
from gearwork.core import _task as task_module

_speedups: Any
try:
    _speedups = importlib.import_module("gearwork.core._speedups")
except ImportError:
    _speedups = None

needs_speedups = pytest.mark.skipif(_speedups is None, reason="the accelerator is not built")
needs_accelerated = pytest.mark.skipif(
    not lowlevel.ACCELERATED, reason="the compiled step is not in use"
)


def test_the_expected_implementation_runs() -> None:
    """nox says which one must run: a wheel that fell back to pure Python fails here."""
    expected = os.environ.get("GEARWORK_EXPECT_ACCELERATED")
    if expected is None:
        pytest.skip("GEARWORK_EXPECT_ACCELERATED is not set (nox sets it)")
    assert lowlevel.ACCELERATED is (expected == "1")
    assert task_module.ACCELERATED is lowlevel.ACCELERATED


def test_accelerated_means_the_compiled_classes() -> None:
    bases = Task.__mro__[1]
    if lowlevel.ACCELERATED:
        assert _speedups is not None
        compiled: Any = _speedups._TaskCore
        assert vars(Task)["step"] is compiled.step
        assert bases is compiled
        assert issubclass(task_module._Runtime, _speedups._RuntimeCore)
    else:
        assert type(vars(Task)["step"]) is type(lambda: None)
        assert "_st" in Task.__slots__


@needs_speedups
@pytest.mark.parametrize("value", ["1", "yes"])
def test_gearwork_pure_python_refuses_the_accelerator(value: str) -> None:
    code = "from gearwork.core import lowlevel; print(lowlevel.ACCELERATED)"
    env = {**os.environ, "GEARWORK_PURE_PYTHON": value}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
    env["GEARWORK_PURE_PYTHON"] = "0"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


@needs_speedups
def test_the_states_agree() -> None:
    assert _speedups is not None
    assert _speedups.ST_CREATED == task_module._CREATED
    assert _speedups.ST_RUNNING == task_module._RUNNING
    assert _speedups.ST_SUSPENDED == task_module._SUSPENDED
    assert _speedups.ST_FINISHED == task_module._FINISHED


@needs_speedups
def test_the_compiled_step_has_the_pure_docstring_and_signature() -> None:
    assert _speedups is not None
    pure = _pure_task_module()
    compiled = _speedups._TaskCore.step
    assert inspect.cleandoc(compiled.__doc__ or "") == inspect.getdoc(pure.Task.step)
    assert str(inspect.signature(compiled)) == "(self, /, *args, **kwargs)"


@needs_speedups
@pytest.mark.parametrize("depth", [-1, 64, 10**30])
def test_set_inline_below_refuses_what_the_compiled_step_cannot_use(depth: int) -> None:
    assert _speedups is not None
    with pytest.raises((ValueError, OverflowError)):
        _speedups._set_inline_below(depth)


@needs_accelerated
def test_a_runtime_that_is_not_one_is_an_error_not_a_crash() -> None:
    task = start(sleep_forever())
    rt = task._rt
    try:
        task._rt = object()  # type: ignore[assignment]
        with pytest.raises(SystemError, match="has no runtime"):
            task.step()
    finally:
        task._rt = rt
    task.cancel()
    assert task.cancelled


def test_resumption_values_are_fresh_each_time() -> None:
    """Each await gets its own (args, kwargs): mutating one leaks into no other."""
    seen: list[Any] = []

    async def main() -> None:
        for _ in range(2):
            args, kwargs = await sleep_forever()
            seen.append((args, kwargs))
            kwargs["mutated"] = True

    task = start(main())
    task.step()
    task.step(1, a=2)
    assert seen == [((), {"mutated": True}), ((1,), {"a": 2, "mutated": True})]
    assert seen[0][1] is not seen[1][1]
    assert task.finished


def test_a_failure_keeps_the_coroutines_frame_and_no_drivers() -> None:
    """The task keeps its exception with the coroutine's frame first, whichever step ran."""

    async def fails() -> None:
        await sleep_forever()
        raise ValueError("boom")

    task = start(fails(), exception_handler=lambda t, e: None)
    task.step()
    exc = task.exception()
    assert isinstance(exc, ValueError)
    names = [f.name for f in traceback.extract_tb(exc.__traceback__)]
    assert names == ["fails"]


def test_a_foreign_await_is_explained_whichever_step_ran() -> None:
    """A yielded non-registrar is told apart from a registrar's own TypeError."""

    class Bad:
        def __await__(self) -> Any:
            yield None  # not a registrar
            yield None

    async def main() -> None:
        await sleep_forever()
        await Bad()

    task = start(main(), exception_handler=lambda t, e: None)
    task.step()
    exc = task.exception()
    assert isinstance(exc, TypeError)
    assert "cannot run" in str(exc)

    def registrar(t: Task[Any]) -> None:
        raise TypeError("its own")

    async def main2() -> None:
        await sleep_forever()
        await lowlevel.suspend(registrar)

    task = start(main2(), exception_handler=lambda t, e: None)
    task.step()
    exc = task.exception()
    assert isinstance(exc, TypeError)
    assert str(exc) == "its own"


def _pure_task_module() -> Any:
    """gearwork.core._task loaded afresh as pure Python (a separate module object)."""
    spec = importlib.util.find_spec("gearwork.core._task")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEARWORK_PURE_PYTHON", "1")
        patch.setitem(sys.modules, "_gearwork_pure_task_for_tests", module)
        spec.loader.exec_module(module)
    return module
