"""Deprecated alias of :mod:`randcheck.results` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.results"
__getattr__ = moved_module("randcheck.figures", _NEW)
