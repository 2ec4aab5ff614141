"""The written report of a benchmark run: a markdown table, a bar chart, the raw figures.

``run.py`` calls :func:`write_report` at the end of a run. It writes, into the
output folder (``build/bench/`` by default):

``results.md``
    one table per group of scenarios (``core``, ``nursery``, ``sync``, ...):
    each library's median time (or bytes) per unit of work, and in brackets
    how many times gearwork's figure it is, so ``(3.20x)`` means that library
    takes 3.2 times as long as gearwork; then the targets, as gearwork / peer.
``ratios.png``
    the same peer / gearwork ratios as bars, on a log scale, one row per
    scenario: a bar right of the line at 1 is a peer slower than gearwork.
    The toolkits' thread wake-up latencies follow, when they were measured.
``results.json``
    every process's figures, for anyone who wants to redo the statistics.

The chart needs matplotlib (``nox -s bench`` installs it).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import Result, Target

GEARWORK = "gearwork"
# Columns in this order; any other library (a gearwork variant, "trio.run", ...) follows.
PEER_ORDER = ("asyncgui", "asyncgui-ext-queue", "asyncio", "trio", "anyio")
# One colour per peer family, so asyncgui-ext-queue is drawn as asyncgui, trio.run as trio.
COLORS = {"asyncgui": "#4c72b0", "asyncio": "#dd8452", "trio": "#55a868", "anyio": "#c44e52"}


@dataclass(frozen=True)
class Header:
    """What the reader needs to judge the figures: where, with what, how, when."""

    when: str
    python: str
    machine: str
    versions: str
    method: str
    load: str
    commit: str


def _family(library: str) -> str | None:
    for family in COLORS:
        if library == family or library.startswith((family + "-", family + ".")):
            return family
    return None


def _medians(results: Sequence[Result]) -> dict[str, float]:
    libraries = results[0].values
    return {lib: statistics.median(r.values[lib] for r in results) for lib in libraries}


def _peer_ratio(results: Sequence[Result], library: str) -> float:
    """Median over the processes of library / gearwork (above 1: gearwork is ahead)."""
    return statistics.median(r.values[library] / r.values[GEARWORK] for r in results)


def _fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value:,.0f} B" if value >= 100 else f"{value:,.1f} B"
    if value >= 1_000_000:
        return f"{value / 1e6:,.2f} ms"
    if value >= 1_000:
        return f"{value / 1e3:,.2f} µs"
    return f"{value:,.0f} ns"


def _columns(groups: Sequence[Sequence[Result]]) -> list[str]:
    seen: list[str] = []
    for results in groups:
        for lib in results[0].values:
            if lib not in seen:
                seen.append(lib)
    ordered = [GEARWORK] if GEARWORK in seen else []
    ordered += [lib for lib in PEER_ORDER if lib in seen]
    ordered += [lib for lib in seen if lib not in ordered]
    return ordered


def markdown(
    header: Header,
    per_scenario: dict[str, list[Result]],
    targets: Sequence[Target],
    wakeups: Sequence[str] = (),
) -> str:
    """The whole report as markdown (no chart: the page that shows it adds the picture)."""
    lines = [
        f"Run of {header.when} on {header.machine}, Python {header.python}, at {header.commit}.",
        "",
        f"Libraries: {header.versions}.",
        "",
        f"Method: {header.method}. Load average (1 min) at the start and at the end: "
        f"{header.load}; on a busy machine the absolute times grow, the ratios much less.",
        "",
        "Each cell is the median time (or traced bytes) per unit of work; in brackets, how",
        "many times gearwork's figure it is: **(3.20x) means 3.2 times as long as gearwork**.",
        "",
    ]
    by_group: dict[str, list[list[Result]]] = defaultdict(list)
    for scenario, results in per_scenario.items():
        by_group[scenario.partition(":")[0]].append(results)
    for group, groups in by_group.items():
        columns = _columns(groups)
        lines.append(f"### {group}")
        lines.append("")
        lines.append("| scenario | " + " | ".join(columns) + " |")
        lines.append("|---|" + "---:|" * len(columns))
        for results in groups:
            medians = _medians(results)
            cells = []
            for lib in columns:
                if lib not in medians:
                    cells.append("")
                    continue
                cell = _fmt(medians[lib], results[0].unit)
                if lib != GEARWORK and GEARWORK in medians:
                    cell += f" ({_peer_ratio(results, lib):.2f}x)"
                cells.append(cell)
            name = results[0].scenario.partition(":")[2].strip()
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")

    rows = []
    for target in targets:
        results = per_scenario.get(target.scenario)
        if results is None:
            continue
        ratios = [r.values[GEARWORK] / r.values[target.reference] for r in results]
        ratio = statistics.median(ratios)
        verdict = "met" if ratio <= target.max_ratio else "**missed**"
        rows.append(
            f"| {target.scenario} | {target.reference} | {ratio:.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}) | <= {target.max_ratio:.2f} | {verdict} |"
        )
    if rows:
        lines += [
            "### Targets",
            "",
            "gearwork / reference (below 1: gearwork is faster), the median over the",
            "processes and, in brackets, the lowest and highest process.",
            "",
            "| scenario | reference | gearwork / reference | target | |",
            "|---|---|---:|---:|---|",
            *rows,
            "",
        ]
    if wakeups:
        lines += [
            "### Thread wake-up latency of the toolkit hosts",
            "",
            "A worker thread posts a callback through the host's `call_soon_threadsafe` while",
            "the toolkit's loop is idle; the time until the callback runs (no polling: the",
            "loop-less peers' toolkit bridges poll, typically every second).",
            "",
            *(f"- {line}" for line in wakeups),
            "",
        ]
    return "\n".join(lines)


def chart(per_scenario: dict[str, list[Result]], path: Path) -> bool:
    """Peer / gearwork ratios as horizontal bars on a log scale, written as a PNG.

    Returns False, writing nothing, when no scenario measured has a peer to draw.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    rows: list[tuple[str, list[tuple[str, float]]]] = []
    for scenario, results in per_scenario.items():
        if GEARWORK not in results[0].values:
            continue
        bars = [
            (lib, _peer_ratio(results, lib))
            for lib in _columns([results])
            if lib != GEARWORK and _family(lib) is not None
        ]
        if bars:
            rows.append((scenario, bars))
    if not rows:
        return False
    n_bars = sum(len(bars) for _, bars in rows)
    fig, ax = plt.subplots(figsize=(10, 0.2 * n_bars + 0.2 * len(rows) + 1.4))
    ticks, labels = [], []
    drawn: dict[str, object] = {}
    y = 0.0  # bars go downwards from the top, one unit each, groups 0.8 apart
    for scenario, bars in rows:
        first = y
        for lib, ratio in bars:
            family = _family(lib) or lib
            (bar,) = ax.barh(y, ratio, height=0.85, color=COLORS.get(family, "#8c8c8c"))
            drawn.setdefault(family, bar)
            ax.annotate(
                f"{ratio:.2f}x" if lib == family else f"{ratio:.2f}x {lib}",
                (ratio, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
            y -= 1
        ticks.append((first + y + 1) / 2)
        labels.append(scenario)
        y -= 0.8
    ax.set_ylim(y + 0.4, 1)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlabel("peer / gearwork (log scale; right of 1: gearwork is faster or smaller)")
    ax.set_title("gearwork against its peers: how many times gearwork's time or memory")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.margins(x=0.15, y=0)
    families = [f for f in COLORS if f in drawn]
    ax.legend([drawn[f] for f in families], families, loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(
    out: Path,
    header: Header,
    runs: list[list[dict[str, object]]],
    per_scenario: dict[str, list[Result]],
    targets: Sequence[Target],
    wakeups: Sequence[str] = (),
    *,
    with_chart: bool = True,
) -> list[Path]:
    """Write results.md, results.json and (with_chart) ratios.png into out; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.md", out / "results.json"]
    written[0].write_text(markdown(header, per_scenario, targets, wakeups), encoding="utf-8")
    raw = {"header": header.__dict__, "processes": runs, "wakeups": list(wakeups)}
    written[1].write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    if with_chart and chart(per_scenario, out / "ratios.png"):
        written.append(out / "ratios.png")
    return written
