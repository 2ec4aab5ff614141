"""Fixtures shared by gearwork-nursery's tests (pytest runs in importlib mode: tests cannot
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

    "Exception ignored in ...", "coroutine ... ignored GeneratorExit" and warnings raised
    while collecting garbage ("coroutine ... was never awaited", an error under
    filterwarnings=error) all arrive there.
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
    """Freeze what is alive before a module's tests (gc.freeze), so that each gc.collect()
    only walks what the tests create. Frozen objects were alive anyway, so no test sees a
    difference, except that gc.get_referrers() skips them."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _retained_bytes(run: Callable[[], object]) -> int:
    """Bytes still allocated (as tracemalloc counts them) after *run* and a full collection.

    *run* is called once untraced to warm caches up, then once under tracemalloc.
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
    """Record a measured figure; they are printed in a "gearwork figures" section at the end.

    Session-scoped, so that module fixtures and hypothesis tests can use it.
    """
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("gearwork figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
