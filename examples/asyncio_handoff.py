"""An asyncio program that hands work to gearwork tasks and takes results back.

Run it with ``python examples/asyncio_handoff.py`` (or ``nox -s demo``); it needs
gearwork-adapters (no extra: asyncio is in the standard library). asyncio owns the loop.
A gearwork "order desk" takes orders from an asyncio producer through a gearwork Queue,
prepares each one by awaiting asyncio work (``from_asyncio``) and gearwork timers on the
loop (``gearwork.adapters.asyncio.sleep``), and asyncio code awaits the desk's results
(``to_asyncio``). Then cancellation is shown both ways: asyncio giving up on a gearwork
task with ``asyncio.wait_for``, and a gearwork deadline cancelling asyncio work.
"""

from __future__ import annotations

import asyncio

import gearwork.adapters.asyncio as ga
from gearwork.adapters.asyncio import from_asyncio, to_asyncio
from gearwork.core import Cancelled, sleep_forever, start
from gearwork.sync import Queue


async def fetch_price(item: str) -> int:
    """Plain asyncio work: pretend to ask a server."""
    await asyncio.sleep(0.001)
    return len(item) * 10


async def order_desk(orders: Queue[str], log: list[str]) -> int:
    """A gearwork task: takes orders until the queue is shut down; returns the total."""
    total = 0
    async for item in orders:
        price = await from_asyncio(fetch_price(item))  # asyncio work, awaited from gearwork
        await ga.sleep(0.001)  # a gearwork timer on the asyncio loop
        log.append(f"desk: {item} costs {price}")
        total += price
    return total


async def slow_gearwork_job(log: list[str]) -> None:
    try:
        await sleep_forever()
    except Cancelled:
        log.append("gearwork: job cancelled because asyncio stopped waiting")
        raise


async def gearwork_with_deadline(log: list[str]) -> None:
    async with ga.move_on_after(0.01) as scope:
        await from_asyncio(asyncio.sleep(3600))  # asyncio work that would never end in time
    log.append(f"gearwork: deadline passed, asyncio side cancelled: {scope.cancelled_caught}")


async def main() -> list[str]:
    log: list[str] = []
    orders: Queue[str] = Queue()
    desk = start(order_desk(orders, log))  # runs at once, up to its first await

    for item in ("tea", "coffee", "cake"):
        orders.put_nowait(item)  # plain asyncio code feeding a gearwork queue
        await asyncio.sleep(0)
    orders.shutdown()
    total = await to_asyncio(desk)  # asyncio awaits the gearwork task
    log.append(f"asyncio: the desk took {total} in all")

    job = start(slow_gearwork_job(log))
    try:
        await asyncio.wait_for(to_asyncio(job), timeout=0.01)
    except asyncio.TimeoutError:  # the builtin TimeoutError from 3.11 on
        log.append(f"asyncio: gave up waiting; the gearwork task is {job.state.name}")

    await to_asyncio(gearwork_with_deadline(log))
    return log


if __name__ == "__main__":
    lines = asyncio.run(main())
    for line in lines:
        print(line)
    assert lines[:3] == ["desk: tea costs 30", "desk: coffee costs 60", "desk: cake costs 40"]
    assert lines[-1].endswith("True")
    assert "CANCELLED" in lines[-2]
