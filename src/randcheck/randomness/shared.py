"""Sources whose numbers several draws share: the items of a coordinated batch (联合抽查).

In a coordinated batch every item ranks the same targets by the same numbers, so that items
whose samples overlap send inspectors through one door. :class:`CoordinatedSource` is the batch's
source: its ``units`` child is a :class:`SharedUnits`, which computes one number per roster row
once and hands it to every item, and whose ``rounding`` children (:class:`SharedStarts`) give
every item the same rounding starts. With a seed the numbers are, bit for bit, those of the
batch key's ``units`` child: each depends only on the key and the credit code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from randcheck.randomness.keys import LABEL_UNITS
from randcheck.randomness.sources import UniformSource

if TYPE_CHECKING:
    from randcheck.roster import TargetRoster

__all__ = ["CoordinatedSource", "SharedStarts", "SharedUnits"]


def _no_parts(what: str) -> NotImplementedError:
    return NotImplementedError(f"a coordinated batch's {what} is used whole, by one process")


class SharedUnits:
    """The shared ``units`` source of a coordinated batch: one number per roster row, reused.

    With a seed, a row's number is hashed the first time an item needs it. In simulation
    (``verifiable`` False) every row gets one uniform from the inner source at the first request,
    whatever the items' order. ``expect(rows)`` says which rows the next :meth:`uniforms` call
    asks for, so that the ids need no lookup; other requests are looked up with
    ``roster.row_of``. :meth:`iid_generator` is ``None``: a draw asks for every unit's number,
    so each item ranks the rows by the same numbers.
    """

    def __init__(self, inner: UniformSource, roster: TargetRoster) -> None:
        self.inner = inner
        self.path = inner.path
        self.verifiable = inner.verifiable
        self.roster = roster
        n = len(roster)
        self._values = np.zeros(n, dtype=np.float64)
        self._have = np.zeros(n, dtype=bool)
        self._all = False
        self._expected: npt.NDArray[np.intp] | None = None
        self._starts: dict[tuple[str, str], float] = {}
        self._children: dict[str, UniformSource] = {}

    def expect(self, rows: npt.NDArray[np.intp]) -> None:
        self._expected = rows

    def child(self, label: str) -> SharedStarts:
        return SharedStarts(self, label)

    def at(self, path: Sequence[str]) -> UniformSource:
        raise _no_parts("units source")

    def uniform(self, label: str) -> float:
        return self.inner.uniform(label)

    def start(self, child: str, label: str) -> float:
        """The number ``label`` of the child ``child``, computed once for the batch.

        The child is made order-free first: in simulation its numbers then come from one random
        key drawn for the child and hashed with the label, so they do not depend on the order
        items ask for them.
        """
        if (child, label) not in self._starts:
            # Not dict.setdefault: that would make (and spawn) a child on every call.
            if child not in self._children:
                self._children[child] = self.inner.child(child).order_free()
            self._starts[child, label] = self._children[child].uniform(label)
        return self._starts[child, label]

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def iid_generator(self) -> None:
        return None

    def order_free(self) -> SharedUnits:
        return self

    def split(self, n: int) -> list[UniformSource]:
        raise _no_parts("units source")

    def _fill(self, rows: npt.NDArray[np.intp]) -> None:
        if self._all:
            return
        if not self.verifiable:
            self._values[:] = self.inner.uniforms(self.roster.credit_code)
            self._all = True
            return
        missing = rows[~self._have[rows]]
        if missing.size:
            self._values[missing] = self.inner.uniforms(self.roster.credit_code[missing])
            self._have[missing] = True

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        wanted = np.asarray(ids)
        rows = self._expected
        self._expected = None
        if rows is None or not np.array_equal(wanted, self.roster.credit_code[rows]):
            rows = self.roster.row_of(wanted)
            if rows.size and int(rows.min()) < 0:  # an id outside the roster: not cached
                return self.inner.uniforms(wanted)
        self._fill(rows)
        return self._values[rows]


class SharedStarts:
    """A child of :class:`SharedUnits` (``rounding``): its single numbers shared by all items.

    With a seed they are the same for every item by construction; in simulation this makes
    them the same too, as coordination needs. It gives single numbers only.
    """

    def __init__(self, parent: SharedUnits, label: str) -> None:
        self.parent = parent
        self.label = label
        self.path = (*parent.path, label)
        self.verifiable = parent.verifiable

    def child(self, label: str) -> UniformSource:
        raise _no_parts("rounding source")

    def at(self, path: Sequence[str]) -> UniformSource:
        raise _no_parts("rounding source")

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        raise _no_parts("rounding source")

    def uniform(self, label: str) -> float:
        return self.parent.start(self.label, label)

    def describe(self) -> dict[str, Any]:
        return self.parent.inner.child(self.label).describe()

    def iid_generator(self) -> None:
        return None

    def order_free(self) -> SharedStarts:
        return self

    def split(self, n: int) -> list[UniformSource]:
        raise _no_parts("rounding source")


class CoordinatedSource:
    """A batch's source in coordinated mode: its ``units`` child is a :class:`SharedUnits`."""

    def __init__(self, base: UniformSource, roster: TargetRoster) -> None:
        self.base = base
        self.path = base.path
        self.verifiable = base.verifiable
        self.units = SharedUnits(base.child(LABEL_UNITS), roster)

    def child(self, label: str) -> UniformSource:
        return self.units if label == LABEL_UNITS else self.base.child(label)

    def at(self, path: Sequence[str]) -> UniformSource:
        raise _no_parts("source")

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return self.base.uniforms(ids)

    def uniform(self, label: str) -> float:
        return self.base.uniform(label)

    def describe(self) -> dict[str, Any]:
        return self.base.describe()

    def iid_generator(self) -> None:
        return None

    def order_free(self) -> CoordinatedSource:
        return self

    def split(self, n: int) -> list[UniformSource]:
        raise _no_parts("source")
