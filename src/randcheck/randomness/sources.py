"""The sources of randomness: one :class:`UniformSource` protocol, two sources.

:class:`HashSource` gives the verifiable numbers of an official draw (recipe ``randcheck-prn/2``,
:mod:`randcheck.randomness.keys`); :class:`GeneratorSource` gives a simulation's numbers from a
numpy ``Generator``. The designs ask a source only through the protocol: no design looks at which
kind it holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from randcheck.errors import PlanError
from randcheck.randomness.keys import (
    PRN_RECIPE,
    Floats,
    check_path,
    child_key,
    hash_each,
    hash_uniforms,
    normalise_seed,
    root_key,
    uniform_reference,
)

__all__ = ["GeneratorSource", "HashSource", "UniformSource", "source_for"]


SIMULATION = "numpy-generator (simulation; not publicly verifiable)"


class UniformSource(Protocol):
    """Everything a design asks of a source of randomness.

    A source is a node of a key tree: :meth:`child` and :meth:`at` walk down it, :meth:`uniform`
    gives one number for a label (a rounding start) and :meth:`uniforms` one number per unit.
    ``verifiable`` says whether a third party can recompute the numbers from a public seed.
    The three last methods let a design use a simulation's speed without asking which kind of
    source it holds.
    """

    verifiable: bool
    path: tuple[str, ...]

    def child(self, label: str) -> UniformSource:
        """The source of a stage, item or batch labelled ``label``."""
        ...

    def at(self, path: Sequence[str]) -> UniformSource:
        """The source ``path`` (a sequence of labels) below this one."""
        ...

    def uniform(self, label: str) -> float:
        """One number in [0, 1) for ``label`` (e.g. the random start of a rounding)."""
        ...

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        """One uniform number in [0, 1) per id, aligned with ``ids``."""
        ...

    def describe(self) -> dict[str, Any]:
        """What a receipt records about this source: recipe, seed and path."""
        ...

    def iid_generator(self) -> np.random.Generator | None:
        """A ``Generator`` whose i.i.d. numbers may stand in for the per-unit numbers, or ``None``.

        ``None`` means every unit's number must come from :meth:`uniforms` (an official draw,
        or numbers shared between the items of a coordinated batch).
        """
        ...

    def order_free(self) -> UniformSource:
        """A source whose :meth:`uniform` depends on the label only, not on the calls before."""
        ...

    def split(self, n: int) -> list[UniformSource]:
        """``n`` sources for the ``n`` parts of a draw done in parts (on a cluster).

        A keyed source is the same in every part (a unit's number depends on its id only); a
        generator is split into ``n`` independent streams, spawned in order.
        """
        ...


_S = TypeVar("_S", "HashSource", "GeneratorSource")


def _descend(source: _S, path: Sequence[str]) -> _S:
    """The source ``path`` below ``source``: one :meth:`child` per label, in order."""
    out = source
    for label in check_path(path):
        out = out.child(label)
    return out


class HashSource:
    """Numbers from a 32-byte key through the ``randcheck-prn/2`` recipe.

    From a public seed (:meth:`from_seed`) they are verifiable: anyone can recompute them. A
    simulation may also key one with random bytes (``verifiable=False``) when it needs numbers
    that do not depend on the order they are asked for (:meth:`GeneratorSource.order_free`).

    Examples
    --------
    >>> from randcheck.randomness import HashSource
    >>> src = HashSource.from_seed("2023-1107").child("units")
    >>> u = src.uniforms(np.array([b"91350100M000100Y43"]))
    >>> float(u[0]) == uniform_reference(src.key, "91350100M000100Y43")
    True
    """

    def __init__(
        self,
        key: bytes,
        path: tuple[str, ...] = (),
        seed: str | None = None,
        *,
        verifiable: bool = True,
    ) -> None:
        self.key = key
        self.path = path
        self.seed = seed
        self.verifiable = verifiable

    @classmethod
    def from_seed(cls, seed: str) -> HashSource:
        """The root source of a public seed."""
        text = normalise_seed(seed)
        return cls(root_key(text), (), text)

    def child(self, label: str) -> HashSource:
        return HashSource(
            child_key(self.key, label),
            (*self.path, label),
            self.seed,
            verifiable=self.verifiable,
        )

    def at(self, path: Sequence[str]) -> HashSource:
        return _descend(self, path)

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        arr = np.asarray(ids)
        if arr.dtype.kind == "S":
            return hash_uniforms(self.key, arr)
        raw = [str(v).encode("utf-8") for v in arr.tolist()]
        if any(r.endswith(b"\x00") for r in raw):
            return hash_each(self.key, raw)
        return hash_uniforms(self.key, np.array(raw or [b""], dtype=np.bytes_)[: len(raw)])

    def uniform(self, label: str) -> float:
        return uniform_reference(self.key, label)

    def describe(self) -> dict[str, Any]:
        recipe = PRN_RECIPE if self.verifiable else SIMULATION
        return {"recipe": recipe, "seed": self.seed, "path": list(self.path)}

    def iid_generator(self) -> None:
        return None

    def order_free(self) -> HashSource:
        return self

    def split(self, n: int) -> list[UniformSource]:
        return [self] * n


class GeneratorSource:
    """Simulation numbers from a numpy ``Generator``: fast, not publicly verifiable.

    Each call of :meth:`uniforms` draws fresh numbers; each :meth:`child` is an independent
    stream spawned from the parent (``Generator.spawn``), never ``seed + i``.
    """

    verifiable = False

    def __init__(self, rng: np.random.Generator, path: tuple[str, ...] = ()) -> None:
        self.rng = rng
        self.path = path

    def child(self, label: str) -> GeneratorSource:
        return GeneratorSource(self.rng.spawn(1)[0], (*self.path, label))

    def at(self, path: Sequence[str]) -> GeneratorSource:
        return _descend(self, path)

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        return np.asarray(self.rng.random(np.shape(ids)[0]), dtype=np.float64)

    def uniform(self, label: str) -> float:
        return float(self.rng.random())

    def describe(self) -> dict[str, Any]:
        return {"recipe": SIMULATION, "seed": None, "path": list(self.path)}

    def iid_generator(self) -> np.random.Generator:
        return self.rng

    def order_free(self) -> HashSource:
        # One random key, then numbers hashed from it with their label.
        return HashSource(self.rng.bytes(32), self.path, None, verifiable=False)

    def split(self, n: int) -> list[UniformSource]:
        return [GeneratorSource(g, self.path) for g in self.rng.spawn(n)]


def source_for(seed: str | None, rng: Any) -> UniformSource:
    """The source for ``seed=`` (official) or ``rng=`` (simulation); exactly one must be given.

    ``rng`` may be anything :func:`numpy.random.default_rng` accepts.

    Raises
    ------
    PlanError
        If both or neither are given.
    """
    if (seed is None) == (rng is None):
        raise PlanError(
            "give exactly one of seed= (an official, publicly verifiable draw) or rng= "
            "(a simulation)"
        )
    if seed is not None:
        return HashSource.from_seed(seed)
    return GeneratorSource(np.random.default_rng(rng))
