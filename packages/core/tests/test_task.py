"""Tasks: starting, resuming, results, names, callbacks, errors, contexts."""

from __future__ import annotations

import contextvars
import gc
import weakref
from collections.abc import Callable, Generator
from typing import Any

import pytest

from gearwork.core import (
    BaseExceptionGroup,
    Cancelled,
    InvalidStateError,
    Task,
    TaskState,
    current_task,
    dummy_task,
    set_default_exception_handler,
    sleep_forever,
    start,
)
from gearwork.core.lowlevel import Registrar, Resumption, suspend


async def returns(value: Any) -> Any:
    return value


async def wait_on(waiting: list[Task[Any]]) -> Resumption:
    return await suspend(waiting.append)


class Boom(Exception):
    pass


async def fails_after(waiting: list[Task[Any]]) -> None:
    await suspend(waiting.append)
    raise Boom("after waiting")


# -- start -------------------------------------------------------------------------


def test_start_runs_the_coroutine_to_completion_before_returning() -> None:
    task = start(returns(7))
    assert task.state is TaskState.FINISHED
    assert task.finished and task.done() and not task.cancelled
    assert task.result == 7
    assert task.exception() is None


def test_start_runs_until_the_first_suspension() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []

    async def body() -> None:
        log.append("before")
        await suspend(waiting.append)
        log.append("after")

    task = start(body())
    assert log == ["before"]
    assert task.state is TaskState.STARTED
    assert waiting == [task]


def test_start_accepts_a_created_task_and_returns_it() -> None:
    task = Task(returns(1))
    assert task.state is TaskState.CREATED
    assert start(task) is task
    assert task.result == 1


@pytest.mark.parametrize("bad", [42, None, "text", returns])
def test_start_rejects_a_non_awaitable_naming_its_type(bad: object) -> None:
    with pytest.raises(
        TypeError, match=rf"start\(\) needs an awaitable or a Task, got {type(bad).__name__}"
    ):
        start(bad)  # type: ignore[call-overload]


def test_task_rejects_a_non_awaitable_naming_its_type() -> None:
    with pytest.raises(TypeError, match=r"Task\(\) needs an awaitable, got int"):
        Task(42)  # type: ignore[arg-type]


def test_task_rejects_a_task_and_points_to_start() -> None:
    inner = Task(returns(1))
    with pytest.raises(TypeError, match="pass the Task to start"):
        Task(inner)
    inner.cancel()


def test_starting_a_started_task_raises_invalid_state_naming_it() -> None:
    task = start(sleep_forever(), name="worker")
    with pytest.raises(InvalidStateError, match=r"'worker'.*already been started"):
        start(task)
    task.cancel()


def test_starting_a_finished_task_raises_invalid_state() -> None:
    task = start(returns(1))
    with pytest.raises(InvalidStateError):
        start(task)


def test_start_drives_any_awaitable_object() -> None:
    class Ready:
        def __await__(self) -> Generator[Any, Any, str]:
            return returns("ready").__await__()

    assert start(Ready()).result == "ready"


def test_start_drives_a_generator_based_coroutine() -> None:
    task = start(sleep_forever())
    task.step("x")
    assert task.result == (("x",), {})


# -- step and the suspension protocol ------------------------------------------------


def test_await_evaluates_to_the_args_and_kwargs_of_step() -> None:
    waiting: list[Task[Any]] = []
    task = start(wait_on(waiting))
    waiting.pop().step(1, 2, key="value")
    assert task.result == ((1, 2), {"key": "value"})


def test_step_returns_after_the_task_reached_its_next_suspension() -> None:
    log: list[str] = []
    waiting: list[Task[Any]] = []

    async def body() -> None:
        for i in range(3):
            await suspend(waiting.append)
            log.append(f"resumed {i}")

    task = start(body())
    for i in range(3):
        waiting.pop().step()
        assert log[-1] == f"resumed {i}"
    assert task.finished


@pytest.mark.parametrize("when", ["created", "finished", "cancelled"])
def test_step_on_a_task_that_is_not_suspended_does_nothing(when: str) -> None:
    task: Task[Any] = Task(returns(1))
    if when == "finished":
        start(task)
    elif when == "cancelled":
        task.cancel()
    before = task.state
    task.step()
    assert task.state is before
    task.cancel()  # closes the never-started coroutine


def test_step_on_the_running_task_itself_does_nothing() -> None:
    async def body() -> str:
        me = await current_task()
        me.step()  # running: ignored
        return "done"

    assert start(body()).result == "done"


