"""Test configuration: makes ``tests/`` importable, so tests can ``from strategies import ...``.

pytest runs with ``--import-mode=importlib``, which does not put the tests directory on
``sys.path``; the shared hypothesis strategies live in ``tests/strategies.py``.
"""

from __future__ import annotations

import pathlib
import sys

_TESTS = str(pathlib.Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
