"""The Timing set on trio (TrioHost, module functions): on trio's MockClock, so deterministic."""

from __future__ import annotations

import threading

import pytest
import trio
import trio.testing

import gearwork.adapters.trio as gt
from gearwork.adapters.timing import FIRST_COMPLETED
from gearwork.adapters.trio import current_host, to_trio
from gearwork.core import TaskState, sleep_forever, start


def _run_mock(main: object) -> object:
    return trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))  # type: ignore[arg-type]


def test_sleep_wakes_at_its_deadline_on_the_run_clock() -> None:
    async def gw() -> list[float]:
        seen = []
        for seconds in (1.5, 0.25, 3.0):
            await gt.sleep(seconds)
            seen.append(gt.now())
        return seen

    async def main() -> list[float]:
        return await to_trio(gw())

    assert _run_mock(main) == [1.5, 1.75, 4.75]


def test_100000_cancelled_sleeps_leave_no_pending_timer() -> None:
    async def main() -> tuple[int, int]:
        host = current_host()
        for _ in range(100_000):
            start(gt.sleep(3600)).cancel()
        await trio.sleep(0)
        return host.pending_timers, len(host._heap)

    pending, in_heap = trio.run(main)
    assert pending == 0
    assert in_heap <= 64


def test_move_on_after_and_fail_after() -> None:
    async def gw() -> tuple[bool, float]:
        async with gt.move_on_after(2) as scope:
            await sleep_forever()
        with pytest.raises(TimeoutError):
            async with gt.fail_after(1):
                await sleep_forever()
        return scope.cancelled_caught, gt.now()

    async def main() -> tuple[bool, float]:
        return await to_trio(gw())

    assert _run_mock(main) == (True, 3.0)


def test_a_moved_deadline_re_arms_the_timer() -> None:
    async def gw() -> float:
        async with gt.move_on_after(10) as scope:
            scope.deadline = gt.now() + 1
            await sleep_forever()
        return gt.now()

    async def main() -> float:
        return await to_trio(gw())

    assert _run_mock(main) == 1.0


def test_periodic_keeps_to_its_grid() -> None:
    async def gw() -> list[tuple[float, float | None]]:
        seen: list[tuple[float, float | None]] = []
        async for elapsed, delta in gt.periodic(0.5):
            seen.append((elapsed, delta))
            if len(seen) == 3:
                break
        return seen

    async def main() -> list[tuple[float, float | None]]:
        return await to_trio(gw())

    assert _run_mock(main) == [(0.0, None), (0.5, 0.5), (1.0, 0.5)]


def test_wait_with_a_timeout_leaves_the_slow_one_pending() -> None:
    async def slow() -> str:
        await gt.sleep(100)
        return "slow"

    async def quick() -> str:
        await gt.sleep(1)
        return "quick"

    async def gw() -> tuple[list[str], int]:
        done, pending = await gt.wait([slow(), quick()], timeout=5)
        for task in pending:
            task.cancel()
        return [t.result for t in done], len(pending)

    async def main() -> tuple[list[str], int]:
        return await to_trio(gw())

    assert _run_mock(main) == (["quick"], 1)


def test_wait_first_completed() -> None:
    async def gw() -> TaskState:
        done, pending = await gt.wait([gt.sleep(2), gt.sleep(1)], return_when=FIRST_COMPLETED)
        assert len(done) == 1
        (other,) = pending
        other.cancel()
        return other.state

    async def main() -> TaskState:
        return await to_trio(gw())

    assert _run_mock(main) is TaskState.CANCELLED


def test_run_in_thread_comes_back_through_the_trio_token() -> None:
    async def gw() -> tuple[bool, bool]:
        in_worker = await gt.run_in_thread(
            lambda: threading.current_thread() is not threading.main_thread()
        )
        return in_worker, threading.current_thread() is threading.main_thread()

    async def main() -> tuple[bool, bool]:
        return await to_trio(gw())

    assert trio.run(main) == (True, True)


def test_monitor_result_is_at_least_one() -> None:
    async def gw() -> float:
        async with gt.monitor(0.01) as mon:
            await gt.sleep(0.1)
        return mon.result

    async def main() -> float:
        return await to_trio(gw())

    assert _run_mock(main) >= 1  # type: ignore[operator]


def test_module_functions_need_a_trio_run() -> None:
    with pytest.raises(RuntimeError, match="needs a running trio run"):
        gt.sleep(1)
