"""Fixtures shared by gearwork-sync's tests (pytest runs in importlib mode: tests cannot
import each other, so what several files need lives here, as fixtures)."""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from gearwork.core import get_default_exception_handler, set_default_exception_handler


@pytest.fixture(autouse=True)
def _restore_default_handler() -> Iterator[None]:
    previous = get_default_exception_handler()
    yield
    set_default_exception_handler(previous)


@pytest.fixture
def unraisable() -> Iterator[list[object]]:
    """Collect what Python reports through sys.unraisablehook during a test.

    That is where "Exception ignored in ..." goes: exceptions raised by finalizers and by
    the closing of garbage coroutines, and warnings raised in them (filterwarnings=error
    turns "coroutine ... was never awaited" into such an exception).
    """
    seen: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


@pytest.fixture(scope="module")
def frozen_heap() -> Iterator[None]:
    """Freeze what is alive before a module's tests (gc.freeze), so that each
    gc.collect() only goes through what the tests create: about 1 ms instead of 50 ms in
    a process that has imported pytest, hypothesis and asyncio.

    Nothing changes for the tests: frozen objects were alive anyway (garbage is collected
    before freezing), and new objects are collected as usual. gc.get_referrers() does
    not look into frozen objects, which only matters for failure messages here.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _retained_bytes(run: Callable[[], object]) -> int:
    """Traced bytes still allocated after *run* and a full collection.

    *run* is called twice: once to warm up (first-time allocations are not leaks), then
    under tracemalloc.
    """
    run()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="session")
def retained_bytes() -> Callable[[Callable[[], object]], int]:
    """``retained_bytes(run)``: see :func:`_retained_bytes`."""
    return _retained_bytes


_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def report_figure() -> Callable[[str], None]:
    """Record a measured figure; all of them are printed at the end of the run.

    Session-scoped so that module fixtures and hypothesis tests may use it too.
    """
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("gearwork figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
