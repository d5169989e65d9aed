"""Deprecated alias of :mod:`randcheck.randomness.seeds` (removed in 0.2.0)."""

import importlib
import warnings
from typing import Any

_NEW = "randcheck.randomness.seeds"


def __getattr__(name: str) -> Any:
    module = importlib.import_module(_NEW)
    if name not in module.__all__:  # dunders and tools' probes (doctest, pytest) are not moved
        raise AttributeError(f"module 'randcheck.seeds' has no attribute {name!r}")
    warnings.warn(
        f"randcheck.seeds is deprecated: import {name} from {_NEW} (removed in randcheck 0.2.0)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(module, name)