def test_a_registrar_may_resume_the_task_at_once() -> None:
    def resume_now(task: Task[Any]) -> None:
        task.step("now")

    async def body() -> Resumption:
        return await suspend(resume_now)

    assert start(body()).result == (("now",), {})


def test_an_exception_raised_by_the_registrar_is_raised_at_the_await() -> None:
    def refuse(task: Task[Any]) -> None:
        raise InvalidStateError("busy")

    async def body() -> str:
        try:
            await suspend(refuse)
        except InvalidStateError as e:
            return str(e)
        return "not raised"

    assert start(body()).result == "busy"


def test_throw_raises_the_exception_at_the_await() -> None:
    waiting: list[Task[Any]] = []

    async def body() -> str:
        try:
            await suspend(waiting.append)
        except Boom as e:
            return f"caught {e}"
        return "no"

    task = start(body())
    task.throw(Boom("thrown"))
    assert task.result == "caught thrown"


def test_throw_into_a_task_that_is_not_suspended_raises_invalid_state() -> None:
    task = start(returns(1))
    with pytest.raises(InvalidStateError, match="not suspended"):
        task.throw(Boom())


def test_throw_needs_an_exception_instance() -> None:
    task = start(sleep_forever())
    with pytest.raises(TypeError, match="exception instance, got type"):
        task.throw(Boom)  # type: ignore[arg-type]
    task.cancel()


def test_current_task_returns_the_running_task_without_suspending() -> None:
    async def body() -> Task[Any]:
        return await current_task()

    task = start(body())
    assert task.result is task


def test_sleep_forever_waits_until_stepped() -> None:
    task = start(sleep_forever())
    assert task.state is TaskState.STARTED
    task.step(5)
    assert task.result == ((5,), {})


def test_dummy_task_is_cancelled_and_cancelling_it_again_does_nothing() -> None:
    assert dummy_task.cancelled
    dummy_task.cancel()
    assert dummy_task.state is TaskState.CANCELLED


# -- results, names, identity --------------------------------------------------------


def test_result_of_an_unfinished_task_raises_invalid_state_naming_it() -> None:
    task = start(sleep_forever(), name="pending-one")
    with pytest.raises(InvalidStateError, match=r"'pending-one'.*has not finished"):
        _ = task.result
    with pytest.raises(InvalidStateError, match="has not ended"):
        task.exception()
    task.cancel()
    with pytest.raises(InvalidStateError, match="was cancelled"):
        _ = task.result
    with pytest.raises(Cancelled):
        task.exception()


def test_tasks_have_unique_uids_and_default_names_built_from_them() -> None:
    a, b = Task(returns(1)), Task(returns(2))  # cancelled below, so never-awaited is not reported
    assert a.uid != b.uid
    assert a.get_name() == f"Task-{a.uid}"
    a.cancel()
    b.cancel()


def test_names_can_be_given_changed_and_appear_in_repr() -> None:
    task = start(sleep_forever(), name="loader")
    assert task.get_name() == "loader"
    assert repr(task) == "<Task 'loader' STARTED (suspended)>"
    task.set_name(42)
    assert task.get_name() == "42"
    task.cancel()
    assert repr(task) == "<Task '42' CANCELLED>"


def test_root_coro_and_get_coro_give_the_coroutine() -> None:
    coro = sleep_forever()
    task = start(coro)
    assert id(task.root_coro) == id(coro)
    assert id(task.get_coro()) == id(coro)
    task.cancel()


def test_get_stack_shows_where_a_suspended_task_waits() -> None:
    waiting: list[Task[Any]] = []

    async def inner() -> None:
        await suspend(waiting.append)

    async def outer() -> None:
        await inner()

    task = start(outer())
    names = [frame.f_code.co_name for frame in task.get_stack()]
    assert names[:2] == ["outer", "inner"]
    assert [f.f_code.co_name for f in task.get_stack(limit=1)] == [names[-1]]
    waiting.pop().step()
    assert task.get_stack() == []


def test_get_stack_of_a_failed_task_gives_the_traceback_frames() -> None:
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting), exception_handler=lambda t, e: None)
    waiting.pop().step()
    assert "fails_after" in [f.f_code.co_name for f in task.get_stack()]


# -- errors escaping a task ------------------------------------------------------------


def test_an_exception_escaping_a_root_task_propagates_to_whoever_resumed_it() -> None:
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting))
    with pytest.raises(Boom, match="after waiting"):
        waiting.pop().step()
    assert task.cancelled
    assert isinstance(task.exception(), Boom)


