"""Test configuration: makes ``tests/`` importable, so tests can ``from strategies import ...``
(and ``_helpers``), and holds the fixtures many files share.

pytest runs with ``--import-mode=importlib``, which does not put the tests directory on
``sys.path``; the shared hypothesis strategies live in ``tests/strategies.py``.
"""

from __future__ import annotations

import pathlib
import sys

_TESTS = str(pathlib.Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

# Hypothesis: the same examples on every run (CI must not depend on luck); the examples it has
# found before are still replayed from its database on a developer's machine. No deadline: the
# tests assert no timings, and on a loaded machine an example's first run (caches, lazy
# imports) can take longer than hypothesis' default 200 ms and fail a correct test.
from hypothesis import settings  # noqa: E402

settings.register_profile("randcheck", derandomize=True, print_blob=True, deadline=None)
settings.load_profile("randcheck")


import pytest  # noqa: E402

import randcheck  # noqa: E402


@pytest.fixture(scope="session")
def county() -> randcheck.ExampleCounty:
    """The bundled example county (示例县): read once, its rosters read-only."""
    return randcheck.example_county()
