"""The measuring side of gearwork's benchmarks.

A benchmark module (``bench_*.py`` in this folder) defines:

``CASES``
    a list of :class:`Case`: one library's way of doing one scenario. Cases
    that share a ``scenario`` are measured together, interleaved, in one
    process, and reported side by side.
``TARGETS``
    a list of :class:`Target`: the ratio gearwork must reach against a
    reference library on a scenario. A miss is reported, never asserted:
    timings do not belong in tests.

``run.py`` collects them and prints the table.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ("Case", "MemoryCase", "Result", "Target", "measure", "measure_memory")


@dataclass(frozen=True)
class Case:
    """One library's implementation of a timed scenario.

    ``make()`` builds whatever state the scenario needs and returns the
    operation to time, a callable without arguments. The operation is called
    many times in a row; ``per`` says how many units of work one call does
    (1,000 for "fire an event with 1,000 waiters", to report per woken task).
    """

    scenario: str
    library: str
    make: Callable[[], Callable[[], object]]
    per: int = 1


@dataclass(frozen=True)
class MemoryCase:
    """One library's implementation of a memory scenario.

    ``make(n)`` creates *n* units (for example *n* tasks parked on an event)
    and returns something that keeps them alive, plus a clean-up callable.
    The harness reports traced bytes per unit.
    """

    scenario: str
    library: str
    make: Callable[[int], tuple[object, Callable[[], object]]]


@dataclass(frozen=True)
class Target:
    """gearwork's goal on a scenario: ``gearwork / reference <= max_ratio``."""

    scenario: str
    reference: str
    max_ratio: float


@dataclass
class Result:
    scenario: str
    unit: str  # "ns" or "B"
    values: dict[str, float] = field(default_factory=dict)  # library -> best value per unit


def _calibrate(op: Callable[[], object], budget: float) -> int:
    """How many calls of *op* take about *budget* seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            op()
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 10 or number >= 1 << 24:
            return max(1, int(number * budget / max(elapsed, 1e-9)))
        number *= 4


def _time(op: Callable[[], object], number: int) -> float:
    loop = range(number)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in loop:
            op()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def measure(cases: list[Case], *, rounds: int, budget: float) -> Result:
    """Time the cases of one scenario, interleaved, and keep each one's best round.

    Every round times each library once, in a fresh random order, so that a
    slow moment of the machine hits all libraries alike; the minimum over the
    rounds is the least disturbed measurement.
    """
    ops = {case.library: (case.make(), case.per) for case in cases}
    numbers = {lib: _calibrate(op, budget) for lib, (op, _) in ops.items()}
    best = {lib: float("inf") for lib in ops}
    libs = list(ops)
    for _ in range(rounds):
        random.shuffle(libs)
        for lib in libs:
            op, per = ops[lib]
            elapsed = _time(op, numbers[lib])
            best[lib] = min(best[lib], elapsed / numbers[lib] / per * 1e9)
    return Result(cases[0].scenario, "ns", best)


def measure_memory(cases: list[MemoryCase], *, n: int = 10_000) -> Result:
    """Traced bytes per unit for each case (deterministic, so measured once)."""
    values: dict[str, float] = {}
    for case in cases:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            keep, cleanup = case.make(n)
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        cleanup()
        del keep
        values[case.library] = (after - before) / n
    return Result(cases[0].scenario, "B", values)
