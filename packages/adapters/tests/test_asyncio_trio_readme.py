"""The Python examples of README.md's sections on asyncio, trio and TaskStats run as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("## `gearwork.adapters.asyncio`", "## `gearwork.adapters.trio`", "## TaskStats")


def _examples() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for part in re.split(r"(?m)^(?=## )", README.read_text(encoding="utf-8")):
        heading = part.splitlines()[0] if part else ""
        if heading.startswith(SECTIONS):
            found += [(heading, block) for block in re.findall(r"```python\n(.*?)```", part, re.S)]
    return found


EXAMPLES = _examples()


def test_each_section_has_an_example() -> None:
    assert len({heading for heading, _ in EXAMPLES}) == len(SECTIONS)


@pytest.mark.parametrize(("heading", "code"), EXAMPLES, ids=[h for h, _ in EXAMPLES])
def test_the_example_runs(heading: str, code: str) -> None:
    exec(compile(code, f"README.md ({heading})", "exec"), {"__name__": "readme_example"})
