"""The Timing set on asyncio (AsyncioHost, module functions), on real loops: order, not time."""

from __future__ import annotations

import asyncio
import threading

import pytest

import gearwork.adapters.asyncio as ga
from gearwork.adapters.asyncio import AsyncioHost, current_host, to_asyncio
from gearwork.adapters.timing import FIRST_COMPLETED
from gearwork.core import TaskState, sleep_forever, start


def test_sleeps_end_in_the_order_of_their_deadlines() -> None:
    order: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await ga.sleep(seconds)
        order.append(name)

    async def main() -> None:
        tasks = [start(sleeper(n, s)) for n, s in (("c", 0.03), ("a", 0.001), ("b", 0.01))]
        for task in tasks:
            await to_asyncio(task)

    asyncio.run(main())
    assert order == ["a", "b", "c"]


def test_100000_cancelled_sleeps_leave_no_pending_timer() -> None:
    async def main() -> tuple[int, int]:
        host = current_host()
        for _ in range(100_000):
            start(ga.sleep(3600)).cancel()
        scheduled = sum(not handle.cancelled() for handle in host.loop._scheduled)  # type: ignore[attr-defined]
        return host.pending_timers, scheduled

    assert asyncio.run(main()) == (0, 0)


def test_current_host_is_one_per_loop() -> None:
    async def main() -> AsyncioHost:
        host = current_host()
        assert current_host() is host
        assert host.loop is asyncio.get_running_loop()
        return host

    first, second = asyncio.run(main()), asyncio.run(main())
    assert first is not second


def test_move_on_after_times_out_a_wait_that_never_ends() -> None:
    async def gw() -> tuple[bool, int]:
        async with ga.move_on_after(0.005) as scope:
            await sleep_forever()
        return scope.cancelled_caught, current_host().pending_timers

    async def main() -> tuple[bool, int]:
        return await to_asyncio(gw())

    assert asyncio.run(main()) == (True, 0)


def test_fail_after_raises_timeout_error_into_asyncio() -> None:
    async def gw() -> None:
        async with ga.fail_after(0.005):
            await sleep_forever()

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await to_asyncio(gw())

    asyncio.run(main())


def test_run_in_thread_comes_back_on_the_loop_thread() -> None:
    async def gw() -> tuple[str, bool]:
        worker = await ga.run_in_thread(lambda: threading.current_thread().name)
        return worker, threading.current_thread() is threading.main_thread()

    async def main() -> tuple[str, bool]:
        return await to_asyncio(gw())

    worker, on_main = asyncio.run(main())
    assert worker != threading.main_thread().name
    assert on_main


def test_periodic_first_delta_is_none_then_deltas_follow() -> None:
    async def gw() -> list[bool]:
        seen: list[bool] = []
        async for _elapsed, delta in ga.periodic(0.002):
            seen.append(delta is None)
            if len(seen) == 3:
                break
        return seen

    async def main() -> list[bool]:
        return await to_asyncio(gw())

    assert asyncio.run(main()) == [True, False, False]


def test_wait_first_completed_with_gearwork_and_asyncio_work() -> None:
    async def slow() -> str:
        await ga.sleep(3600)
        return "slow"

    async def quick() -> str:
        await ga.sleep(0.001)
        return "quick"

    async def gw() -> tuple[list[str], list[TaskState]]:
        done, pending = await ga.wait([slow(), quick()], return_when=FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return [t.result for t in done], [t.state for t in pending]

    async def main() -> tuple[list[str], list[TaskState]]:
        return await to_asyncio(gw())

    assert asyncio.run(main()) == (["quick"], [TaskState.CANCELLED])


def test_monitor_reports_a_saturation_of_at_least_one() -> None:
    async def gw() -> float:
        async with ga.monitor(0.001) as mon:
            await ga.sleep(0.01)
        return mon.result

    async def main() -> float:
        return await to_asyncio(gw())

    assert asyncio.run(main()) >= 1


def test_module_functions_need_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="need a running asyncio loop"):
        ga.now()
    with pytest.raises(RuntimeError, match="need a running asyncio loop"):
        ga.sleep(1)
