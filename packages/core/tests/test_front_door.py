"""What a newcomer hits first: errors that say what to do, nothing left behind, plain names.

Each test is about a message or a side effect a user sees; the ones about a whole program
or a fresh interpreter run it in a subprocess.
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import textwrap
import types
import warnings
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from gearwork.core import (
    InvalidStateError,
    Task,
    disable_cancellation,
    open_cancel_scope,
    set_debug,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import explain_not_awaitable, supervised_task


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run *code* as a program file in a fresh interpreter (tracebacks show its lines)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEARWORK_")}
    with tempfile.TemporaryDirectory() as folder:
        program = Path(folder, "program.py")
        program.write_text(textwrap.dedent(code), encoding="utf-8")
        return subprocess.run(
            [sys.executable, *args, str(program)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )


async def job() -> None:
    await sleep_forever()


class Button:
    async def pressed(self) -> None:
        await sleep_forever()


# -- a function where an awaitable is needed ---------------------------------------------


def test_start_of_a_coroutine_function_says_to_call_it() -> None:
    with pytest.raises(TypeError, match=r"job is a coroutine function: call it, as in job\(\)"):
        start(job)  # type: ignore[call-overload]


def test_task_of_a_bound_method_says_to_call_it() -> None:
    with pytest.raises(TypeError, match=r"button.pressed is a method: call it, as in button"):
        Task(Button().pressed)  # type: ignore[arg-type]


def test_explain_not_awaitable_adds_nothing_for_what_is_not_callable() -> None:
    assert explain_not_awaitable(3) == ""
    assert explain_not_awaitable(int) == ""  # a class is callable, but not a mistake of this kind
    assert "is a function: pass what it returns" in explain_not_awaitable(len)


# -- a plain `with` ------------------------------------------------------------------------


def test_a_plain_with_of_disable_cancellation_names_the_public_api() -> None:
    with pytest.raises(InvalidStateError) as info, disable_cancellation():
        pass  # pragma: no cover
    message = str(info.value)
    assert "async with disable_cancellation():" in message
    assert not message.startswith("a CancelShield")


def test_a_plain_with_of_open_cancel_scope_names_the_public_api() -> None:
    with (
        pytest.raises(InvalidStateError, match="async with open_cancel_scope"),
        open_cancel_scope(),
    ):
        pass  # pragma: no cover


# -- awaiting what only another event loop runs -------------------------------------------


def _failure(coro: Any, resume: Callable[[Task[Any]], None] | None = None) -> BaseException:
    """Start *coro* (and resume it once with *resume*); the exception it failed with."""
    errors: list[BaseException] = []
    task = start(coro, exception_handler=lambda task, exc: errors.append(exc))
    if resume is not None:
        resume(task)
    assert task.done() and len(errors) == 1
    return errors[0]


def test_awaiting_asyncio_sleep_says_how_to_bridge_it() -> None:
    async def main() -> None:
        await asyncio.sleep(0)

    error = _failure(main())
    assert type(error) is TypeError
    message = str(error)
    assert "asyncio.sleep()" in message and "from_asyncio" in message
    assert "gearwork-adapters[asyncio]" in message
    assert "NoneType" not in message
    assert isinstance(error.__cause__, TypeError)  # Python's own message is kept as the cause


def test_awaiting_an_asyncio_future_says_how_to_bridge_it() -> None:
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()

        async def main() -> None:
            await future

        message = str(_failure(main()))
        assert "an asyncio Future" in message and "from_asyncio" in message
    finally:
        loop.close()


def test_awaiting_a_trio_awaitable_says_how_to_bridge_it() -> None:
    # What trio's checkpoints do, without trio installed: a @types.coroutine trap in a
    # module of trio's yields an object of its own. Told apart by the module's name.
    traps = types.ModuleType("trio._core._traps")
    exec(
        textwrap.dedent(
            """
            import types
            class CancelShieldedCheckpoint:
                pass
            @types.coroutine
            def _async_yield(obj):
                return (yield obj)
            async def sleep(seconds):
                await _async_yield(CancelShieldedCheckpoint())
            """
        ),
        traps.__dict__,
    )

    async def main() -> None:
        await traps.sleep(0)

    message = str(_failure(main()))
    assert "trio.sleep()" in message and "from_trio" in message


def test_yielding_what_is_not_a_registrar_says_what_a_task_expects() -> None:
    @types.coroutine
    def bad() -> Generator[int, Any, None]:
        yield 42

    async def main() -> None:
        await bad()

    message = str(_failure(main()))
    assert "bad()" in message and "registrar" in message and "lowlevel.suspend" in message


def test_the_explanation_also_comes_when_the_task_is_resumed_inside_another_one() -> None:
    # A resumption nested in another task's step takes the general path (Task._run).
    async def second() -> None:
        await sleep_forever()
        await asyncio.sleep(0)

    other = start(second(), exception_handler=lambda task, exc: errors.append(exc))
    errors: list[BaseException] = []

    async def first() -> None:
        await sleep_forever()
        other.step()

    start(first()).step()
    assert len(errors) == 1 and "asyncio.sleep()" in str(errors[0])


def test_a_type_error_raised_inside_a_registrar_is_left_as_it_is() -> None:
    def registrar(task: Task[Any]) -> None:
        raise TypeError("the registrar's own error")

    @types.coroutine
    def waits() -> Generator[Any, Any, None]:
        yield registrar

    async def main() -> None:
        await waits()

    error = _failure(main())
    assert str(error) == "the registrar's own error"


# -- debug mode: an await cut short by a cancellation -------------------------------------


async def awaits_in_finally() -> None:
    try:
        await sleep_forever()
    finally:
        await sleep_forever()  # no shield: cut short at once


def test_debug_mode_warns_of_an_await_cut_short_by_a_cancellation() -> None:
    set_debug(True)
    try:
        task = start(awaits_in_finally())
        with pytest.warns(RuntimeWarning, match="disable_cancellation") as caught:
            task.cancel()
    finally:
        set_debug(False)
    assert task.cancelled
    assert len(caught) == 1
    warning = caught[0]
    assert repr(task).split(" ")[1] in str(warning.message)  # it names the task
    assert warning.filename == __file__  # and points at the await in the program


def test_without_debug_mode_the_await_is_cut_short_silently() -> None:
    task = start(awaits_in_finally())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        task.cancel()
    assert task.cancelled


def test_an_await_under_disable_cancellation_gives_no_warning_in_debug_mode() -> None:
    async def cleans_up() -> None:
        try:
            await sleep_forever()
        finally:
            async with disable_cancellation():
                await sleep_forever()

    set_debug(True)
    try:
        task = start(cleans_up())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            task.cancel()
            task.step()
    finally:
        set_debug(False)
    assert task.cancelled


# -- refused calls leave no coroutine behind ----------------------------------------------

REFUSED: dict[str, Callable[[Any], object]] = {
    "start(context='x')": lambda c: start(c, context="x"),  # type: ignore[call-overload]
    "start(exception_handler=3)": lambda c: start(c, exception_handler=3),  # type: ignore[call-overload]
    "start(name=3)": lambda c: start(c, name=3),  # type: ignore[call-overload]
    "Task(name=3)": lambda c: Task(c, name=3),  # type: ignore[arg-type]
    "Task(context=1)": lambda c: Task(c, context=1),  # type: ignore[arg-type]
    "Task(exception_handler='x')": lambda c: Task(c, exception_handler="x"),  # type: ignore[arg-type]
    "supervised_task(on_end=3)": lambda c: supervised_task(c, 3),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_call_closes_the_coroutine_so_no_warning_follows(
    call: Callable[[Any], object],
) -> None:
    coro: Any = job()
    with pytest.raises(TypeError):
        call(coro)
    assert coro.cr_frame is None  # closed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del coro
        gc.collect()


def test_a_refused_coroutine_that_another_task_drives_is_not_closed() -> None:
    coro: Any = job()
    first = start(coro)
    with pytest.raises(InvalidStateError):
        start(coro)
    assert coro.cr_frame is not None and first.state.name == "STARTED"
    first.cancel()


# -- names --------------------------------------------------------------------------------


def test_tasks_are_named_in_the_order_they_are_created() -> None:
    result = _run(
        """
        from gearwork.core import Task, dummy_task, sleep_forever, start
        first = Task(sleep_forever())
        second = start(sleep_forever())
        third = Task(sleep_forever(), name="mine")
        fourth = start(sleep_forever())
        print(fourth.get_name(), second.get_name(), first.get_name(), third.get_name())
        print(first.uid, second.uid, fourth.uid, dummy_task.get_name())
        first.cancel(); second.cancel(); third.cancel(); fourth.cancel()
        """,
        "-W",
        "error",
    )
    assert result.stderr == ""
    assert result.stdout.split("\n")[:2] == ["Task-4 Task-2 Task-1 mine", "1 2 4 dummy_task"]


# -- tracebacks ---------------------------------------------------------------------------


def test_an_error_raised_to_the_resumer_shows_the_programs_frames_not_gearworks() -> None:
    result = _run(
        """
        from gearwork.core import sleep_forever, start

        async def leaf():
            await sleep_forever()
            raise ValueError("boom")

        async def middle(task):
            return await task

        async def top(task):
            return await task

        leaf_task = start(leaf())
        start(top(start(middle(leaf_task))))
        leaf_task.step()
        """
    )
    lines = result.stderr.splitlines()
    assert lines[-1] == "ValueError: boom"
    gearwork_frames = [line for line in lines if "gearwork" in line and "File " in line]
    assert len(gearwork_frames) <= 2, result.stderr
    assert "type: ignore" not in result.stderr and "noqa" not in result.stderr
    assert "in leaf" in result.stderr and "leaf_task.step()" in result.stderr


def test_debug_mode_keeps_the_whole_traceback() -> None:
    code = """
        from gearwork.core import sleep_forever, start

        async def leaf():
            await sleep_forever()
            raise ValueError("boom")

        async def top(task):
            return await task

        leaf_task = start(leaf())
        start(top(leaf_task))
        leaf_task.step()
        """
    short, whole = _run(code), _run(code, "-X", "dev")
    assert short.stderr.count("File ") < whole.stderr.count("File ")
