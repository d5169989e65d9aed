"""Deprecated alias of :mod:`randcheck.results.revisits` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.results.revisits"
__getattr__ = moved_module("randcheck.revisits", _NEW)
