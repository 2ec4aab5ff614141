"""gearwork.adapters.pygame against real pygame-ce, with SDL's dummy video and audio drivers."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame
import trio

from gearwork.adapters.pygame import PygameHost, run
from gearwork.adapters.trio import run_trio_guest
from gearwork.core import Cancelled, disable_cancellation, sleep_forever, start


@pytest.fixture
def host() -> Iterator[PygameHost]:
    pygame.init()
    pygame.display.set_mode((64, 48))
    try:
        yield PygameHost()
    finally:
        pygame.quit()


def key(k: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0)


# ----------------------------------------------------------------------------- timers


def test_many_cancelled_sleeps_leave_no_pending_timer(host: PygameHost) -> None:
    tasks = [start(host.sleep(60)) for _ in range(500)]
    assert host.pending_timers == 500
    for task in tasks:
        task.cancel()
    assert host.pending_timers == 0
    assert host._timeout() is None  # every entry is gone from the heap
    assert host._heap == []


def test_timers_fire_in_the_frame_loop(host: PygameHost) -> None:
    async def main() -> tuple[bool, int]:
        async with host.move_on_after(0.005) as scope:
            await sleep_forever()
        await host.sleep(0.001)
        return scope.timed_out, host.pending_timers

    assert host.run(main(), fps=0) == (True, 0)
    assert host.n_frames >= 2


def test_run_needs_a_non_negative_fps(host: PygameHost) -> None:
    with pytest.raises(ValueError, match="fps >= 0"):
        host.run(sleep_forever(), fps=-1)


def test_a_host_needs_pygame_initialised() -> None:
    pygame.quit()
    with pytest.raises(pygame.error, match=r"pygame\.init\(\) first"):
        PygameHost()


# ----------------------------------------------------------------------------- events


def test_event_with_a_filter_runs_the_task_inside_the_dispatch(host: PygameHost) -> None:
    state = {"jumped": False}
    seen_after: list[bool] = []

    async def main() -> int:
        ev = await host.event(pygame.KEYDOWN, filter=lambda e: e.key == pygame.K_SPACE)
        state["jumped"] = True
        return int(ev.key)

    task = start(main())
    host.add_handler(pygame.KEYDOWN, lambda e: seen_after.append(state["jumped"]), priority=-1)
    host.dispatch(key(pygame.K_a))
    assert not task.done()
    host.dispatch(key(pygame.K_SPACE))
    assert task.result == pygame.K_SPACE
    assert seen_after == [False, True]  # the lower-priority handler saw the task's change
    assert len(host._handlers[pygame.KEYDOWN]) == 1  # the waiter's handler is gone


def test_a_consuming_waiter_of_higher_priority_hides_the_event_from_the_others(
    host: PygameHost,
) -> None:
    low = start(host.event(pygame.KEYDOWN))
    high = start(host.event(pygame.KEYDOWN, priority=10, consume=True))
    assert host.dispatch(key(pygame.K_p)) is True
    assert high.finished and not low.done()
    assert host.dispatch(key(pygame.K_q)) is False
    assert low.finished
    assert pygame.KEYDOWN not in host._handlers


def test_a_handler_removed_during_a_dispatch_does_not_see_that_event(host: PygameHost) -> None:
    seen: list[str] = []
    second = host.add_handler(pygame.KEYUP, lambda e: seen.append("second"), priority=-1)
    host.add_handler(pygame.KEYUP, lambda e: second.remove())
    host.dispatch(pygame.event.Event(pygame.KEYUP, key=pygame.K_a, mod=0, scancode=0))
    assert seen == []
    assert not second.active


def test_a_cancelled_waiter_removes_its_handler(host: PygameHost) -> None:
    task = start(host.event(pygame.MOUSEBUTTONDOWN))
    assert pygame.MOUSEBUTTONDOWN in host._handlers
    task.cancel()
    assert task.cancelled
    assert pygame.MOUSEBUTTONDOWN not in host._handlers


def test_an_event_stream_keeps_one_handler_for_a_loop_of_events(host: PygameHost) -> None:
    counts: list[int] = []

    async def main() -> list[tuple[int, int]]:
        positions = []
        async with host.events(pygame.MOUSEMOTION, filter=lambda e: e.pos[0] > 0) as motion:
            async for ev in motion:
                positions.append(ev.pos)
                counts.append(len(host._handlers[pygame.MOUSEMOTION]))
                if len(positions) == 3:
                    break
        return positions

    task = start(main())
    for x in range(4):
        host.dispatch(pygame.event.Event(pygame.MOUSEMOTION, pos=(x, 1), rel=(1, 0), buttons=()))
    assert task.result == [(1, 1), (2, 1), (3, 1)]
    assert counts == [1, 1, 1]
    assert pygame.MOUSEMOTION not in host._handlers


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"event_type": "KEYDOWN"}, "needs an event type"),
        ({"event_type": pygame.KEYDOWN, "filter": 3}, "callable filter"),
        ({"event_type": pygame.KEYDOWN, "priority": 1.5}, "int priority"),
    ],
)
def test_event_checks_its_arguments(
    host: PygameHost, kwargs: dict[str, object], match: str
) -> None:
    event_type = kwargs.pop("event_type")
    with pytest.raises(TypeError, match=match):
        host.event(event_type, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- frames


def test_frames_give_dt_and_draw_callbacks_run_in_their_order(host: PygameHost) -> None:
    drawn: list[str] = []
    host.add_draw(lambda s: drawn.append("hud"), order=10)
    background = host.add_draw(lambda s: drawn.append("background"), order=-5)
    host.add_draw(lambda s: drawn.append("sprites"))

    async def main() -> list[float]:
        dts = []
        async for dt in host.frames():
            dts.append(dt)
            if len(dts) == 2:
                background.remove()
            if len(dts) == 3:
                return dts
        raise AssertionError("unreachable")

    dts = host.run(main(), fps=200)
    assert len(dts) == 3 and all(dt >= 0 for dt in dts)
    assert drawn[:3] == ["background", "sprites", "hud"]
    assert drawn[-2:] == ["sprites", "hud"]


# ---------------------------------------------------------------------------- threads


@pytest.mark.parametrize("fps", [0, 120])
def test_run_in_thread_wakes_the_loop_with_a_posted_event(host: PygameHost, fps: int) -> None:
    async def main() -> tuple[int, bool]:
        value = await host.run_in_thread(sum, [4, 5])
        return value, threading.current_thread() is threading.main_thread()

    assert host.run(main(), fps=fps) == (9, True)


def test_a_posted_callback_that_raises_is_reported(host: PygameHost) -> None:
    reported: list[BaseException] = []
    host.on_error = reported.append

    def boom() -> None:
        raise ValueError("boom")

    async def main() -> None:
        host.call_soon_threadsafe(boom)
        await host.next_frame()
        await host.next_frame()

    host.run(main(), fps=0)
    assert [str(e) for e in reported] == ["boom"]


# -------------------------------------------------------------------------------- run


def test_run_returns_main_s_result_and_cancels_root_tasks(dummy_drivers: None) -> None:
    ended: list[str] = []

    async def background() -> None:
        try:
            await sleep_forever()
        finally:
            ended.append("background")

    async def main(host: PygameHost, n: int) -> int:
        host.start_root(background())
        for _ in range(n):
            await host.next_frame()
        return host.n_frames

    assert run(main, 3, size=(32, 32), fps=0) >= 3
    assert ended == ["background"]


def test_closing_the_window_cancels_main_after_its_clean_up(dummy_drivers: None) -> None:
    steps: list[str] = []

    async def main(host: PygameHost) -> None:
        pygame.event.post(pygame.event.Event(pygame.QUIT))
        try:
            await sleep_forever()
        except Cancelled:
            async with disable_cancellation():
                await host.sleep(0.002)
                steps.append("cleaned up")
            raise

    with pytest.raises(Cancelled, match="window was closed"):
        run(main, fps=0)
    assert steps == ["cleaned up"]


def test_an_error_of_main_is_raised_from_run(dummy_drivers: None) -> None:
    async def main(host: PygameHost) -> None:
        await host.next_frame()
        raise KeyError("level")

    with pytest.raises(KeyError, match="level"):
        run(main, fps=0)
    assert not pygame.get_init()


async def _echo_once() -> bytes:
    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            await stream.send_all((await stream.receive_some(100)).upper())

    async with trio.open_nursery() as nursery:
        (listener,) = await nursery.start(
            functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1")
        )
        port = listener.socket.getsockname()[1]
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            await client.send_all(b"hello pygame")
            answer = await client.receive_some(100)
        nursery.cancel_scope.cancel()
    return answer


@pytest.mark.parametrize("fps", [0, 60])
def test_a_trio_tcp_echo_completes_in_a_guest_run_hosted_by_pygame(
    dummy_drivers: None, fps: int
) -> None:
    async def main(host: PygameHost) -> tuple[bytes, int]:
        return await run_trio_guest(host, _echo_once), host.pending_timers

    assert run(main, fps=fps) == (b"HELLO PYGAME", 0)


@pytest.fixture
def dummy_drivers() -> None:
    """run() initialises and quits pygame itself: nothing to set up but the dummy drivers."""
    assert os.environ["SDL_VIDEODRIVER"] in ("dummy", "offscreen")
