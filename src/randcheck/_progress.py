"""Progress reports for long operations (``progress=``): a tqdm bar, or the caller's callback.

``progress`` may be ``None`` or ``False`` (no report), ``True`` (a tqdm bar on standard error when
tqdm is installed, else nothing), or a callable ``progress(done, total)`` called with the units of
work done so far (rows hashed, for instance) each time a piece of work finishes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

ProgressArg: TypeAlias = "bool | Callable[[int, int], Any] | None"

__all__ = ["ProgressArg", "Reporter"]


class Reporter:
    """Counts units of work done and passes them on to a bar or a callback."""

    def __init__(self, progress: ProgressArg, total: int, what: str, unit: str = "rows") -> None:
        self.total = int(total)
        self.done = 0
        self._callback: Callable[[int, int], Any] | None = None
        self._bar: Any = None
        if callable(progress):
            self._callback = progress
        elif progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                return
            self._bar = tqdm(total=self.total, desc=what, unit=unit, unit_scale=True, leave=False)
        elif progress not in (None, False):
            raise TypeError(
                f"progress: True, False, None or a callable progress(done, total), got {progress!r}"
            )

    def advance(self, units: int) -> None:
        """Record ``units`` more units of work done."""
        self.done += int(units)
        if self._callback is not None:
            self._callback(self.done, self.total)
        if self._bar is not None:
            self._bar.update(int(units))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
