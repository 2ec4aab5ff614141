"""gearwork.adapters.sched on the real sched.scheduler and real time: order and outcome only."""

from __future__ import annotations

import threading

import pytest

from gearwork.adapters.sched import SchedHost, run
from gearwork.adapters.timing import Host, Timing
from gearwork.core import Cancelled, current_task, sleep_forever, start


def test_a_sched_host_is_a_host_and_its_own_timing() -> None:
    host = SchedHost()
    assert isinstance(host, Host)
    assert isinstance(host, Timing)
    assert host.now() <= host.now()


def test_run_returns_the_result_of_the_main_task() -> None:
    async def main(host: SchedHost, a: int, b: int) -> int:
        await host.sleep(0.001)
        return a + b

    assert run(main, 2, 3) == 5


def test_sleeps_end_in_the_order_of_their_deadlines() -> None:
    host = SchedHost()
    order: list[int] = []

    async def sleeper(n: int) -> None:
        await host.sleep(n * 0.002)
        order.append(n)

    async def main() -> None:
        tasks = [start(sleeper(n)) for n in (3, 1, 2)]
        await host.wait(tasks)

    host.run(main())
    assert order == [1, 2, 3]


def test_a_cancelled_sleep_removes_its_event_from_the_queue() -> None:
    host = SchedHost()
    task = start(host.sleep(3600))
    assert len(host.scheduler.queue) == 1
    task.cancel()
    assert host.scheduler.empty()
    assert host.pending_timers == 0


def test_100000_cancelled_sleeps_leave_the_queue_empty() -> None:
    host = SchedHost()
    for _ in range(100_000):
        start(host.sleep(1.0)).cancel()
    assert host.pending_timers == 0
    assert host.scheduler.empty()


def test_a_post_from_another_thread_wakes_a_scheduler_blocked_on_a_far_event() -> None:
    host = SchedHost()
    woken: list[str] = []

    async def main() -> str:
        # An hour-long timer keeps sched.run() blocked in its delay function; only the
        # post can end this test before that hour.
        far = host.call_later(3600, lambda: woken.append("far"))
        (value,), _ = await _wait_for_post(host)
        far.cancel()
        return str(value)

    assert host.run(main()) == "from the thread"
    assert woken == []


async def _wait_for_post(host: SchedHost) -> tuple[tuple[object, ...], dict[str, object]]:
    task = await current_task()

    def worker() -> None:
        host.call_soon_threadsafe(lambda: task.step("from the thread"))

    threading.Thread(target=worker).start()
    return await sleep_forever()


def test_run_keeps_going_while_the_queue_is_empty_and_a_thread_works() -> None:
    release = threading.Event()

    def blocking() -> str:
        release.wait(10)
        return "worked"

    async def main(host: SchedHost) -> str:
        threading.Timer(0.01, release.set).start()
        return await host.run_in_thread(blocking)

    assert run(main) == "worked"


def test_an_exception_of_the_main_task_propagates_from_run() -> None:
    async def main(host: SchedHost) -> None:
        await host.sleep(0)
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        run(main)


def test_a_main_task_cancelled_from_inside_makes_run_raise_cancelled() -> None:
    host = SchedHost()

    async def main() -> None:
        me = await current_task()
        me.cancel()  # delivered at the next suspension
        await host.sleep(3600)

    with pytest.raises(Cancelled):
        host.run(main())
    assert host.pending_timers == 0
    assert host.scheduler.empty()


def test_run_refuses_to_run_twice_at_once() -> None:
    host = SchedHost()

    async def main() -> None:
        inner = sleep_forever()
        with pytest.raises(RuntimeError, match="already running"):
            host.run(inner)
        inner.close()

    host.run(main())


def test_timeouts_on_real_time_end_in_the_right_order() -> None:
    async def main(host: SchedHost) -> list[str]:
        log: list[str] = []
        async with host.move_on_after(0.005) as scope:
            await host.sleep(3600)
        log.append(f"timed out {scope.timed_out}")
        try:
            async with host.fail_after(0.005):
                await sleep_forever()
        except TimeoutError:
            log.append("failed")
        done, pending = await host.wait(
            [host.sleep(3600), host.sleep(0.001)], timeout=0.05, return_when="FIRST_COMPLETED"
        )
        log.append(f"{len(done)} done, {len(pending)} pending")
        for task in pending:
            task.cancel()
        log.append(f"{host.pending_timers} timers")
        return log

    assert run(main) == ["timed out True", "failed", "1 done, 1 pending", "0 timers"]


def test_the_monitor_measures_on_real_time() -> None:
    async def main(host: SchedHost) -> float:
        async with host.monitor(0.001) as monitor:
            await host.sleep(0.02)
        return monitor.result

    assert run(main) >= 1.0


def test_periodic_on_real_time_yields_growing_elapsed_times() -> None:
    async def main(host: SchedHost) -> list[float]:
        seen: list[float] = []
        async for elapsed, _ in host.periodic(0.001):
            seen.append(elapsed)
            if len(seen) == 5:
                return seen
        raise AssertionError("not reached")

    seen = run(main)
    assert seen == sorted(seen)
    assert seen[0] == 0.0


def test_sched_host_refuses_a_timefunc_that_is_not_callable() -> None:
    with pytest.raises(TypeError, match="callable timefunc"):
        SchedHost(42)  # type: ignore[arg-type]
