"""Each framework is an extra named after its subpackage; a missing framework is named."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

import gearwork.adapters

# Subpackages that are not a framework's adapter, and so have no extra of their own.
NOT_FRAMEWORKS = {"timing", "stats"}
NEEDS_NOTHING = {"asyncio", "clock", "sched", "tkinter"}


def _extras() -> dict[str, list[str]]:
    """extra -> the requirements it adds, from the installed distribution's metadata."""
    extras: dict[str, list[str]] = {
        name: [] for name in metadata.metadata("gearwork-adapters").get_all("Provides-Extra") or []
    }
    for req in metadata.requires("gearwork-adapters") or []:
        if "extra ==" in req:
            name = req.split("extra ==")[1].strip().strip("\"'")
            extras[name].append(req.split(";")[0].strip())
    return extras


SUBPACKAGES = {info.name for info in pkgutil.iter_modules(gearwork.adapters.__path__)}


def test_every_extra_is_a_subpackage_and_every_framework_has_an_extra() -> None:
    extras = set(_extras())
    assert extras <= SUBPACKAGES
    assert SUBPACKAGES - extras <= NOT_FRAMEWORKS


def test_standard_library_frameworks_pull_nothing() -> None:
    extras = _extras()
    for name in NEEDS_NOTHING:
        assert extras[name] == [], name


def test_the_pygame_extra_pulls_pygame_ce() -> None:
    assert any(req.replace(" ", "").startswith("pygame-ce>=2.5") for req in _extras()["pygame"])


def test_the_trio_extra_pulls_trio() -> None:
    assert any(req.replace(" ", "").startswith("trio>=0.27") for req in _extras()["trio"])


def test_the_qt_extra_pulls_pyside6_without_the_release_that_crashes_310_and_311() -> None:
    (req,) = _extras()["qt"]
    assert req.replace(" ", "").lower().startswith("pyside6-essentials")
    assert "!=6.12.0" in req.replace(" ", "")


def test_the_kivy_extra_pulls_kivy_2_3_1_or_newer() -> None:
    (req,) = _extras()["kivy"]
    assert req.replace(" ", "").lower().startswith("kivy>=2.3.1")


@pytest.mark.parametrize(
    ("framework", "module"),
    [
        ("kivy", "kivy"),
        ("pygame", "pygame"),
        ("qt", "PySide6"),
        ("tkinter", "tkinter"),
        ("trio", "trio"),
    ],
)
def test_importing_an_adapter_whose_framework_is_missing_names_the_extra(
    framework: str, module: str
) -> None:
    # In a fresh interpreter, with the framework's import blocked (None in sys.modules).
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules[{module!r}] = None
        try:
            import gearwork.adapters.{framework}
        except ImportError as exc:
            print(exc)
        else:
            print("imported")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert f"pip install gearwork-adapters[{framework}]" in out


@pytest.mark.parametrize("name", sorted(NEEDS_NOTHING | {"timing"}))
def test_adapters_of_the_standard_library_import_without_any_third_party_framework(
    name: str,
) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["trio"] = None
        import gearwork.adapters.{name}
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "ok"
