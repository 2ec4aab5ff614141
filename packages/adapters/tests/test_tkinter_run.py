"""gearwork.adapters.tkinter.run: an app in Tk's mainloop, and trio as a guest of Tk."""

from __future__ import annotations

import functools
import tkinter

import pytest
import trio

from gearwork.adapters.tkinter import TkHost, event, run
from gearwork.adapters.trio import run_trio_guest
from gearwork.core import Cancelled, disable_cancellation, sleep_forever


def close_window(root: tkinter.Tk) -> None:
    """What the window manager's close button does: call the WM_DELETE_WINDOW handler."""
    root.tk.eval(root.protocol("WM_DELETE_WINDOW"))


def test_run_returns_the_result_of_main_and_ends_the_app(xdisplay: str) -> None:
    seen: list[object] = []

    async def background() -> None:
        try:
            await sleep_forever()
        finally:
            seen.append("background cancelled")

    async def main(host: TkHost, word: str) -> str:
        host.start_root(background())
        await host.sleep(0.001)
        seen.append(host.root.tk.call("info", "level") != "")
        return word * 2

    assert run(main, "ab") == "abab"
    assert seen == [True, "background cancelled"]


def test_run_destroys_the_root_window_at_the_end(xdisplay: str) -> None:
    root = tkinter.Tk()

    async def main(host: TkHost) -> bool:
        return host.root is root

    assert run(main, root=root) is True
    assert not _exists(root)


def _exists(root: tkinter.Tk) -> bool:
    try:
        return bool(root.winfo_exists())
    except tkinter.TclError:
        return False


def test_closing_the_window_cancels_main_and_awaits_its_clean_up(xdisplay: str) -> None:
    steps: list[str] = []

    async def main(host: TkHost) -> None:
        host.root.after(1, close_window, host.root)
        try:
            await event(host.root, "<<Never>>")
        except Cancelled:
            steps.append("cancelled")
            async with disable_cancellation():
                await host.sleep(0.002)  # Tk keeps running for the clean-up
                steps.append("cleaned up")
            raise

    with pytest.raises(Cancelled, match="window was closed"):
        run(main)
    assert steps == ["cancelled", "cleaned up"]


def test_an_error_of_main_comes_out_of_run_once_and_is_not_reported_by_tk(
    xdisplay: str,
) -> None:
    root = tkinter.Tk()
    reported: list[BaseException] = []
    root.report_callback_exception = lambda t, e, tb: reported.append(e)

    async def main(host: TkHost) -> None:
        await host.sleep(0.001)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run(main, root=root)
    assert reported == []  # raised from run() only: not reported twice


async def _echo_once() -> bytes:
    """A trio TCP echo on 127.0.0.1: a server that sends back what it gets, and a client."""

    async def serve(stream: trio.SocketStream) -> None:
        async with stream:
            data = await stream.receive_some(100)
            await stream.send_all(data.upper())

    async with trio.open_nursery() as nursery:
        (listener,) = await nursery.start(
            functools.partial(trio.serve_tcp, serve, 0, host="127.0.0.1")
        )
        port = listener.socket.getsockname()[1]
        async with await trio.open_tcp_stream("127.0.0.1", port) as client:
            await client.send_all(b"hello tk")
            answer = await client.receive_some(100)
        nursery.cancel_scope.cancel()
    return answer


def test_a_trio_tcp_echo_completes_in_a_guest_run_hosted_by_tk(xdisplay: str) -> None:
    async def main(host: TkHost) -> tuple[bytes, int]:
        answer = await run_trio_guest(host, _echo_once)
        return answer, host.pending_timers

    assert run(main) == (b"HELLO TK", 0)


def test_closing_the_window_during_a_trio_guest_run_shuts_trio_down_first(
    xdisplay: str,
) -> None:
    ended: list[str] = []

    async def forever() -> None:
        try:
            await trio.sleep_forever()
        finally:
            ended.append("trio cancelled")

    async def main(host: TkHost) -> None:
        host.root.after(50, close_window, host.root)
        await run_trio_guest(host, forever)

    with pytest.raises(Cancelled):
        run(main)
    assert ended == ["trio cancelled"]
