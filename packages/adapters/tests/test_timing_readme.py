"""The Python examples of README.md's sections on timing, clock and sched run as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("## The time protocol", "## `gearwork.adapters.clock`", "## `gearwork.adapters.sched`")


def _examples() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    found: list[tuple[str, str]] = []
    for part in re.split(r"(?m)^(?=## )", text):
        heading = part.splitlines()[0] if part else ""
        if heading.startswith(SECTIONS):
            for block in re.findall(r"```python\n(.*?)```", part, re.DOTALL):
                if "class Host(Protocol)" not in block:  # the protocol's outline, not a program
                    found.append((heading, block))
    return found


EXAMPLES = _examples()


def test_each_of_the_three_sections_has_a_runnable_example() -> None:
    assert {heading for heading, _ in EXAMPLES} == {
        next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith(s))
        for s in SECTIONS
    }


@pytest.mark.parametrize(("heading", "code"), EXAMPLES, ids=[h for h, _ in EXAMPLES])
def test_the_example_runs(heading: str, code: str) -> None:
    exec(compile(code, f"README.md ({heading})", "exec"), {"__name__": "readme_example"})
