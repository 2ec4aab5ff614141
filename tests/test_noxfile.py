"""Which interpreter each nox session runs on, and that none is skipped in silence.

The unit tests call the noxfile's choosers with made-up inputs (a Python 3.14 running nox
cannot be had here); the others run nox in a subprocess with a PATH that holds a single
interpreter, found on PATH or in pyenv (skipped when it is absent). The noxfile's pure
helpers (the checks of built wheels and of their extras, the lower bounds and version
rewrites of the minimums session, ...) are tested here too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every session but tests and minimums runs once (the first seven are default sessions, with
# those two).
ONCE_SESSIONS = (
    *("lint", "typecheck", "embedded", "build", "demo", "docs", "repo"),
    *("bench", "stress", "interpreter", "screenshots"),
)
AREAS = sorted(p.parent.name for p in ROOT.glob("packages/*/pyproject.toml"))


@pytest.fixture(scope="module")
def noxfile() -> ModuleType:
    """The noxfile, imported as a module (this registers its sessions, harmlessly)."""
    spec = importlib.util.spec_from_file_location("gearwork_noxfile", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _finder(found: dict[str, str]) -> Callable[[str], str | None]:
    return found.get


def _nothing_on_path(version: str) -> str | None:
    raise AssertionError(f"looked up python{version} on PATH, which it need not do")


# ------------------------------------------------------------------------ the choosers


@pytest.mark.parametrize("running", ["3.11", "3.12", "3.13"])
def test_once_sessions_run_on_the_python_running_nox_when_it_is_3_11_to_3_13(
    noxfile: ModuleType, running: str
) -> None:
    assert noxfile._once_python(running, _nothing_on_path) is None


@pytest.mark.parametrize("running", ["3.10", "3.14"])
def test_once_sessions_otherwise_run_on_the_newest_3_11_to_3_13_on_path(
    noxfile: ModuleType, running: str
) -> None:
    find = _finder({"3.10": "/bin/python3.10", "3.11": "/bin/python3.11", "3.12": "/x/python3.12"})
    assert noxfile._once_python(running, find) == "/x/python3.12"


def test_once_sessions_with_no_python_3_11_to_3_13_raise_a_lookup_error_naming_the_fix(
    noxfile: ModuleType,
) -> None:
    with pytest.raises(LookupError) as info:
        noxfile._once_python("3.14", _finder({"3.10": "/bin/python3.10"}))
    message = str(info.value)
    assert "nox runs on Python 3.14" in message
    assert "none of python3.13, python3.12, python3.11 is on PATH" in message
    assert "python3.13 -m nox" in message


def test_tests_on_ci_require_every_python_of_the_matrix(noxfile: ModuleType) -> None:
    pythons = noxfile._test_pythons("3.12", True, _nothing_on_path)
    assert pythons == ["3.10", "3.11", "3.12", "3.13"]


def test_tests_locally_run_on_the_pythons_on_path_and_the_one_running_nox(
    noxfile: ModuleType,
) -> None:
    pythons = noxfile._test_pythons("3.12", False, _finder({"3.10": "/bin/python3.10"}))
    assert pythons == ["3.10", "3.12"]


def test_tests_locally_with_no_python_of_the_matrix_at_hand_are_none(noxfile: ModuleType) -> None:
    assert noxfile._test_pythons("3.14", False, _finder({})) == []


def test_a_missing_interpreter_is_an_error_locally_too(noxfile: ModuleType) -> None:
    # Only interpreters that were found are given to nox: one it cannot find must fail.
    assert noxfile.nox.options.error_on_missing_interpreters is True


# -------------------------------------------------------------------- nox in a subprocess


def _nox_env(path: Path | None, *, ci: bool) -> dict[str, str]:
    """The environment of a nox subprocess: ours, without what would steer nox or Python."""
    steering = ("NOX", "VIRTUAL_ENV", "CONDA", "PYENV", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(steering) and k != "CI"}
    if path is not None:
        env["PATH"] = str(path)
    if ci:
        env["CI"] = "true"
    return env


def _run_nox(
    python: str | Path, *args: str, path: Path | None = None, ci: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "nox", *args],
        cwd=ROOT,
        env=_nox_env(path, ci=ci),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _pyenv_root() -> Path:
    """As .ci/run finds it: `pyenv root`, else $PYENV_ROOT, else ~/.pyenv."""
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        result = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            return Path(result.stdout.strip())
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _release(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))


def _interpreter(version: str) -> Path | None:
    """A real CPython <version>: python<version> on PATH, else the newest pyenv install."""
    candidates: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path is not None:
        candidates.append(Path(on_path))
    found = _pyenv_root().glob(f"versions/{version}.*/bin/python{version}")
    candidates += sorted(found, key=_release, reverse=True)
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        result = subprocess.run([candidate, "-c", probe], capture_output=True, text=True)
        # A pyenv shim is on PATH even when its version is not active, and then fails.
        if result.returncode == 0 and result.stdout.strip() == version:
            return candidate.resolve()  # a venv's python resolves to its base interpreter
    return None


@dataclass(frozen=True)
class OnePython:
    """A PATH holding only python<version> and python3, and a venv of it with nox."""

    version: str
    interpreter: Path
    path: Path  # the folder to use as PATH
    nox_python: Path  # the venv's python, which has nox


@pytest.fixture(scope="module", params=["3.12", "3.13"])
def one_python(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> OnePython:
    version: str = request.param
    interpreter = _interpreter(version)
    if interpreter is None:
        pytest.skip(f"no Python {version}: neither python{version} on PATH nor one in pyenv")
    folder = tmp_path_factory.mktemp(f"only-{version}")
    path = folder / "bin"
    path.mkdir()
    for name in (f"python{version}", "python3"):
        (path / name).symlink_to(interpreter)
    venv = folder / "nox-venv"
    # The nox that runs these tests, for the interpreter under test (as .ci/run does it).
    for command in (
        [sys.executable, "-m", "virtualenv", "--quiet", "-p", str(interpreter), str(venv)],
        [
            str(venv / "bin" / "python"),
            *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
            f"nox=={metadata.version('nox')}",
        ],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    return OnePython(version, interpreter, path, venv / "bin" / "python")


def _listed(one_python: OnePython, *, ci: bool = False) -> dict[str, str | None]:
    """Session name -> `python=`, from `nox --list --json` with only one_python on PATH."""
    args = ("--list", "--json", "-s", *ONCE_SESSIONS, "tests", "minimums")
    result = _run_nox(one_python.nox_python, *args, path=one_python.path, ci=ci)
    assert result.returncode == 0, result.stdout + result.stderr
    return {s["session"]: s["python"] for s in json.loads(result.stdout)}


def test_with_one_python_on_path_the_once_sessions_run_on_it(
    noxfile: ModuleType, one_python: OnePython, tmp_path: Path
) -> None:
    # None: the interpreter running nox, used as is (nothing that could be "not found").
    expected = dict.fromkeys(ONCE_SESSIONS)
    expected |= {f"tests-{one_python.version}({area})": one_python.version for area in AREAS}
    # Python 3.10 is not on PATH: the minimums sessions are stand-ins that fail (python=False).
    expected |= {f"minimums({area})": False for area in AREAS}
    assert _listed(one_python) == expected

    report = tmp_path / "report.json"
    ran = _run_nox(
        one_python.nox_python,
        *("-s", "interpreter", "--envdir", str(tmp_path / "envs"), "--report", str(report)),
        path=one_python.path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    shown = subprocess.run(
        [one_python.interpreter, "-c", noxfile.SHOW_INTERPRETER], capture_output=True, text=True
    )
    assert shown.stdout.strip() in ran.stdout.splitlines()  # "Python 3.12.1 from /.../3.12.1"
    results = {s["signatures"][0]: s["result"] for s in json.loads(report.read_text())["sessions"]}
    assert results == {"interpreter": "success"}


def test_with_one_python_on_path_on_ci_every_python_of_the_matrix_stays_required(
    one_python: OnePython,
) -> None:
    expected = dict.fromkeys(ONCE_SESSIONS)
    for version in ("3.10", "3.11", "3.12", "3.13"):
        expected |= {f"tests-{version}({area})": version for area in AREAS}
    expected |= {f"minimums({area})": "3.10" for area in AREAS}
    assert _listed(one_python, ci=True) == expected


def test_with_no_python_3_10_on_path_the_minimums_fail_and_say_why(
    one_python: OnePython, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    ran = _run_nox(
        one_python.nox_python,
        *("-s", "minimums", "--envdir", str(tmp_path / "envs"), "--report", str(report)),
        path=one_python.path,
    )
    assert ran.returncode != 0
    assert "no Python 3.10 to run the minimums on" in ran.stderr
    assert "put it there" in ran.stderr
    results = {s["signatures"][0]: s["result"] for s in json.loads(report.read_text())["sessions"]}
    assert results == {f"minimums({area})": "aborted" for area in AREAS}


def test_a_session_with_no_interpreter_fails_and_says_why(tmp_path: Path) -> None:
    # What the once-sessions (and tests, locally) become when no interpreter fits: nox
    # would skip them, or drop them, and report success.
    probe = tmp_path / "noxfile.py"
    probe.write_text(
        f"""\
