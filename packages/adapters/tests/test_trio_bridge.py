"""gearwork.adapters.trio: from_trio, to_trio and TrioHost, on real trio runs."""

from __future__ import annotations

from typing import Any

import pytest
import trio
import trio.testing

from gearwork.adapters.trio import TRIO_SIDE_CANCELLED, TrioHost, current_host, from_trio, to_trio
from gearwork.core import Cancelled, Task, TaskState, sleep_forever, start


async def _double_later(x: int) -> int:
    await trio.sleep(0)
    return x * 2


async def _fail_later() -> None:
    await trio.sleep(0)
    raise ValueError("trio side failed")


def test_from_trio_runs_the_function_in_trio_and_returns_its_result() -> None:
    async def gw() -> int:
        return await from_trio(_double_later, 21)

    async def main() -> int:
        return await to_trio(gw())

    assert trio.run(main) == 42


def test_from_trio_raises_the_trio_exception_in_the_gearwork_task() -> None:
    async def gw() -> str:
        try:
            await from_trio(_fail_later)
        except ValueError as e:
            return str(e)
        return "no exception"

    async def main() -> str:
        return await to_trio(gw())

    assert trio.run(main) == "trio side failed"


def test_cancelling_the_gearwork_task_cancels_the_trio_task() -> None:
    log: list[str] = []

    async def trio_side(started: trio.Event) -> None:
        started.set()
        try:
            await trio.sleep_forever()
        except trio.Cancelled:
            log.append("trio side cancelled")
            raise

    async def main() -> TaskState:
        started = trio.Event()

        async def gw() -> None:
            await from_trio(trio_side, started)

        task = start(gw())
        await started.wait()
        task.cancel()
        await trio.testing.wait_all_tasks_blocked()
        return task.state

    assert trio.run(main) is TaskState.CANCELLED
    assert log == ["trio side cancelled"]


def test_the_trio_side_cancelled_by_trio_raises_cancelled_in_the_gearwork_task() -> None:
    caught: list[str] = []

    async def main() -> Task[None]:
        async def gw() -> None:
            try:
                await from_trio(trio.sleep_forever)
            except Cancelled as e:
                caught.append(str(e))
                raise

        task = start(gw())
        await trio.sleep(0)
        return task  # main ends: trio cancels its system tasks

    task = trio.run(main)
    assert task.state is TaskState.CANCELLED
    assert caught == [TRIO_SIDE_CANCELLED]


def test_from_trio_refuses_a_coroutine_object() -> None:
    async def main() -> None:
        coro = _double_later(1)

        async def gw() -> None:
            await from_trio(coro)  # type: ignore[arg-type]

        with pytest.raises(TypeError, match=r"not from_trio\(fn\(\*args\)\)"):
            start(gw())
        coro.close()

    trio.run(main)


def test_from_trio_outside_trio_says_what_to_do() -> None:
    async def gw() -> None:
        await from_trio(trio.sleep, 0)

    with pytest.raises(RuntimeError, match="needs a running trio run"):
        start(gw())


def test_to_trio_gives_the_gearwork_exception_to_trio_only() -> None:
    async def main() -> None:
        task = start(sleep_forever())
        trio.lowlevel.current_trio_token().run_sync_soon(task.throw, KeyError("gw"))
        with pytest.raises(KeyError, match="gw"):
            await to_trio(task)

    trio.run(main)


def test_cancelling_the_trio_task_cancels_the_gearwork_task() -> None:
    async def main() -> tuple[TaskState, bool]:
        task = start(sleep_forever())
        with trio.move_on_after(0.01) as scope:
            await to_trio(task)
        return task.state, scope.cancelled_caught

    assert trio.run(main) == (TaskState.CANCELLED, True)


def test_a_cancelled_gearwork_task_raises_gearwork_cancelled_in_trio() -> None:
    async def main() -> None:
        task = start(sleep_forever())
        trio.lowlevel.current_trio_token().run_sync_soon(task.cancel)
        with pytest.raises(Cancelled):
            await to_trio(task)

    trio.run(main)


def test_to_trio_of_an_ended_task_gives_its_result() -> None:
    async def quick() -> str:
        return "now"

    async def main() -> str:
        return await to_trio(start(quick()))

    assert trio.run(main) == "now"


def test_to_trio_refuses_what_is_not_awaitable() -> None:
    async def main() -> None:
        with pytest.raises(TypeError, match="got int"):
            await to_trio(5)  # type: ignore[arg-type]

    trio.run(main)


def test_trio_host_fires_timers_in_deadline_order_on_the_mock_clock() -> None:
    fired: list[str] = []

    async def main() -> int:
        host = current_host()
        assert current_host() is host
        host.call_later(0.3, lambda: fired.append("c"))
        host.call_later(0.1, lambda: fired.append("a"))
        host.call_later(0.2, lambda: fired.append("b"))
        host.call_later(0.15, lambda: fired.append("never")).cancel()
        await trio.sleep(1)
        return host.pending_timers

    assert trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0)) == 0
    assert fired == ["a", "b", "c"]


def test_an_earlier_timer_wakes_the_timer_task_early() -> None:
    fired: list[float] = []

    async def main() -> None:
        host = current_host()
        host.call_later(100, lambda: fired.append(host.now()))
        await trio.sleep(1)
        host.call_later(1, lambda: fired.append(host.now()))
        await trio.sleep(200)

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert fired == [2.0, 100.0]


def test_100000_cancelled_timers_leave_nothing_pending() -> None:
    async def main() -> tuple[int, int]:
        host = current_host()
        for _ in range(100_000):
            host.call_later(10, _never).cancel()
        await trio.sleep(0)
        return host.pending_timers, len(host._heap)

    pending, in_heap = trio.run(main)
    assert pending == 0
    assert in_heap <= 64


def _never() -> None:
    raise AssertionError("a cancelled timer fired")


def test_call_soon_threadsafe_runs_in_trio_from_a_thread() -> None:
    async def main() -> str:
        host = current_host()
        got = trio.Event()
        seen: list[str] = []

        def from_thread() -> None:
            def on_trio() -> None:
                seen.append("called")
                got.set()

            host.call_soon_threadsafe(on_trio)

        await trio.to_thread.run_sync(from_thread)
        await got.wait()
        return seen[0]

    assert trio.run(main) == "called"


def test_trio_host_needs_a_trio_run() -> None:
    with pytest.raises(RuntimeError, match="needs a running trio run"):
        TrioHost()
    with pytest.raises(RuntimeError, match="needs a running trio run"):
        current_host()


def test_nested_bridges_trio_in_gearwork_in_trio() -> None:
    log: list[Any] = []

    async def inner_trio(x: int) -> int:
        async def gw_again() -> int:
            return await from_trio(_double_later, x)

        return await to_trio(gw_again()) + 1

    async def gw() -> int:
        value = await from_trio(inner_trio, 10)
        log.append(value)
        return value

    async def main() -> int:
        return await to_trio(gw())

    assert trio.run(main) == 21
    assert log == [21]
