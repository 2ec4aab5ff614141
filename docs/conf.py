"""Sphinx configuration of the gearwork documentation site (built by `nox -s docs`).

One site for the four distributions. Pages are MyST Markdown; the API reference comes from
the docstrings of the *installed* packages (the docs session installs them non-editable, as
every other session does), so it documents what a user gets from a wheel.
"""

from __future__ import annotations

import builtins
import importlib
import os
import sys
import tempfile
from importlib import metadata
from typing import Any

from sphinx import addnodes
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

logger = logging.getLogger("gearwork-docs")

# autodoc imports gearwork.adapters.kivy, hence Kivy: keep its configuration and logs out of
# the user's ~/.kivy and its log lines out of the build output.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="gearwork-docs-kivy-"))
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

project = "gearwork"
author = "The gearwork developers"
copyright = "the gearwork developers"
release = ", ".join(
    f"{dist} {metadata.version(dist)}"
    for dist in ("gearwork-core", "gearwork-sync", "gearwork-nursery", "gearwork-adapters")
)
version = ""

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# _bench/results.md is included by benchmarks.md, not a page of its own.
exclude_patterns = ["_build", "_bench/*.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Every reference to a gearwork name must resolve. References to the standard library and
# to the frameworks (asyncio, trio, PySide6, pygame, tkinter) cannot: the build runs
# without network, so there is no intersphinx inventory to resolve them against.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(typing|typing_extensions|collections|collections\.abc|types|enum|abc)\..*"),
    (r"py:.*", r"(asyncio|trio|concurrent|threading|sched|contextvars|socket)(\..*)?"),
    (r"py:.*", r"(PySide6|pygame|tkinter|_tkinter|outcome|sniffio|kivy)(\..*)?"),
    # Kivy's classes as its docstrings and signatures name them (Kivy has no inventory here).
    (r"py:class", r"(Widget|MotionEvent|EventDispatcher|App)"),
    (r"py:class", r"(Any|Callable|Awaitable|Coroutine|Generator|Iterator|Iterable)"),
    (r"py:class", r"(AsyncIterator|AsyncIterable|AsyncGenerator|Mapping|Sequence)"),
    (r"py:class", r"(Hashable|Self|TypeAlias|ParamSpec|TypeVar|Never|NoReturn)"),
    (r"py:class", r"(Generic|Protocol|Literal|Concatenate|TracebackType|CoroutineType)"),
    # Type variables and parameter specifications of gearwork's generic signatures.
    (r"py:class", r"(gearwork\.[\w.]+\.)?_?[A-Z]\w{0,3}(_co|_contra)?"),
    (r"py:class", r"(gearwork\.[\w.]+\.)?_?[PT]_?\w*"),
    (r"py:(class|exc|obj)", r"(BaseExceptionGroup|ExceptionGroup|Ellipsis|NotImplemented)"),
    (r"py:class", r"builtins\..*"),
    (r"py:class", r"exceptiongroup\..*"),
    (r"py:(class|obj|func|mod|meth|attr|data)", r"(time|sys|contextlib|bisect|heapq|_asyncio)\..*"),
    (r"py:(class|obj|mod)", r"(deque|Context|FrameType|QDialog|QObject|QWidget|bisect|heapq)"),
    # Private helpers that appear in signatures and bases (_Waiters, _Block, ...).
    (r"py:(class|obj)", r"([\w.]+\.)?_\w+"),
    # A private alias of gearwork-nursery's signatures: an awaitable or a Task.
    (r"py:class", r"AwaitableOrTask"),
]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
# `await task` is how most programs use a Task: its rules belong in the reference.
autodoc_default_options = {"members": True, "undoc-members": True, "special-members": "__await__"}
autoclass_content = "class"
napoleon_google_docstring = False
napoleon_numpy_docstring = False

# Only the examples written on the pages are doctested here (``{doctest}`` blocks); the
# examples inside the docstrings are the packages' own doctests, run by `nox -s tests`.
doctest_test_doctest_blocks = ""
doctest_global_setup = ""

html_theme = "furo"
html_title = "gearwork"
html_static_path = ["_static"]
html_show_sourcelink = False
html_domain_indices = False  # one module index page that nothing links to; the search finds modules
html_theme_options = {
    "source_repository": "https://github.com/gearwork/gearwork",
    "source_branch": "main",
    "source_directory": "docs/",
}
pygments_style = "sphinx"
pygments_dark_style = "monokai"


