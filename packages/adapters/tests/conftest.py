"""Fixtures shared by gearwork-adapters' tests (pytest runs in importlib mode: tests cannot
import each other, so what several files need lives here, as fixtures)."""

from __future__ import annotations

import gc
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
