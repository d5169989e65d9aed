"""Deprecated alias of :mod:`randcheck.calendar.deadlines` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.calendar.deadlines"
__getattr__ = moved_module("randcheck.deadlines", _NEW)
