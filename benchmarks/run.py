"""Run gearwork's benchmarks side by side with its peers: ``nox -s bench``.

Usage: ``python benchmarks/run.py [-k SUBSTRING] [--rounds N] [--budget SECONDS]``

Every ``bench_*.py`` module next to this file contributes cases (see
``harness.py``). Cases of one scenario run interleaved in this one process;
the table gives each library's best time per operation and gearwork's ratio
to the reference library of each target. Ratios, not absolute times, are the
result: they hold across machines far better than nanoseconds do.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import platform
import sys
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Case, MemoryCase, Result, Target, measure, measure_memory  # noqa: E402

GEARWORK = "gearwork"


def _load() -> tuple[list[Case], list[MemoryCase], list[Target]]:
    cases: list[Case] = []
    mem_cases: list[MemoryCase] = []
    targets: list[Target] = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        cases += getattr(module, "CASES", [])
        mem_cases += getattr(module, "MEMORY_CASES", [])
        targets += getattr(module, "TARGETS", [])
    return cases, mem_cases, targets


def _versions() -> str:
    names = [
        "gearwork-core",
        "gearwork-sync",
        "gearwork-nursery",
        "asyncgui",
        "asyncgui-ext-queue",
        "trio",
        "anyio",
    ]
    found = []
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", default="", help="only scenarios containing this")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per scenario")
    parser.add_argument("--budget", type=float, default=0.02, help="seconds per timing")
    args = parser.parse_args()

    cases, mem_cases, targets = _load()
    by_scenario: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if args.pattern in case.scenario:
            by_scenario[case.scenario].append(case)
    mem_by_scenario: dict[str, list[MemoryCase]] = defaultdict(list)
    for mem_case in mem_cases:
        if args.pattern in mem_case.scenario:
            mem_by_scenario[mem_case.scenario].append(mem_case)

    print(f"Python {platform.python_version()} on {platform.machine()}; {_versions()}")
    print(f"{args.rounds} interleaved rounds per scenario; best round kept\n")
    results: dict[str, Result] = {}
    for scenario, group in by_scenario.items():
        results[scenario] = measure(group, rounds=args.rounds, budget=args.budget)
        _print(results[scenario])
    for scenario, mem_group in mem_by_scenario.items():
        results[scenario] = measure_memory(mem_group)
        _print(results[scenario])

    print("\nTargets (gearwork / reference; a ratio below 1 means gearwork is faster):")
    misses = 0
    for target in targets:
        result = results.get(target.scenario)
        if result is None:
            continue
        ratio = result.values[GEARWORK] / result.values[target.reference]
        ok = ratio <= target.max_ratio
        misses += not ok
        verdict = "met" if ok else "MISSED"
        print(
            f"  {target.scenario:<44} {ratio:5.2f}x {target.reference:<18}"
            f" target <= {target.max_ratio:.2f}x  {verdict}"
        )
    print(f"\n{misses} target(s) missed" if misses else "\nall targets met")
    return 0


def _print(result: Result) -> None:
    """One line per scenario; each peer shows gearwork's ratio to it."""
    gw = result.values.get(GEARWORK)
    cells = []
    for lib, value in sorted(result.values.items(), key=lambda kv: kv[1]):
        ratio = f" [gw {gw / value:.2f}x]" if gw is not None and lib != GEARWORK else ""
        cells.append(f"{lib} {_fmt(value, result.unit)}{ratio}")
    print(f"{result.scenario:<44} " + " | ".join(cells))


if __name__ == "__main__":
    raise SystemExit(main())
