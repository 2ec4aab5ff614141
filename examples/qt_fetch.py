"""A Qt window that fetches a file over TCP with trio in guest mode: progress bar, cancel button.

Run it with ``python examples/qt_fetch.py`` (``pip install gearwork-adapters[qt,trio]``).
The example starts a small file server on 127.0.0.1 in a thread (plain sockets) that
sends a header line with the size, then the bytes, a chunk every few milliseconds. The
window's flow is one gearwork task that reads top to bottom: wait for "Fetch", run the
download in a trio guest run hosted by Qt (``run_trio_guest``), race it against the
"Cancel" button (``wait_any``), show what happened, repeat. trio updates the progress
bar directly: its code runs on Qt's thread. Closing the window cancels the task, and
with it a download in flight (trio first, Qt keeps running until trio says it is done).

Without a display (no DISPLAY or WAYLAND_DISPLAY), or with ``--auto``, it runs on Qt's
offscreen platform and a scripted "person" clicks for you: one full download, one
cancelled half-way, then closes the window. ``--screenshot PATH`` saves the window
before it closes.
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time
from collections.abc import Callable

import trio
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from gearwork.adapters.qt import QtHost, run, wait_signal
from gearwork.adapters.trio import run_trio_guest
from gearwork.core import Cancelled
from gearwork.nursery import wait_any

SIZE = 64 * 1024
CHUNK = 2048


def serve_files(listener: socket.socket) -> None:
    """The file server: for each connection, a header line with the size, then slow chunks."""
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:  # the listener was closed: the example is over
            return
        with conn:
            try:
                conn.sendall(f"{SIZE}\n".encode())
                for offset in range(0, SIZE, CHUNK):
                    conn.sendall(bytes([offset // CHUNK % 256]) * CHUNK)
                    time.sleep(0.003)
            except OSError:  # the client went away (cancelled download)
                pass


async def download(port: int, progress: Callable[[int], object]) -> int:
    """trio code: fetch the file from 127.0.0.1:*port*, reporting the percentage done."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        data = b""
        while b"\n" not in data:
            data += await stream.receive_some(CHUNK)
        header, body = data.split(b"\n", 1)
        size, received = int(header), len(body)
        while received < size:
            chunk = await stream.receive_some(CHUNK)
            if not chunk:
                raise ConnectionError("the server closed the connection early")
            received += len(chunk)
            progress(100 * received // size)
        return received


class FetchWindow(QWidget):
    """The window: a status line, a progress bar, Fetch and Cancel buttons."""

    fetched = Signal(str)  # emitted with the status text after each attempt

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("gearwork + Qt + trio: fetch")
        self.resize(360, 140)
        self.status = QLabel("Press Fetch to download 64 KiB")
        self.progress = QProgressBar()
        self.fetch = QPushButton("Fetch")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        layout = QVBoxLayout(self)
        for widget in (self.status, self.progress, self.fetch, self.cancel):
            layout.addWidget(widget)

    def set_busy(self, busy: bool) -> None:
        self.fetch.setEnabled(not busy)
        self.cancel.setEnabled(busy)


async def app(host: QtHost, port: int, auto: bool, screenshot: str | None) -> None:
    window = FetchWindow()
    window.show()
    if auto:
        host.start_managed(person(host, window, screenshot))
    while True:
        await wait_signal(window.fetch.clicked)
        window.set_busy(True)
        window.progress.setValue(0)
        window.status.setText("Downloading...")
        fetching, _ = await wait_any(
            run_trio_guest(host, download, port, window.progress.setValue),
            wait_signal(window.cancel.clicked),
        )
        window.set_busy(False)
        if fetching.finished:
            text = f"Done: {fetching.result} bytes"
        else:
            text = f"Cancelled at {window.progress.value()}%"
        window.status.setText(text)
        print(text, flush=True)
        window.fetched.emit(text)


async def person(host: QtHost, window: FetchWindow, screenshot: str | None) -> None:
    """The scripted user of ``--auto``: clicks as a person would, then closes the window."""
    await host.sleep(0.05)
    window.fetch.click()
    await wait_signal(window.fetched)
    await host.sleep(0.05)
    window.fetch.click()
    await wait_signal(window.progress.valueChanged, lambda value: value >= 30)
    window.cancel.click()
    await wait_signal(window.fetched)
    if screenshot:
        window.grab().save(screenshot)
    await host.sleep(0.05)
    window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auto", action="store_true", help="click through by script")
    parser.add_argument("--screenshot", help="save the window to this PNG before closing")
    options = parser.parse_args()
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless:  # read by Qt when run() makes the QApplication
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = threading.Thread(target=serve_files, args=(listener,), daemon=True)
    server.start()
    try:
        run(app, port, options.auto or headless, options.screenshot)
    except Cancelled:
        print("Window closed", flush=True)
    finally:
        listener.close()


if __name__ == "__main__":
    main()
