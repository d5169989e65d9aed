"""Deprecated alias of :mod:`randcheck.roster.credit_code` (removed in 0.2.0)."""

from randcheck._moved import moved_module

_NEW = "randcheck.roster.credit_code"
__getattr__ = moved_module("randcheck.credit_code", _NEW)
