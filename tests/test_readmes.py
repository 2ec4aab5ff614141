"""What the READMEs say about the distributions agrees with their pyproject.toml files.

A README states a range with its name, `gearwork-core>=2.0,<3`, so that it is checked
here, and installs from a checkout with `python3 -m pip install ./packages/<area> ...`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md"))]

_SPEC = r"(?:===|~=|==|!=|<=|>=|<|>)\s*[0-9][0-9A-Za-z.*+!]*"
_SPECS = rf"{_SPEC}(?:\s*,\s*{_SPEC})*"
# gearwork-core>=2.0,<3 (the name is lazy, so that it stops where the specifiers begin)
STATED_RANGE = re.compile(rf"\bgearwork-(?P<area>[a-z][a-z0-9-]*?)\s*(?P<specs>{_SPECS})")
# `>=1.0,<2` in backticks with no name in front: which distribution it is about is prose
BARE_RANGE = re.compile(rf"`\s*{_SPECS}\s*`")
# pip install ./packages/core ./packages/sync (up to the end of the code span or line)
INSTALL = re.compile(r"\bpip install\b(?P<args>[^`\n#]*)")


@dataclass(frozen=True)
class Dist:
    """One distribution, as its packages/<area>/pyproject.toml declares it."""

    area: str
    name: str  # canonical, e.g. "gearwork-core"
    version: str
    requires: tuple[Requirement, ...]  # its gearwork-* dependencies

    @property
    def pyproject(self) -> str:
        return f"packages/{self.area}/pyproject.toml"


def _version(folder: Path, project: dict[str, object], tool: dict[str, object]) -> str:
    """[project].version, or the __version__ of the file hatch reads it from."""
    if isinstance(project.get("version"), str):
        return str(project["version"])
    hatch = tool.get("hatch")
    assert isinstance(hatch, dict), f"{folder.name}: no [project].version, no [tool.hatch]"
    text = (folder / hatch["version"]["path"]).read_text(encoding="utf-8")
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    assert match is not None, f"{folder.name}: no __version__ in {hatch['version']['path']}"
    return match.group(1)


def _dists() -> dict[str, Dist]:
    dists: dict[str, Dist] = {}
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        with pyproject.open("rb") as f:
            data = tomllib.load(f)
        project, tool = data["project"], data.get("tool", {})
        requires = tuple(
            req
            for line in project.get("dependencies", [])
            if canonicalize_name((req := Requirement(line)).name).startswith("gearwork-")
        )
        name = canonicalize_name(project["name"])
        folder = pyproject.parent
        dists[name] = Dist(folder.name, name, _version(folder, project, tool), requires)
    return dists


DISTS = _dists()
AREAS = {d.area: d for d in DISTS.values()}


def _lines(readme: Path) -> Iterator[tuple[str, str]]:
    """(where, line) for every line of a README: where is "README.md:12"."""
    name = readme.relative_to(ROOT)
    for number, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
        yield f"{name}:{number}", line


def _closure(areas: set[str]) -> set[str]:
    """The areas and those of every sibling they need, transitively."""
    needed: set[str] = set()
    stack = list(areas)
    while stack:
        area = stack.pop()
        if area in AREAS and area not in needed:
            needed.add(area)
            stack.extend(DISTS[canonicalize_name(r.name)].area for r in AREAS[area].requires)
    return needed


def _checkout_installs(readme: Path) -> Iterator[tuple[str, list[str]]]:
    """(where, folders) for every `pip install ./packages/...` in a README."""
    for where, line in _lines(readme):
        for match in INSTALL.finditer(line):
            folders = [
                re.sub(r"\[.*\]$", "", arg)  # ./packages/sync[extra] -> ./packages/sync
                for arg in match.group("args").split()
                if arg.startswith(("./packages/", "packages/"))
            ]
            if folders:
                yield where, folders


def test_the_repository_has_distributions_that_require_siblings() -> None:
    # Otherwise the tests below would pass by checking nothing.
    assert any(d.requires for d in DISTS.values())


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_range_a_readme_states_is_the_one_the_pyprojects_require(readme: Path) -> None:
    problems = []
    for where, line in _lines(readme):
        for match in STATED_RANGE.finditer(line):
            name = f"gearwork-{match.group('area')}"
            stated = SpecifierSet(match.group("specs").rstrip("."))
            dist = DISTS.get(canonicalize_name(name))
            if dist is None:
                problems.append(f"{where}: {name}{stated}: no such distribution under packages/")
                continue
            for other in DISTS.values():
                for req in other.requires:
                    if canonicalize_name(req.name) == dist.name and req.specifier != stated:
                        problems.append(
                            f"{where}: states {name}{stated}, but {other.pyproject} requires"
                            f" {name}{req.specifier}"
                        )
            if not stated.contains(dist.version, prereleases=True):
                problems.append(
                    f"{where}: states {name}{stated}, which leaves out {name} {dist.version}"
                    f" of {dist.pyproject}"
                )
    assert not problems, "\n".join(problems)


def test_the_root_readme_states_the_range_of_every_sibling_requirement() -> None:
    stated = {
        canonicalize_name(f"gearwork-{match.group('area')}")
        for _, line in _lines(ROOT / "README.md")
        for match in STATED_RANGE.finditer(line)
    }
    required = {canonicalize_name(r.name) for d in DISTS.values() for r in d.requires}
    assert required <= stated, f"README.md states no range for {sorted(required - stated)}"


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_readme_states_a_range_without_its_name(readme: Path) -> None:
    bare = [
        f"{where}: {match.group()}: write it with its name, like gearwork-core>=2.0,<3"
        for where, line in _lines(readme)
        for match in BARE_RANGE.finditer(line)
    ]
    assert not bare, "\n".join(bare)


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_checkout_install_names_the_folder_of_every_sibling_it_needs(
    readme: Path,
) -> None:
    problems = []
    for where, folders in _checkout_installs(readme):
        areas = {Path(folder).name for folder in folders}
        unknown = sorted(f for f in folders if Path(f).name not in AREAS)
        if unknown:
            problems.append(f"{where}: {', '.join(unknown)}: no such distribution folder")
        missing = sorted(_closure(areas) - areas)
        if missing:
            # pip would look them up on the package index, where they are not (yet).
            problems.append(
                f"{where}: installs {' '.join(folders)} without"
                f" {' '.join(f'./packages/{a}' for a in missing)}"
            )
    assert not problems, "\n".join(problems)


def test_the_root_readme_installs_all_and_each_distribution_from_a_checkout() -> None:
    commands = [
        {Path(f).name for f in folders} for _, folders in _checkout_installs(ROOT / "README.md")
    ]
    wanted = {"all": set(AREAS)} | {area: _closure({area}) for area in AREAS}
    absent = [
        f"{what}: python3 -m pip install {' '.join(f'./packages/{a}' for a in sorted(areas))}"
        for what, areas in wanted.items()
        if areas not in commands
    ]
    assert not absent, "README.md shows no checkout install for " + "; ".join(absent)