def _resolve_short_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a docstring's short reference (``Cancelled``, ``Task.throw``) to gearwork's name.

    The implementation modules are private (gearwork.core._task), so a docstring written in
    one of them says ``:class:`Cancelled``` where the reference page documents
    gearwork.core.Cancelled. The one documented gearwork object whose name ends with the
    target is taken; among several, the one nearest to where the reference is written
    (most leading parts shared with its module and class). No match or a tie: the warning
    stands.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip(".~")
    objects = env.get_domain("py").objects
    found = [
        name
        for name, entry in objects.items()
        if name.startswith("gearwork.")
        and not entry.aliased
        and (name == target or name.endswith("." + target))
    ]
    if not found:
        return None
    here = ".".join(p for p in (node.get("py:module"), node.get("py:class")) if p)

    def nearness(name: str) -> int:  # how many leading dotted parts it shares with `here`
        shared = 0
        for mine, theirs in zip(name.split("."), here.split("."), strict=False):
            if mine != theirs:
                break
            shared += 1
        return shared

    best = max(nearness(name) for name in found)
    found = [name for name in found if nearness(name) == best]
    if len(found) != 1:
        return None
    entry = objects[found[0]]
    return make_refnode(
        app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, found[0]
    )


def _builtins_are_builtins(app: Any, doctree: Any) -> None:
    """Keep ``set`` in a signature from linking to ``Event.set``.

    Sphinx searches the names in signatures by their ending, so ``set[Task[T]]`` would find
    every documented method called ``set``. A builtin name is looked up as itself only.
    """
    for node in doctree.findall(addnodes.pending_xref):
        if (
            node.get("refdomain") == "py"
            and node.get("reftarget") in vars(builtins)
            and node.hasattr("refspecific")
        ):
            del node["refspecific"]


def _data_docstring(
    app: Any, what: str, name: str, obj: object, options: Any, lines: list[str]
) -> None:
    """The docstring of a constant or type alias re-exported from a private module.

    autodoc reads a data member's docstring from the source of the module it documents;
    gearwork defines its constants (RESUME_DEPTH_LIMIT, FIRST_COMPLETED, ...) in private
    modules and re-exports them, so look for the docstring in the modules of that package.
    Without one, show none (rather than the docstring of ``int`` or ``str``).
    """
    if what not in ("data", "attribute") or not name.startswith("gearwork."):
        return
    module, _, attr = name.rpartition(".")
    if module not in sys.modules:
        return  # an attribute of a class: autodoc found its docstring itself
    package = module if module.count(".") < 2 or "adapters" in module else module.rpartition(".")[0]
    if package.endswith(".lowlevel"):
        package = package.rpartition(".")[0]
    for candidate in sorted(sys.modules):
        if candidate != package and not candidate.startswith(package + "."):
            continue
        try:
            docs = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        except PycodeError:
            continue
        if ("", attr) in docs:
            lines[:] = list(docs["", attr])
            return
    if getattr(obj, "__doc__", None) == getattr(type(obj), "__doc__", None):
        lines[:] = []


# Modules whose whole __all__ the reference documents: a public name missing from the site
# fails the build.
DOCUMENTED_MODULES = (
    "gearwork.core",
    "gearwork.core.lowlevel",
    "gearwork.sync",
    "gearwork.nursery",
    "gearwork.adapters.timing",
    "gearwork.adapters.clock",
    "gearwork.adapters.sched",
    "gearwork.adapters.asyncio",
    "gearwork.adapters.trio",
    "gearwork.adapters.stats",
    "gearwork.adapters.tkinter",
    "gearwork.adapters.pygame",
    "gearwork.adapters.qt",
    "gearwork.adapters.kivy",
)


def _every_public_name_documented(app: Any, env: Any) -> None:
    objects = env.get_domain("py").objects
    for module in DOCUMENTED_MODULES:
        for name in importlib.import_module(module).__all__:
            if name != "__version__" and f"{module}.{name}" not in objects:
                logger.warning("%s.%s is public but not in the API reference", module, name)


def setup(app: Any) -> None:
    app.connect("missing-reference", _resolve_short_name)
    app.connect("doctree-read", _builtins_are_builtins)
    app.connect("autodoc-process-docstring", _data_docstring)
    app.connect("env-check-consistency", _every_public_name_documented)
