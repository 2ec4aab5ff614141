"""Every public module of gearwork-adapters lists exactly its public names in a tuple __all__."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib import metadata

import pytest

import gearwork.adapters

PUBLIC = {
    "gearwork.adapters.timing": {
        "ALL_COMPLETED",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "DeadlineScope",
        "Host",
        "Monitor",
        "Periodic",
        "ReturnWhen",
        "TimerHandle",
        "Timing",
        "__version__",
        "check_host",
        "fail_after",
        "fail_at",
        "move_on_after",
        "move_on_at",
        "periodic",
        "run_in_thread",
        "sleep",
        "sleep_until",
        "wait",
    },
    "gearwork.adapters.clock": {"Clock", "FixedTimestep", "Interpolation", "easing"},
    "gearwork.adapters.clock.easing": {
        "in_cubic",
        "in_out_cubic",
        "in_out_quad",
        "in_out_sine",
        "in_quad",
        "in_sine",
        "linear",
        "out_bounce",
        "out_cubic",
        "out_quad",
        "out_sine",
    },
    "gearwork.adapters.sched": {"SchedHost", "run"},
    "gearwork.adapters.pygame": {"DrawHandle", "EventStream", "Handler", "PygameHost", "run"},
    "gearwork.adapters.tkinter": {
        "EventStream",
        "TkHost",
        "event",
        "events",
        "run",
        "unbind",
        "wait_destroyed",
    },
    "gearwork.adapters.kivy": {
        "EventStream",
        "KivyHost",
        "TouchMoves",
        "report_exception",
        "run",
        "wait_event",
    },
    "gearwork.adapters.qt": {
        "QtHost",
        "SignalStream",
        "open_dialog",
        "report_exception",
        "run",
        "wait_signal",
    },
}


def _public_modules() -> list[str]:
    """Every module under gearwork.adapters whose dotted path has no private part."""
    found = []
    for info in pkgutil.walk_packages(gearwork.adapters.__path__, "gearwork.adapters."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


MODULES = _public_modules()


def test_the_adapters_of_this_helper_are_all_found() -> None:
    assert set(PUBLIC) <= set(MODULES)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all_is_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__ == tuple(module.__all__)
    assert set(module.__all__) == PUBLIC[name]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_a_tuple_of_names_that_exist_without_duplicates(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert isinstance(names, tuple)
    assert len(set(names)) == len(names)
    for attr in names:
        assert hasattr(module, attr), f"{name}.{attr} is listed but missing"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_is_listed(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_") and attr != "annotations" and not inspect.ismodule(value)
    }
    assert public <= set(module.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_public_classes_say_they_live_in_a_public_module(name: str) -> None:
    # A class may be re-exported from another public module (trio's TaskStats is
    # gearwork.adapters.stats.TaskStats), never named after a private one.
    module = importlib.import_module(name)
    for attr in module.__all__:
        value = getattr(module, attr)
        if inspect.isclass(value) and value.__module__.startswith("gearwork.adapters"):
            home = value.__module__
            assert not any(p.startswith("_") for p in home.split(".")), f"{name}.{attr}: {home}"
            if name in PUBLIC:
                assert home == name, f"{name}.{attr} says {home}"


def test_the_version_is_the_one_of_the_distribution() -> None:
    timing = importlib.import_module("gearwork.adapters.timing")
    about = importlib.import_module("gearwork.adapters.timing.__about__")
    assert timing.__version__ == about.__version__ == metadata.version("gearwork-adapters")


def test_gearwork_and_gearwork_adapters_are_namespace_packages() -> None:
    import gearwork

    assert getattr(gearwork, "__file__", None) is None
    assert getattr(gearwork.adapters, "__file__", None) is None