def test_an_exception_raised_before_the_first_suspension_propagates_from_start() -> None:
    async def body() -> None:
        raise Boom("early")

    with pytest.raises(Boom, match="early"):
        start(body())


def test_a_task_exception_handler_receives_the_error_instead_of_the_resumer() -> None:
    seen: list[tuple[Task[Any], BaseException]] = []
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting), exception_handler=lambda t, e: seen.append((t, e)))
    waiting.pop().step()  # does not raise
    assert len(seen) == 1 and seen[0][0] is task and isinstance(seen[0][1], Boom)


def test_set_exception_handler_installs_and_removes_a_handler() -> None:
    seen: list[BaseException] = []
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting))
    task.set_exception_handler(lambda t, e: seen.append(e))
    waiting.pop().step()
    assert len(seen) == 1
    other = start(fails_after(waiting))
    other.set_exception_handler(lambda t, e: seen.append(e))
    other.set_exception_handler(None)
    with pytest.raises(Boom):
        waiting.pop().step()


def test_the_default_handler_catches_errors_of_tasks_without_their_own() -> None:
    default: list[BaseException] = []
    own: list[BaseException] = []
    set_default_exception_handler(lambda t, e: default.append(e))
    waiting: list[Task[Any]] = []
    start(fails_after(waiting))
    start(fails_after(waiting), exception_handler=lambda t, e: own.append(e))
    waiting.pop(0).step()
    waiting.pop(0).step()
    assert len(default) == 1 and len(own) == 1


def test_set_default_exception_handler_returns_the_previous_one() -> None:
    def first(task: Task[Any], exc: BaseException) -> None:
        pass

    assert set_default_exception_handler(first) is None
    assert set_default_exception_handler(None) is first


def test_handlers_must_be_callable() -> None:
    with pytest.raises(TypeError, match="must be callable, got int"):
        set_default_exception_handler(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be callable"):
        start(sleep_forever(), exception_handler="nope")  # type: ignore[call-overload]


def test_keyboard_interrupt_bypasses_exception_handlers() -> None:
    set_default_exception_handler(lambda t, e: None)
    waiting: list[Task[Any]] = []

    async def body() -> None:
        await suspend(waiting.append)
        raise KeyboardInterrupt

    start(body(), exception_handler=lambda t, e: None)
    with pytest.raises(KeyboardInterrupt):
        waiting.pop().step()


def test_an_exception_raised_by_a_handler_reaches_the_resumer() -> None:
    def broken(task: Task[Any], exc: BaseException) -> None:
        raise RuntimeError("handler failed")

    waiting: list[Task[Any]] = []
    start(fails_after(waiting), exception_handler=broken)
    with pytest.raises(RuntimeError, match="handler failed"):
        waiting.pop().step()


# -- done callbacks --------------------------------------------------------------------


def test_done_callbacks_run_once_each_in_the_order_added_when_the_task_ends() -> None:
    calls: list[tuple[str, Task[Any]]] = []
    waiting: list[Task[Any]] = []
    task = start(wait_on(waiting))

    def recorder(name: str) -> Callable[[Task[Any]], None]:
        return lambda t: calls.append((name, t))

    for name in "abc":
        task.add_done_callback(recorder(name))
    assert calls == []
    waiting.pop().step()
    assert calls == [("a", task), ("b", task), ("c", task)]
    task.step()
    task.cancel()
    assert len(calls) == 3


@pytest.mark.parametrize("ending", ["finish", "cancel", "fail"])
def test_done_callbacks_run_however_the_task_ends(ending: str) -> None:
    calls: list[TaskState] = []
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting) if ending == "fail" else wait_on(waiting))
    task.add_done_callback(lambda t: calls.append(t.state))
    if ending == "cancel":
        task.cancel()
    elif ending == "fail":
        with pytest.raises(Boom):
            waiting.pop().step()
    else:
        waiting.pop().step()
    assert calls == [TaskState.CANCELLED if ending != "finish" else TaskState.FINISHED]


def test_a_done_callback_added_to_an_ended_task_runs_at_once() -> None:
    calls: list[Task[Any]] = []
    task = start(returns(1))
    task.add_done_callback(calls.append)
    assert calls == [task]


def test_remove_done_callback_removes_every_registration_and_counts_them() -> None:
    calls: list[Task[Any]] = []
    task = start(sleep_forever())
    assert task.remove_done_callback(calls.append) == 0
    task.add_done_callback(calls.append)
    task.add_done_callback(calls.append)
    assert task.remove_done_callback(calls.append) == 2
    task.cancel()
    assert calls == []


