"""Deprecated alias of :mod:`randcheck.models` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.models"
__getattr__ = moved_module("randcheck.visits", _NEW)