import importlib.util
import sys
import nox
spec = importlib.util.spec_from_file_location("gearwork_noxfile", {str(ROOT / "noxfile.py")!r})
module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
@module._session_on("3.12", "no Python for this session: the reason")
@nox.parametrize("area", [nox.param("core", id="core")])
def probe(session, area):
    raise AssertionError("ran")
""",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    ran = _run_nox(
        sys.executable,
        *("-f", str(probe), "-s", "probe", "--envdir", str(tmp_path / "envs")),
        *("--report", str(report)),
    )
    assert ran.returncode != 0
    assert "no Python for this session: the reason" in ran.stderr
    results = {s["signatures"][0]: s["result"] for s in json.loads(report.read_text())["sessions"]}
    assert results == {"probe(core)": "aborted"}


def test_a_regular_area_needs_its_own_py_typed(noxfile: ModuleType) -> None:
    names = {"gearwork/core/__init__.py", "gearwork/core/_task.py"}
    assert noxfile._missing_py_typed(names, "gearwork/core") == ["no gearwork/core/py.typed"]
    assert noxfile._missing_py_typed(names | {"gearwork/core/py.typed"}, "gearwork/core") == []


def test_a_namespace_area_needs_a_py_typed_in_each_subpackage(noxfile: ModuleType) -> None:
    names = {
        "gearwork/adapters/timing/__init__.py",
        "gearwork/adapters/timing/py.typed",
        "gearwork/adapters/trio/__init__.py",
        "gearwork/adapters/trio/_guest.py",
    }
    assert noxfile._missing_py_typed(names, "gearwork/adapters") == [
        "no gearwork/adapters/trio/py.typed"
    ]
    assert noxfile._missing_py_typed(set(), "gearwork/adapters") == [
        "no package in gearwork/adapters/"
    ]


def test_type_completeness_is_measured_per_public_package_of_an_area(
    noxfile: ModuleType,
) -> None:
    modules = {area: noxfile._public_modules(noxfile.PACKAGES[area]) for area in AREAS}
    assert modules["core"] == ["gearwork.core"]
    # gearwork.adapters is a namespace: each framework's package is measured on its own.
    adapters = ROOT / "packages" / "adapters" / "src" / "gearwork" / "adapters"
    expected = sorted(
        f"gearwork.adapters.{d.name}"
        for d in adapters.iterdir()
        if (d / "__init__.py").is_file() and not d.name.startswith("_")
    )
    assert modules["adapters"] == expected
    assert {"gearwork.adapters.timing", "gearwork.adapters.kivy"} <= set(expected)


# ------------------------------------------------------------------ demo and screenshots


def test_demo_names_select_examples_by_a_part_of_their_file_name(noxfile: ModuleType) -> None:
    examples = [Path(f"examples/{n}.py") for n in ("game_loop", "qt_fetch", "tkinter_login")]
    chosen, unknown = noxfile._select_examples(examples, ["TKINTER", "qt", "gtk"])
    assert [e.stem for e in chosen] == ["qt_fetch", "tkinter_login"]
    assert unknown == ["gtk"]


def test_every_example_is_run_by_the_demo_or_marked_as_needing_a_display(
    noxfile: ModuleType,
) -> None:
    examples = sorted((ROOT / "examples").glob("*.py"))
    headless = [e.stem for e in examples if not noxfile._skips_demo(e)]
    assert headless, "the demo would run nothing"
    for example in examples:
        chosen, unknown = noxfile._select_examples(examples, [example.stem])
        assert example in chosen and not unknown


def test_the_screenshots_session_runs_every_test_module_that_saves_a_screenshot(
    noxfile: ModuleType,
) -> None:
    folder = ROOT / "packages" / "adapters" / "tests"
    modules = {p.name for p in noxfile._screenshot_tests(folder)}
    assert {"test_tkinter_login.py", "test_pygame_game.py", "test_qt_examples.py"} <= modules
    assert "test_timing.py" not in modules


# ----------------------------------------------------------------------- build checks


def test_a_wheel_installed_alone_brings_exactly_its_siblings_at_the_built_versions(
    noxfile: ModuleType,
) -> None:
    built = {"gearwork-core": "2.0.0", "gearwork-sync": "2.0.0"}
    assert (
        noxfile._install_set_problems({"gearwork_Sync": "2.0", "gearwork-core": "2.0.0"}, built)
        == []
    )
    assert noxfile._install_set_problems(
        {"gearwork-sync": "2.0.0", "gearwork-core": "1.9.0", "attrs": "26.1.0"}, built
    ) == [
        "it pulled in attrs 26.1.0, which it does not require",
        "it installed gearwork-core 1.9.0, not the 2.0.0 just built",
    ]
    assert noxfile._install_set_problems({"gearwork-sync": "2.0.0"}, built) == [
        "it left out gearwork-core, which it requires (directly or through a sibling)"
    ]


def _report(*items: tuple[str, str, list[str]]) -> dict[str, object]:
    """A `pip install --report` of (name, version, requires_dist) items, for Python 3.11."""
    return {
        "environment": {"python_version": "3.11", "python_full_version": "3.11.7"},
        "install": [
            {"metadata": {"name": name, "version": version, "requires_dist": requires}}
            for name, version, requires in items
        ],
    }


ADAPTERS = (
    "gearwork-adapters",
    "0.1.0",
    ["gearwork-core>=2.0,<3", 'trio>=0.27; extra == "trio"', 'pytest; extra == "trio"'],
)
CORE = ("gearwork-core", "2.0.0", ['exceptiongroup>=1.2; python_version < "3.11"'])


def test_an_extra_of_the_standard_library_adds_nothing_to_the_siblings(
    noxfile: ModuleType,
) -> None:
    assert noxfile._extra_problems(_report(ADAPTERS, CORE), "gearwork_adapters", "sched", ()) == []
    problems = noxfile._extra_problems(
        _report(ADAPTERS, CORE, ("attrs", "26.1.0", [])), "gearwork-adapters", "tkinter", ()
    )
    assert problems == ["it adds attrs 26.1.0, but the tkinter extra should add nothing"]


def test_an_extra_of_a_framework_adds_it_and_only_what_it_needs(noxfile: ModuleType) -> None:
    trio = ("trio", "0.35.0", ["attrs>=23.2", 'exceptiongroup; python_version < "3.11"'])
    report = _report(ADAPTERS, CORE, trio, ("attrs", "26.1.0", []))
    assert noxfile._extra_problems(report, "gearwork-adapters", "trio", ("trio",)) == []
    # pytest comes with the extra, but trio does not need it.
    report = _report(ADAPTERS, CORE, trio, ("attrs", "26.1.0", []), ("pytest", "9.2.0", []))
    assert noxfile._extra_problems(report, "gearwork-adapters", "trio", ("trio",)) == [
        "it adds pytest 9.2.0, but the trio extra should add trio and what that needs"
    ]
    assert noxfile._extra_problems(
        _report(ADAPTERS, CORE), "gearwork-adapters", "trio", ("trio",)
    ) == ["it does not pull in trio"]


def test_what_a_framework_needs_follows_the_extras_it_is_required_with(
    noxfile: ModuleType,
) -> None:
    kivy = ("kivy", "2.3.1", ["requests[socks]"])
    requests = ("requests", "2.34.2", ['pysocks; extra == "socks"'])
    report = _report(ADAPTERS, CORE, kivy, requests, ("PySocks", "1.7.1", []))
    assert noxfile._extra_problems(report, "gearwork-adapters", "kivy", ("kivy",)) == []


# --------------------------------------------------------------------------- minimums


@pytest.mark.parametrize(
    ("requirement", "lowest"),
    [
        ("gearwork-core>=2.0,<3", "2.0.0"),
        ("trio>=0.27", "0.27.0"),
        ("PySide6-Essentials>=6.8,!=6.12.0", "6.8.0"),
        ("Kivy>=2.3.1", "2.3.1"),
        ('exceptiongroup>=1.2; python_version < "3.11"', "1.2.0"),
        ("attrs~=23.2", "23.2.0"),
        ("attrs==24.1.0.post1", "24.1.0.post1"),
        ("attrs==24.*", "24.0.0"),
        ("sniffio>=1.2,>=1.3.1", "1.3.1"),
        ("outcome>=1.0rc1", "1.0.0rc1"),
    ],
)
def test_the_lower_bound_of_a_requirement_is_its_lowest_version_in_three_parts(
    noxfile: ModuleType, requirement: str, lowest: str
) -> None:
    bound = noxfile._lower_bound(noxfile.Requirement(requirement))
    assert str(bound) == lowest


@pytest.mark.parametrize(
    "requirement", ["trio", "trio<1", "trio>0.27", "trio!=0.27.0", "trio===0.27"]
)
def test_a_requirement_without_a_lower_bound_is_refused_naming_it_and_the_fix(
    noxfile: ModuleType, requirement: str
) -> None:
    with pytest.raises(ValueError, match="no lower bound") as info:
        noxfile._lower_bound(noxfile.Requirement(requirement))
    assert str(info.value).startswith(requirement)
    assert "trio>=X.Y" in str(info.value)


def test_a_requirement_that_excludes_its_own_lower_bound_is_refused(noxfile: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"excludes its own lower bound 6\.8\.0"):
        noxfile._lower_bound(noxfile.Requirement("PySide6-Essentials>=6.8,!=6.8.0"))


def test_the_lowest_version_of_a_name_required_twice_is_the_highest_bound(
    noxfile: ModuleType,
) -> None:
    reqs = [noxfile.Requirement(r) for r in ("gearwork-core>=2.0,<3", "gearwork_Core>=2.1,<3")]
    assert noxfile._lowest_versions(reqs) == {"gearwork-core": noxfile.Version("2.1.0")}
    reqs.append(noxfile.Requirement("gearwork-core>=1.0,<2.1"))
    with pytest.raises(ValueError, match=r"2\.1\.0, the lowest .* excluded by gearwork-core<2\.1"):
        noxfile._lowest_versions(reqs)


def test_the_lowest_pins_keep_their_markers(noxfile: ModuleType) -> None:
    reqs = [
        noxfile.Requirement('exceptiongroup>=1.2; python_version < "3.11"'),
        noxfile.Requirement("trio>=0.27"),
        noxfile.Requirement("Kivy>=2.3.1"),
    ]
    assert noxfile._lowest_pins(reqs) == [
        'exceptiongroup==1.2.0; python_version < "3.11"',
        "kivy==2.3.1",
        "trio==0.27.0",
    ]


def test_the_version_of_an_about_file_is_rewritten_in_place(noxfile: ModuleType) -> None:
    text = '"""About."""\n\n__version__ = "2.3.0"  # read by hatch\nVERSION_INFO = (2, 3)\n'
    assert noxfile._version_in(text) == "2.3.0"
    lowered = noxfile._with_version(text, "2.0.0")
    assert (
        lowered == '"""About."""\n\n__version__ = "2.0.0"  # read by hatch\nVERSION_INFO = (2, 3)\n'
    )
    assert noxfile._with_version("__version__ = '0.1.0'\n", "0.1.1") == "__version__ = '0.1.1'\n"


@pytest.mark.parametrize(
    "text", ["", "version = '1.0'\n", '__version__ = "1.0"\n__version__ = "1.1"\n']
)
def test_an_about_file_that_does_not_set_its_version_once_is_refused(
    noxfile: ModuleType, text: str
) -> None:
    with pytest.raises(ValueError, match="expected one `__version__"):
        noxfile._with_version(text, "2.0.0")


def test_a_rewritten_version_must_be_a_version(noxfile: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"2\.0 final"):
        noxfile._with_version('__version__ = "2.3.0"\n', "2.0 final")


def test_release_tags_name_the_distribution_and_the_version(noxfile: ModuleType) -> None:
    assert noxfile._release_tag("gearwork_Core", noxfile.Version("2.0.0")) == "gearwork-core-v2.0.0"


def test_the_lower_bounds_the_packages_claim_are_all_readable(noxfile: ModuleType) -> None:
    # What the minimums session pins, for every package: none may lack a lower bound.
    for package in noxfile.PACKAGES.values():
        closure = noxfile._closure(package.area)
        noxfile._lowest_versions(r for p in closure for r in p.sibling_requirements)
        noxfile._lowest_pins([*package.requirements, *package.extra_requirements])


def test_the_default_sessions_include_the_minimums(noxfile: ModuleType) -> None:
    # CI runs the defaults (.ci/run runs `nox`): the lower bounds are checked on every run.
    assert "minimums" in noxfile.nox.options.sessions
    assert noxfile.OLDEST_PYTHON == noxfile.PYTHONS[0] == "3.10"
