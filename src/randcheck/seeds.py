"""Deprecated alias of :mod:`randcheck.randomness.seeds` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.randomness.seeds"
__getattr__ = moved_module("randcheck.seeds", _NEW)
