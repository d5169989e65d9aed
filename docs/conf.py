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
