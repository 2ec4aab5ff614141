"""Fixtures shared by gearwork-adapters' tests (pytest runs in importlib mode: tests cannot
import each other, so what several files need lives here, as fixtures)."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from gearwork.adapters.clock import Clock
from gearwork.core import get_default_exception_handler, set_default_exception_handler


@pytest.fixture(autouse=True)
def _restore_default_handler() -> Iterator[None]:
    previous = get_default_exception_handler()
    yield
    set_default_exception_handler(previous)


@pytest.fixture
def clock() -> Clock:
    """A fresh root Clock at time 0.0."""
    return Clock()


@pytest.fixture
def unraisable() -> Iterator[list[object]]:
    """Collect what Python reports through sys.unraisablehook during a test."""
    seen: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


# ------------------------------------------------------------------ a display for tkinter

_ON_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """Start ``Xvfb -displayfd``: the server writes its display number to the pipe when ready."""
    read_end, write_end = os.pipe()
    screen = ["-screen", "0", "800x600x24", "-nolisten", "tcp"]
    try:
        server = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), *screen],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        number = pipe.readline().strip().decode()
    if not number.isdigit():
        server.kill()
        server.wait()
        raise RuntimeError(f"Xvfb did not report a display number (got {number!r})")
    return server, f":{number}"


@pytest.fixture(scope="session")
def xdisplay() -> Iterator[str]:
    """A private X display (Xvfb) for the whole session, set as $DISPLAY; its name.

    Without Xvfb: the tests are skipped locally (or use an existing $DISPLAY when
    GEARWORK_USE_DISPLAY=1), and fail on CI, where .ci/run installs it.
    """
    if shutil.which("Xvfb") is None:
        existing = os.environ.get("DISPLAY")
        if existing and os.environ.get("GEARWORK_USE_DISPLAY") == "1":
            yield existing
            return
        if _ON_CI:
            pytest.fail("Xvfb is not installed: apt-get install xvfb (see .ci/run)")
        pytest.skip("Xvfb is not installed (apt-get install xvfb): tkinter tests need a display")
    server, display = _start_xvfb()
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if previous is None:
            del os.environ["DISPLAY"]
        else:
            os.environ["DISPLAY"] = previous
        server.terminate()
        server.wait()
