"""Sphinx configuration for randcheck's documentation."""

from __future__ import annotations

import randcheck

project = "randcheck"
author = "randcheck developers"
release = randcheck.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
]

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
nitpicky = False
language = "en"
html_theme = "alabaster"
html_static_path: list[str] = []
exclude_patterns = ["_build", "_generated"]  # included by benchmarks.rst, not pages
intersphinx_mapping: dict[str, tuple[str, None]] = {}
doctest_global_setup = """
import datetime
import numpy as np
import randcheck
from randcheck import *
"""
# (no suppress_warnings: a renamed autodoc path must fail the build)


def _write_recipes_table() -> None:
    """Write ``_generated/recipes.rst`` (included by reference/recipes.rst) from the registry
    :mod:`randcheck.recipes`, so the page cannot drift from the code."""
    import pathlib
    import re

    from randcheck.recipes import RECIPES, RETIRED_RECIPES

    def rows(table: dict[str, str], with_module: bool) -> list[str]:
        out = []
        for name in sorted(table):
            line = table[name]
            found = re.search(r"; in `([\w.]+)`$", line)
            what = line[: found.start()] if found and with_module else line
            out += [f"   * - ``{name}``", f"     - {what[0].upper()}{what[1:]}."]
            if with_module:
                out.append(f"     - :mod:`{found.group(1)}`" if found else "     -")
        return out

    text = [
        ".. list-table:: Frozen recipes",
        "   :header-rows: 1",
        "   :widths: 22 58 20",
        "",
        "   * - recipe",
        "     - what it fixes",
        "     - its bytes are made in",
        *rows(dict(RECIPES), with_module=True),
        "",
        ".. list-table:: Retired before any release",
        "   :header-rows: 1",
        "   :widths: 22 78",
        "",
        "   * - recipe",
        "     - why it was retired",
        *rows(dict(RETIRED_RECIPES), with_module=False),
        "",
    ]
    out = pathlib.Path(__file__).parent / "_generated" / "recipes.rst"
    out.parent.mkdir(exist_ok=True)
    content = "\n".join(text)
    if not out.is_file() or out.read_text(encoding="utf-8") != content:
        out.write_text(content, encoding="utf-8")


_write_recipes_table()


# --- cross-references through the paths users import from --------------------------------------
# Autodoc files each object under the module that documents it (``randcheck.roster.tables.
# TargetRoster``), while the docs, like users, write ``randcheck.TargetRoster`` or
# ``randcheck.results.RevisitReceipt``. A reference that does not resolve as written is imported,
# and resolved again under the documented name of the same object.
_DOCUMENTED: dict[int, str] = {}


def _import_path(path: str) -> object | None:
    import importlib

    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _resolve_moved(app, env, node, contnode):  # type: ignore[no-untyped-def]
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or not target.startswith("randcheck"):
        return None
    domain = env.get_domain("py")
    if not _DOCUMENTED:
        for name, *_ in domain.get_objects():
            if name.startswith("randcheck"):
                obj = _import_path(name)
                if obj is not None and not isinstance(obj, (int, float, bool)):
                    _DOCUMENTED.setdefault(id(obj), name)
    parts = target.split(".")
    for cut in range(len(parts), 1, -1):  # the object, or the class of a method
        obj = _import_path(".".join(parts[:cut]))
        documented = _DOCUMENTED.get(id(obj)) if obj is not None else None
        if documented is None:
            continue
        name = ".".join([documented, *parts[cut:]])
        if name == target:
            return None
        return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", name, node, contnode)
    return None


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("missing-reference", _resolve_moved)
