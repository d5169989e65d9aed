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
def county() -> randcheck.example.ExampleCounty:
    """The bundled example county (示例县): read once, its rosters read-only."""
    return randcheck.example_county()


@pytest.fixture(params=["one thread", "two threads"])
def threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the helper thread off, then forced on (whatever the machine's load)."""
    from randcheck import _parallel

    on = request.param == "two threads"
    monkeypatch.setattr(_parallel, "available_cores", lambda: 2 if on else 1)
    monkeypatch.setattr(_parallel, "_others_running", lambda: 0.0)
    assert (_parallel.helper_thread() is not None) == on
    return str(request.param)