def test_add_done_callback_needs_a_callable() -> None:
    task = start(sleep_forever())
    with pytest.raises(TypeError, match="needs a callable, got int"):
        task.add_done_callback(3)  # type: ignore[arg-type]
    task.cancel()


def test_a_failing_done_callback_does_not_stop_the_others_and_reaches_the_resumer() -> None:
    calls: list[str] = []
    task = start(sleep_forever())

    def broken(t: Task[Any]) -> None:
        raise Boom("callback")

    task.add_done_callback(broken)
    task.add_done_callback(lambda t: calls.append("second"))
    with pytest.raises(Boom, match="callback"):
        task.step()
    assert calls == ["second"]


def test_several_errors_at_the_end_of_a_task_arrive_as_one_group() -> None:
    waiting: list[Task[Any]] = []
    task = start(fails_after(waiting))

    def broken(t: Task[Any]) -> None:
        raise ValueError("callback")

    task.add_done_callback(broken)
    with pytest.raises(BaseExceptionGroup) as info:
        waiting.pop().step()
    assert sorted(type(e).__name__ for e in info.value.exceptions) == ["Boom", "ValueError"]


# -- contexts --------------------------------------------------------------------------

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def test_without_a_context_each_step_runs_in_the_resumers_context() -> None:
    seen: list[str] = []

    async def body() -> None:
        while True:
            seen.append(var.get())
            await sleep_forever()

    task = start(body())

    def resume_elsewhere() -> None:
        var.set("other")
        task.step()

    contextvars.copy_context().run(resume_elsewhere)
    assert seen == ["unset", "other"]
    task.cancel()


def test_a_task_with_its_own_context_keeps_it_across_steps() -> None:
    seen: list[str] = []

    async def body() -> None:
        var.set("inside")
        await sleep_forever()
        seen.append(var.get())

    ctx = contextvars.copy_context()
    task = start(body(), context=ctx)
    assert var.get() == "unset"  # the caller's context is untouched
    task.step()
    assert seen == ["inside"]
    assert ctx[var] == "inside"


def test_a_context_can_be_given_to_a_created_task_at_start() -> None:
    ctx = contextvars.copy_context()

    async def body() -> str:
        var.set("set in task")
        return var.get()

    task: Task[str] = Task(body())
    start(task, context=ctx)
    assert ctx[var] == "set in task"
    assert var.get() == "unset"
    assert task.root_coro is not None


def test_context_must_be_a_contextvars_context() -> None:
    coro = returns(1)
    with pytest.raises(TypeError, match=r"contextvars\.Context, got dict"):
        Task(coro, context={})  # type: ignore[arg-type]
    coro.close()


def test_cancelling_a_task_with_a_context_cancels_inside_that_context() -> None:
    seen: list[str] = []

    async def body() -> None:
        var.set("ctx")
        try:
            await sleep_forever()
        except Cancelled:
            seen.append(var.get())
            raise

    task = start(body(), context=contextvars.copy_context())
    task.cancel()
    assert seen == ["ctx"] and task.cancelled


# -- garbage collection ----------------------------------------------------------------


@pytest.mark.parametrize("cleanup", ["none", "finally", "except", "shielded-await"])
def test_a_suspended_task_that_is_garbage_collected_makes_no_noise(
    cleanup: str, unraisable: list[object]
) -> None:
    from gearwork.core import disable_cancellation

    log: list[str] = []

    async def body() -> None:
        waiting: list[Task[Any]] = []
        me = await current_task()  # a reference cycle through the task
        try:
            await suspend(waiting.append)
        except (Cancelled, GeneratorExit):
            if cleanup == "except":
                log.append("except")
            raise
        finally:
            if cleanup == "finally":
                log.append("finally")
            elif cleanup == "shielded-await":
                async with disable_cancellation():
                    await suspend(waiting.append)
                    log.append("never")
        del me

    task = start(body())
    ref = weakref.ref(task)
    del task
    gc.collect()
    assert ref() is None
    assert unraisable == []
    assert log == ([] if cleanup in ("none", "shielded-await") else [cleanup])


def test_a_finished_task_keeps_no_reference_cycle_alive() -> None:
    task = start(returns(object()))
    ref = weakref.ref(task)
    del task
    assert ref() is None  # freed by reference counting, no gc pass needed


def _registrar_type_check(r: Registrar) -> Registrar:
    return r


def test_step_passes_a_keyword_argument_named_self() -> None:
    task = start(sleep_forever())
    task.step(self="value", task="too")
    assert task.result == ((), {"self": "value", "task": "too"})
