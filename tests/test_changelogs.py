"""Each package's CHANGELOG.md has an entry for the version its __about__.py says.

RELEASING.md: a release dates the `## [Unreleased]` section as `## [X.Y.Z] - YYYY-MM-DD`
and opens a new `## [Unreleased]` above it. So the newest version a changelog names is the
package's current version, and only an `[Unreleased]` section may come before it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p.parent for p in ROOT.glob("packages/*/pyproject.toml"))

# `## [2.0.0] - 2026-12-03`, `## [Unreleased]`, and the unbracketed `## 1.0.2 - 2026-12-02`
HEADING = re.compile(r"^##\s+(?P<heading>\[?(?P<name>[^\]\s]+)\]?.*?)\s*$", re.MULTILINE)
VERSION_LINE = re.compile(r"""^__version__\s*=\s*["']([^"'\n]+)["']""", re.MULTILINE)


def changelog_problems(text: str, version: str) -> list[str]:
    """What keeps `text`, a CHANGELOG.md, from having an entry for `version` on top.

    Its level-2 headings must be at most one `[Unreleased]`, first, then an entry for
    `version`; older entries follow in any number.
    """
    headings = {m["name"]: m["heading"] for m in HEADING.finditer(text)}
    names = [m["name"] for m in HEADING.finditer(text)]
    unreleased = [n for n in names if n.lower() == "unreleased"]
    problems = []
    if len(unreleased) > 1 or (unreleased and names[0] != unreleased[0]):
        problems.append("an [Unreleased] section may only be the first one")
    released = [n for n in names if n.lower() != "unreleased"]
    for name in released:
        try:
            Version(name)
        except InvalidVersion:
            problems.append(f"the heading `## {headings[name]}` names no version")
    if version not in released:
        problems.append(
            f"no entry for {version}, the current version: date the [Unreleased] section as"
            f" `## [{version}] - YYYY-MM-DD` (RELEASING.md)"
        )
    elif released[0] != version:
        problems.append(
            f"the entry for {released[0]} comes before the one for {version}, the current"
            " version: bump the version (`hatch version`) or put the entries in order"
        )
    return problems


def _version(package: Path) -> str:
    with (package / "pyproject.toml").open("rb") as f:
        path = tomllib.load(f)["tool"]["hatch"]["version"]["path"]
    match = VERSION_LINE.search((package / path).read_text(encoding="utf-8"))
    assert match is not None, f"{package.name}: no __version__ in {path}"
    return match.group(1)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_changelog_has_an_entry_for_its_current_version_on_top(package: Path) -> None:
    changelog = package / "CHANGELOG.md"
    assert changelog.is_file(), f"{changelog.relative_to(ROOT)} is missing"
    problems = changelog_problems(changelog.read_text(encoding="utf-8"), _version(package))
    where = changelog.relative_to(ROOT)
    assert not problems, "\n".join(f"{where}: {p}" for p in problems)


KEPT = """# Changelog

## [Unreleased]

### Added
- something

## [2.1.0] - 2026-12-24

## [2.0.0] - 2026-12-03
"""


def test_a_dated_entry_for_the_current_version_under_an_unreleased_one_passes() -> None:
    assert changelog_problems(KEPT, "2.1.0") == []
    assert changelog_problems(KEPT.replace("## [Unreleased]\n", ""), "2.1.0") == []
    assert changelog_problems("## 1.0.2 - 2026-12-02\n\n## 1.0.1\n", "1.0.2") == []


def test_a_bumped_version_without_its_entry_names_the_fix() -> None:
    assert changelog_problems(KEPT, "2.2.0") == [
        "no entry for 2.2.0, the current version: date the [Unreleased] section as"
        " `## [2.2.0] - YYYY-MM-DD` (RELEASING.md)"
    ]


def test_an_entry_newer_than_the_current_version_is_a_problem() -> None:
    assert changelog_problems(KEPT, "2.0.0") == [
        "the entry for 2.1.0 comes before the one for 2.0.0, the current version: bump the"
        " version (`hatch version`) or put the entries in order"
    ]


def test_unreleased_sections_come_first_and_once() -> None:
    late = KEPT + "\n## [Unreleased]\n"
    assert changelog_problems(late, "2.1.0") == [
        "an [Unreleased] section may only be the first one"
    ]


def test_a_heading_that_names_no_version_is_a_problem() -> None:
    text = "## [Unreleased]\n\n## [2.1.0] - 2026-12-24\n\n## Next steps\n"
    assert changelog_problems(text, "2.1.0") == ["the heading `## Next steps` names no version"]
