"""Whole programs as a newcomer writes them: quiet at exit, short tracebacks.

Each test runs a program file in a fresh interpreter with the installed gearwork.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

LEFT_SUSPENDED = """
from gearwork.core import Task, sleep_forever, start
from gearwork.nursery import (
    move_on_when, open_nursery, run_as_daemon, run_as_main, wait_all, wait_any,
)

async def leaf():
    try:
        await sleep_forever()
    finally:
        pass  # clean-up runs when Python closes the coroutine

async def blocks():
    async with run_as_daemon(leaf()):
        async with move_on_when(leaf()):
            async with run_as_main(leaf()):
                await sleep_forever()

async def middle():
    async with open_nursery() as nursery:
        nursery.start(leaf())
        nursery.start(leaf(), daemon=True)
        await wait_any(leaf(), blocks())

async def waits_for_children():
    async with open_nursery() as nursery:
        nursery.start(leaf())  # the block is done: it waits in its exit

async def main():
    async with open_nursery() as nursery:
        for _ in range(3):
            nursery.start(middle())
        nursery.start(waits_for_children())
        await wait_all(leaf(), middle(), blocks())

kept = [start(main()) for _ in range(20)]  # alive until the interpreter exits
for _ in range(20):
    start(main())  # garbage at once, collected in cycles
kept.append(start(waits_for_children()))
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEARWORK_")}
    with tempfile.TemporaryDirectory() as folder:
        program = Path(folder, "program.py")
        program.write_text(textwrap.dedent(code), encoding="utf-8")
        return subprocess.run(
            [sys.executable, *args, str(program)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )


@pytest.mark.parametrize("collector", ["on", "off"])
def test_task_trees_left_suspended_make_no_noise_at_exit(collector: str) -> None:
    # With the cycle collector off, the garbage trees are finalized at shutdown, while
    # the interpreter tears the modules down.
    prelude = "import gc; gc.disable()\n" if collector == "off" else ""
    result = _run(prelude + LEFT_SUSPENDED, "-W", "error")
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")


def test_a_failing_child_shows_a_short_traceback() -> None:
    result = _run(
        """
        from gearwork.core import sleep_forever, start
        from gearwork.nursery import open_nursery

        children = []

        async def child():
            await sleep_forever()
            raise ValueError("boom")

        async def main():
            async with open_nursery() as nursery:
                children.append(nursery.start(child()))
                nursery.start(sleep_forever())

        start(main())
        children[0].step()  # what a button callback would do
        """
    )
    stderr = result.stderr
    assert "ExceptionGroup: open_nursery() failed (1 sub-exception)" in stderr
    assert stderr.rstrip().splitlines()[-2:] == ["    | ValueError: boom", "    +" + "-" * 36]
    files = [line for line in stderr.splitlines() if line.strip().startswith("| File ")]
    gearwork_files = [line for line in files if "gearwork" in line]
    # 1.x showed 24 gearwork frames in 63 lines; what remains: the step() the program
    # called and the nursery's exit, where the group is raised.
    assert len(gearwork_files) <= 3, stderr
    assert len(stderr.splitlines()) <= 20, stderr
    assert "children[0].step()" in stderr and 'raise ValueError("boom")' in stderr
    assert "type: ignore" not in stderr and "noqa" not in stderr
