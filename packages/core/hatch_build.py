"""Hatchling build hook: compile gearwork.core._speedups into the wheel, when it can.

The accelerator is optional. The wheel gets it, and becomes a platform wheel
(``cp311-cp311-linux_x86_64``, say), when the interpreter building it is CPython
and a C compiler is at hand. Otherwise the wheel stays pure Python
(``py3-none-any``) and gearwork-core runs its pure-Python code, which behaves the
same; the build prints why. Two environment variables steer it:

``GEARWORK_PURE_PYTHON=1``
    do not compile: build the pure-Python wheel (the fallback wheel of a release);
``GEARWORK_REQUIRE_SPEEDUPS=1``
    fail the build instead of falling back (the release builds and CI use it, so
    that a broken compiler cannot quietly ship a slower wheel).

Editable installs are pure Python. Compiling uses setuptools' ``build_ext``
(the hook's one build dependency), which finds the compiler and flags the
interpreter was built with.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = "src/gearwork/core/_speedups.c"
MODULE = "gearwork.core._speedups"


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


class SpeedupsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if _flag("GEARWORK_PURE_PYTHON"):
            self.app.display_info("gearwork-core: GEARWORK_PURE_PYTHON is set: a pure-Python wheel")
            return
        if platform.python_implementation() != "CPython":
            why = f"{platform.python_implementation()} is not CPython"
            self._fall_back(why)
            return
        self._temp = Path(tempfile.mkdtemp(prefix="gearwork-speedups-"))
        try:
            built = self._compile(self._temp)
        except Exception as exc:  # a missing compiler or headers: fall back, saying why
            self._fall_back(f"{type(exc).__name__}: {exc}")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["force_include"][str(built)] = f"gearwork/core/{built.name}"
        self.app.display_info(f"gearwork-core: compiled {MODULE} ({built.name})")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        temp = getattr(self, "_temp", None)
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)

    def _fall_back(self, why: str) -> None:
        if _flag("GEARWORK_REQUIRE_SPEEDUPS"):
            raise RuntimeError(
                f"gearwork-core: cannot compile {MODULE} ({why}), and GEARWORK_REQUIRE_SPEEDUPS "
                "is set; unset it to build the pure-Python wheel"
            )
        self.app.display_warning(
            f"gearwork-core: {MODULE} not compiled ({why}); the wheel is pure Python, which "
            "behaves the same, only slower"
        )

    def _compile(self, temp: Path) -> Path:
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext

        extension = Extension(MODULE, sources=[SOURCE])
        distribution = Distribution({"name": "gearwork-core", "ext_modules": [extension]})
        command = build_ext(distribution)
        command.build_lib = str(temp / "lib")
        command.build_temp = str(temp / "obj")
        command.ensure_finalized()
        here = os.getcwd()
        os.chdir(self.root)  # setuptools wants the source path relative to the project
        try:
            command.run()
        finally:
            os.chdir(here)
        (output,) = command.get_outputs()
        built = Path(output)
        if not built.is_file():
            raise FileNotFoundError(f"build_ext reported {built}, which does not exist")
        return built
