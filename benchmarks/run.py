"""Run gearwork's benchmarks side by side with its peers: ``nox -s bench``.

Usage: ``python benchmarks/run.py [-k SUBSTRING] [--processes N] [--rounds N] [--budget SECONDS]
[--out FOLDER] [--no-chart] [--no-docs]``

Every ``bench_*.py`` module next to this file contributes cases (see
``harness.py``). Cases of one scenario run interleaved in one process, each
library's best round kept; that is repeated in ``--processes`` fresh
processes, because a process's own layout (hash seed, memory addresses) moves
a library's speed by several percent for the whole life of the process, and
interleaving cannot see that. The table gives each library's median time per
operation over the processes and gearwork's median ratio to each peer; the
targets also give the lowest and highest ratio seen. Ratios, not absolute
times, are the result: they hold across machines far better than nanoseconds.

A run of every scenario (or ``-k wakeup``, ``-k qt``...) also runs the toolkits'
``*_wakeup.py`` scripts, each in its own process, and reports their latencies.

The run also writes its report (``report.py``): ``results.md`` (the tables),
``ratios.png`` (the chart) and ``results.json`` (every process's figures) into
``--out`` (``build/bench/``). A run of every scenario (no ``-k``) also copies
the table and the chart to ``docs/_bench/``, which the documentation's
benchmark page shows; ``--no-docs`` leaves them alone.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOCS_BENCH = ROOT / "docs" / "_bench"
sys.path.insert(0, str(HERE))

from harness import Case, MemoryCase, Result, Target, measure, measure_memory  # noqa: E402
from report import Header, write_report  # noqa: E402

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
        "gearwork-adapters",
        "asyncgui",
        "asyncgui-ext-queue",
        "trio",
        "anyio",
    ]
    found = []
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    if found and found[0].startswith("gearwork-core"):
        found[0] += f" ({_implementation()})"
    return ", ".join(found)


def _implementation() -> str:
    """Which implementation of gearwork-core runs: the compiled accelerator or pure Python.

    GEARWORK_PURE_PYTHON=1 (set for `nox -s bench`, it reaches these processes) measures
    the pure-Python fallback.
    """
    from gearwork.core import lowlevel

    return "compiled accelerator" if lowlevel.ACCELERATED else "pure Python"


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def _worker(pattern: str, rounds: int, budget: float) -> list[dict[str, Any]]:
    """Measure every selected scenario in this process; one dict per scenario."""
    cases, mem_cases, _ = _load()
    by_scenario: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        if pattern in case.scenario:
            by_scenario[case.scenario].append(case)
    mem_by_scenario: dict[str, list[MemoryCase]] = defaultdict(list)
    for mem_case in mem_cases:
        if pattern in mem_case.scenario:
            mem_by_scenario[mem_case.scenario].append(mem_case)
    results = [measure(group, rounds=rounds, budget=budget) for group in by_scenario.values()]
    results += [measure_memory(group) for group in mem_by_scenario.values()]
    return [{"scenario": r.scenario, "unit": r.unit, "values": r.values} for r in results]


def _run_workers(args: argparse.Namespace) -> list[list[dict[str, Any]]]:
    """Run the measurements in ``args.processes`` fresh processes, one after the other."""
    runs = []
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "-k", args.pattern]
    command += ["--rounds", str(args.rounds), "--budget", str(args.budget)]
    for _ in range(args.processes):
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", default="", help="only scenarios containing this")
    parser.add_argument(
        "--processes", type=int, default=5, help="fresh processes that each measure everything"
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per process")
    parser.add_argument("--budget", type=float, default=0.02, help="seconds per timing")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "build" / "bench", help="folder of the report"
    )
    parser.add_argument("--no-chart", action="store_true", help="no ratios.png (no matplotlib)")
    parser.add_argument(
        "--no-docs", action="store_true", help="do not copy a full run's report to docs/_bench"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.processes < 1 or args.rounds < 1 or args.budget <= 0:
        parser.error("--processes and --rounds need at least 1, --budget a positive time")

    if args.worker:
        json.dump(_worker(args.pattern, args.rounds, args.budget), sys.stdout)
        return 0

    if not args.no_chart:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            parser.error("the chart needs matplotlib: pip install matplotlib, or pass --no-chart")

    method = (
        f"{args.processes} fresh process{'es' if args.processes > 1 else ''} x "
        f"{args.rounds} interleaved round{'s' if args.rounds > 1 else ''} per scenario; "
        "best round per process, median over the processes"
    )
    print(f"Python {platform.python_version()} on {platform.machine()}; {_versions()}")
    print(method + "\n")
    load_before = _load_average()
    runs = _run_workers(args)
    load = f"{load_before} / {_load_average()}"
    # scenario -> the Result of each process, in the order the first process measured them
    per_scenario: dict[str, list[Result]] = defaultdict(list)
    for run in runs:
        for item in run:
            result = Result(item["scenario"], item["unit"], item["values"])
            per_scenario[result.scenario].append(result)
    wakeup_scripts = [p for p in HERE.glob("*_wakeup.py") if args.pattern in p.stem]
    if not per_scenario and not wakeup_scripts:
        print(f"no scenario and no *_wakeup.py script matches {args.pattern!r}")
        return 1
    for results in per_scenario.values():
        _print(results)

    _, _, targets = _load()
    print("\nTargets (gearwork / reference; a ratio below 1 means gearwork is faster):")
    misses = 0
    for target in targets:
        results = per_scenario.get(target.scenario)
        if results is None:
            continue
        ratios = [r.values[GEARWORK] / r.values[target.reference] for r in results]
        ratio = statistics.median(ratios)
        ok = ratio <= target.max_ratio
        misses += not ok
        verdict = "met" if ok else "MISSED"
        spread = f"({min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
        print(
            f"  {target.scenario:<50} {ratio:5.2f}x {spread:<11} {target.reference:<18}"
            f" target <= {target.max_ratio:.2f}x  {verdict}"
        )
    print(f"\n{misses} target(s) missed" if misses else "\nall targets met")

    header = Header(
        when=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        python=platform.python_version(),
        machine=f"{platform.machine()} ({os.cpu_count()} CPUs)",
        versions=_versions(),
        method=method,
        load=load,
        commit=_commit(),
    )
    wakeups = _run_wakeups(args.pattern)
    written = write_report(
        args.out, header, runs, per_scenario, targets, wakeups, with_chart=not args.no_chart
    )
    print("\nreport: " + ", ".join(str(p) for p in written))
    if not args.pattern and not args.no_docs:
        DOCS_BENCH.mkdir(parents=True, exist_ok=True)
        for path in written:
            if path.suffix in (".md", ".png"):
                shutil.copy2(path, DOCS_BENCH / path.name)
        print(f"copied the table and the chart to {DOCS_BENCH} (the docs' benchmark page)")
    failed = [line for line in wakeups if " FAILED " in line]
    return 1 if failed else 0


def _run_wakeups(pattern: str) -> list[str]:
    """Run each toolkit's ``*_wakeup.py`` (all with no -k; else those whose name matches).

    They measure how fast a worker thread wakes each toolkit's loop through its host; they
    need the toolkit (and tkinter a display, or Xvfb to start one). A script that fails is
    reported as such, in the output and the report, and makes the run fail at the end.
    """
    lines = []
    for script in sorted(HERE.glob("*_wakeup.py")):
        if pattern not in script.stem:
            continue
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            lines += done.stdout.strip().splitlines()
        else:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            lines.append(f"{script.name} FAILED (exit status {done.returncode}): {last}")
    if lines:
        print("\nThread wake-up latency of the toolkit hosts:")
        for line in lines:
            print(f"  {line}")
    return lines


def _load_average() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):  # not on every platform
        return "unknown"


def _commit() -> str:
    """The commit measured, with "+ changes" when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"commit {head}" + (" + uncommitted changes" if dirty else "")


def _print(results: list[Result]) -> None:
    """One line per scenario: each library's median, and gearwork's median ratio to each peer."""
    unit = results[0].unit
    libraries = list(results[0].values)
    medians = {lib: statistics.median(r.values[lib] for r in results) for lib in libraries}
    cells = []
    for lib in sorted(libraries, key=medians.__getitem__):
        cell = f"{lib} {_fmt(medians[lib], unit)}"
        if lib != GEARWORK and GEARWORK in medians:
            ratio = statistics.median(r.values[GEARWORK] / r.values[lib] for r in results)
            cell += f" [gw {ratio:.2f}x]"
        cells.append(cell)
    print(f"{results[0].scenario:<50} " + " | ".join(cells))


if __name__ == "__main__":
    raise SystemExit(main())
