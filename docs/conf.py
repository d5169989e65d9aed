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
