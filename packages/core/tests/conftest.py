from __future__ import annotations

import gc
import sys
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
    """Collect what Python reports through sys.unraisablehook during a test."""
    seen: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


_FIGURES: list[str] = []


@pytest.fixture
def report_figure() -> Callable[[str], None]:
    """Record a measured figure; all of them are printed at the end of the run."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("gearwork figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
