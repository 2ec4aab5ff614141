"""gearwork.adapters.asyncio: from_asyncio, to_asyncio and the future mirrors, on real loops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import gearwork.sync as gws
from gearwork.adapters.asyncio import (
    ASYNCIO_SIDE_CANCELLED,
    from_asyncio,
    from_asyncio_future,
    to_asyncio,
    to_asyncio_future,
)
from gearwork.core import Cancelled, Task, TaskState, sleep_forever, start


async def _double_later(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


async def _fail_later() -> None:
    await asyncio.sleep(0)
    raise ValueError("asyncio side failed")


def test_from_asyncio_runs_a_coroutine_as_an_asyncio_task_and_returns_its_result() -> None:
    async def gw() -> int:
        return await from_asyncio(_double_later(21))

    async def main() -> tuple[int, TaskState]:
        task = start(gw())
        assert task.state is TaskState.STARTED
        result = await to_asyncio(task)
        return result, task.state

    assert asyncio.run(main()) == (42, TaskState.FINISHED)


def test_from_asyncio_raises_the_asyncio_exception_in_the_gearwork_task() -> None:
    seen: list[str] = []

    async def gw() -> None:
        try:
            await from_asyncio(_fail_later())
        except ValueError as e:
            seen.append(str(e))

    async def main() -> None:
        await to_asyncio(gw())

    asyncio.run(main())
    assert seen == ["asyncio side failed"]


def test_from_asyncio_of_a_done_future_returns_without_suspending() -> None:
    async def main() -> Task[str]:
        fut = asyncio.get_running_loop().create_future()
        fut.set_result("ready")

        async def gw() -> str:
            return await from_asyncio(fut)

        return start(gw())

    task = asyncio.run(main())
    assert task.result == "ready"


def test_gearwork_task_has_resumed_when_later_done_callbacks_of_the_future_run() -> None:
    order: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[int] = loop.create_future()

        async def gw() -> None:
            value = await from_asyncio(fut)
            order.append(f"gearwork resumed with {value}")

        task = start(gw())
        fut.add_done_callback(lambda f: order.append(f"callback sees {task.state.name}"))
        loop.call_soon(fut.set_result, 7)
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    asyncio.run(main())
    assert order == ["gearwork resumed with 7", "callback sees FINISHED"]


def test_cancelling_the_gearwork_task_cancels_the_asyncio_task() -> None:
    async def main() -> tuple[bool, TaskState]:
        started = asyncio.Event()
        inner: list[asyncio.Task[Any]] = []

        async def asyncio_side() -> None:
            inner.append(asyncio.current_task())  # type: ignore[arg-type]
            started.set()
            await asyncio.sleep(3600)

        async def gw() -> None:
            await from_asyncio(asyncio_side())

        task = start(gw())
        await started.wait()
        task.cancel()
        assert task.state is TaskState.CANCELLED
        with pytest.raises(asyncio.CancelledError):
            await inner[0]
        return inner[0].cancelled(), task.state

    assert asyncio.run(main()) == (True, TaskState.CANCELLED)


def test_the_asyncio_side_cancelled_raises_cancelled_in_the_gearwork_task() -> None:
    caught: list[str] = []

    async def main() -> TaskState:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def gw() -> None:
            try:
                await from_asyncio(fut)
            except Cancelled as e:
                caught.append(str(e))
                raise

        task = start(gw())
        fut.cancel()
        await asyncio.sleep(0)
        return task.state

    assert asyncio.run(main()) is TaskState.CANCELLED
    assert caught == [ASYNCIO_SIDE_CANCELLED]


def test_from_asyncio_without_a_running_loop_says_what_to_do() -> None:
    async def gw() -> None:
        await from_asyncio(asyncio.sleep(0))

    with pytest.raises(RuntimeError, match=r"pass loop=the_loop"):
        start(gw())


def test_from_asyncio_on_a_given_loop_that_runs_later() -> None:
    loop = asyncio.new_event_loop()
    try:

        async def gw() -> int:
            return await from_asyncio(_double_later(5), loop=loop)

        task = start(gw())
        loop.run_until_complete(asyncio.sleep(0.001))
        assert task.result == 10
    finally:
        loop.close()


@pytest.mark.parametrize("bad", [42, "text"])
def test_from_asyncio_refuses_what_is_not_awaitable(bad: Any) -> None:
    async def main() -> None:
        async def gw() -> None:
            await from_asyncio(bad)

        with pytest.raises(TypeError, match="needs an asyncio awaitable"):
            start(gw())

    asyncio.run(main())


def test_to_asyncio_gives_the_gearwork_exception_to_asyncio_only() -> None:
    async def gw() -> None:
        await sleep_forever()

    async def main() -> None:
        task = start(gw())
        asyncio.get_running_loop().call_soon(task.throw, KeyError("gearwork side"))
        with pytest.raises(KeyError, match="gearwork side"):
            await to_asyncio(task)

    asyncio.run(main())


def test_cancelling_the_asyncio_task_cancels_the_gearwork_task() -> None:
    async def main() -> TaskState:
        gw_task = start(sleep_forever())

        async def asyncio_side() -> None:
            await to_asyncio(gw_task)

        outer = asyncio.get_running_loop().create_task(asyncio_side())
        await asyncio.sleep(0)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        return gw_task.state

    assert asyncio.run(main()) is TaskState.CANCELLED


def test_a_cancelled_gearwork_task_raises_cancelled_error_in_asyncio() -> None:
    async def main() -> None:
        gw_task = start(sleep_forever())
        asyncio.get_running_loop().call_soon(gw_task.cancel)
        with pytest.raises(asyncio.CancelledError):
            await to_asyncio(gw_task)

    asyncio.run(main())


def test_to_asyncio_of_an_ended_task_gives_its_result() -> None:
    async def quick() -> str:
        return "now"

    async def main() -> str:
        return await to_asyncio(start(quick()))

    assert asyncio.run(main()) == "now"


def test_to_asyncio_refuses_what_is_not_awaitable() -> None:
    async def main() -> None:
        with pytest.raises(TypeError, match="needs a gearwork Task or awaitable, got int"):
            to_asyncio(3)  # type: ignore[arg-type]

    asyncio.run(main())


def test_to_asyncio_without_a_loop_raises_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="none is running"):
        to_asyncio(Task(sleep_forever()))


def test_ping_pong_across_the_border_keeps_order() -> None:
    log: list[str] = []

    async def gw(n: int) -> int:
        total = 0
        for i in range(n):
            total += await from_asyncio(_double_later(i))
            log.append(f"gw {i}")
        return total

    async def main() -> int:
        return await to_asyncio(gw(5))

    assert asyncio.run(main()) == 2 * sum(range(5))
    assert log == [f"gw {i}" for i in range(5)]


@pytest.mark.parametrize("outcome", ["result", "exception", "cancel"])
def test_to_asyncio_future_mirrors_each_outcome(outcome: str) -> None:
    async def main() -> None:
        source: gws.Future[int] = gws.Future()
        mirror = to_asyncio_future(source)
        if outcome == "result":
            source.set_result(3)
            assert await mirror == 3
        elif outcome == "exception":
            source.set_exception(LookupError("x"))
            with pytest.raises(LookupError):
                await mirror
        else:
            source.cancel()
            assert mirror.cancelled()

    asyncio.run(main())


def test_cancelling_the_asyncio_mirror_cancels_the_gearwork_future() -> None:
    async def main() -> bool:
        source: gws.Future[int] = gws.Future()
        mirror = to_asyncio_future(source)
        mirror.cancel()
        await asyncio.sleep(0)
        return source.cancelled()

    assert asyncio.run(main()) is True


@pytest.mark.parametrize("outcome", ["result", "exception", "cancel"])
def test_from_asyncio_future_mirrors_each_outcome_and_wakes_gearwork_waiters(outcome: str) -> None:
    async def main() -> Task[Any]:
        source: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        mirror = from_asyncio_future(source)

        async def waiter() -> int:
            return await mirror

        task = start(waiter())
        if outcome == "result":
            source.set_result(9)
        elif outcome == "exception":
            source.set_exception(OSError("boom"))
        else:
            source.cancel()
        await asyncio.sleep(0)
        return task

    task = asyncio.run(main())
    if outcome == "result":
        assert task.result == 9
    elif outcome == "exception":
        assert isinstance(task.exception(), OSError)
    else:
        assert task.cancelled


def test_cancelling_the_gearwork_mirror_cancels_the_asyncio_future() -> None:
    async def main() -> bool:
        source: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        from_asyncio_future(source).cancel()
        return source.cancelled()

    assert asyncio.run(main()) is True


def test_future_bridges_refuse_the_wrong_kind_of_future() -> None:
    async def main() -> None:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        with pytest.raises(TypeError, match=r"needs a gearwork\.sync\.Future"):
            to_asyncio_future(fut)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="needs an asyncio Future"):
            from_asyncio_future(gws.Future())  # type: ignore[arg-type]

    asyncio.run(main())


def test_a_failure_reaches_the_asyncio_side_and_not_the_loop_exception_handler() -> None:
    handled: list[dict[str, Any]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: handled.append(context))
        task = start(sleep_forever())
        loop.call_soon(task.throw, KeyError("only for asyncio"))
        with pytest.raises(KeyError):
            await to_asyncio(task)
        await asyncio.sleep(0)

    asyncio.run(main())
    assert handled == []


def test_to_asyncio_of_a_nursery_child_leaves_its_supervision_to_the_nursery() -> None:
    from gearwork.nursery import open_nursery

    seen: list[str] = []

    async def child() -> str:
        await sleep_forever()
        return "child done"

    async def parent(box: list[Task[str]]) -> None:
        async with open_nursery() as nursery:
            box.append(nursery.start(child()))

    async def main() -> None:
        box: list[Task[str]] = []
        parent_task = start(parent(box))
        child_task = box[0]
        asyncio.get_running_loop().call_soon(child_task.step)
        seen.append(await to_asyncio(child_task))
        assert parent_task.finished

    asyncio.run(main())
    assert seen == ["child done"]


def test_to_asyncio_without_a_loop_closes_the_refused_coroutine(unraisable: list[object]) -> None:
    async def gw() -> None:
        pass

    with pytest.raises(RuntimeError, match="none is running"):
        to_asyncio(gw())
    assert unraisable == []
