"""Where every random number in randcheck comes from.

Official draws take a public ``seed`` (a string: lottery numbers, dice rolled in public, a beacon
value) and derive every number from it with SHA-256, so that anyone can recompute a draw on any
machine, years later, with nothing but Python's standard library. Simulations take a numpy
``Generator`` instead: fast, the same designs, but not publicly verifiable.

.. rubric:: The recipe ``randcheck-prn/1`` (published; later versions keep it under this name)

1. **Root key.** ``K = SHA-256(b"randcheck-prn/1" + b"\\x00" + seed)``, where ``seed`` is the
   UTF-8 encoding of the seed string with leading and trailing white space removed.
2. **Child keys.** A stage, item or batch gets ``child(K, label) = SHA-256(K + b"\\x00" +
   label)`` with ``label`` UTF-8 encoded, for example ``"targets"``, ``"item/SW-02"``,
   ``"rounding"``, ``"matching"``. Grandchildren repeat the rule. No key is ever derived
   from ``seed + 1`` or a counter.
3. **A unit's number.** For a key ``k`` (32 bytes) and a unit id (a credit code in ASCII, or any
   UTF-8 label), ``d = SHA-256(k + id)``; the first 8 bytes of ``d`` read as a big-endian
   unsigned integer, shifted right by 11 bits, give an integer ``t`` in ``[0, 2⁵³)``; the
   unit's uniform number is ``u = t / 2⁵³``, exactly representable as a float64.

A unit's number therefore depends only on the seed, the labels on the path and its own id: not on
row order, on other units, on numpy's version or on the platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from randcheck.errors import PlanError

__all__ = [
    "PRN_RECIPE",
    "GeneratorSource",
    "HashSource",
    "UniformSource",
    "child_key",
    "root_key",
    "source_for",
    "uniform_reference",
]

PRN_RECIPE = "randcheck-prn/1"
_SCALE = 2.0**-53

Floats: TypeAlias = npt.NDArray[np.float64]


def normalise_seed(seed: object) -> str:
    """The seed as used by the recipe: a non-empty string, surrounding white space removed.

    Raises
    ------
    PlanError
        If the seed is not a string or is empty.
    """
    if not isinstance(seed, str):
        raise PlanError(
            f"seed: an official draw needs the public seed as a string (e.g. '20231107-0815'), "
            f"got {type(seed).__name__}; for a simulation pass rng= instead"
        )
    text = seed.strip()
    if not text:
        raise PlanError("seed: the public seed is empty; publish a non-empty seed first")
    return text


def root_key(seed: str) -> bytes:
    """Step 1 of the recipe: the 32-byte root key of a public seed.

    Examples
    --------
    >>> root_key("2023-1107").hex()[:16]
    '4e9597b2c05df82c'
    """
    text = normalise_seed(seed)
    return hashlib.sha256(PRN_RECIPE.encode() + b"\x00" + text.encode("utf-8")).digest()


def child_key(key: bytes, label: str) -> bytes:
    """Step 2 of the recipe: the key of a stage, item or batch labelled ``label``."""
    return hashlib.sha256(key + b"\x00" + label.encode("utf-8")).digest()


def uniform_reference(key: bytes, unit_id: str) -> float:
    """Step 3 of the recipe for one unit, in plain Python (the reference the fast path matches).

    Examples
    --------
    >>> k = child_key(root_key("2023-1107"), "targets")
    >>> uniform_reference(k, "91350100M000100Y43")  # doctest: +ELLIPSIS
    0.4877321863170...
    """
    digest = hashlib.sha256(key + unit_id.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) * _SCALE


def _hash_uniforms(key: bytes, ids: Iterable[bytes], n: int) -> Floats:
    sha = hashlib.sha256
    raw = b"".join([sha(key + i).digest()[:8] for i in ids])
    ints = np.frombuffer(raw, dtype=">u8", count=n).astype(np.uint64) >> np.uint64(11)
    return ints.astype(np.float64) * _SCALE


def _id_bytes(ids: npt.ArrayLike | Sequence[str]) -> list[bytes]:
    arr = np.asarray(ids)
    if arr.dtype.kind == "S":
        return arr.tolist()  # type: ignore[no-any-return]
    return [str(v).encode("utf-8") for v in arr.tolist()]


class UniformSource(Protocol):
    """What the designs ask of a source of randomness: numbers per unit, and child sources.

    ``verifiable`` says whether a third party can recompute the numbers from a public seed.
    """

    verifiable: bool

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        """One uniform number in [0, 1) per id, aligned with ``ids``."""
        ...

    def child(self, label: str) -> UniformSource:
        """The source of a stage, item or batch labelled ``label``."""
        ...

    def describe(self) -> dict[str, Any]:
        """What a receipt records about this source."""
        ...


class HashSource:
    """Verifiable numbers from a public seed through the ``randcheck-prn/1`` recipe.

    Examples
    --------
    >>> src = HashSource.from_seed("2023-1107").child("targets")
    >>> u = src.uniforms(np.array([b"91350100M000100Y43"]))
    >>> float(u[0]) == uniform_reference(src.key, "91350100M000100Y43")
    True
    """

    verifiable = True

    def __init__(self, key: bytes, path: tuple[str, ...] = (), seed: str | None = None) -> None:
        self.key = key
        self.path = path
        self.seed = seed

    @classmethod
    def from_seed(cls, seed: str) -> HashSource:
        """The root source of a public seed."""
        text = normalise_seed(seed)
        return cls(root_key(text), (), text)

    def child(self, label: str) -> HashSource:
        return HashSource(child_key(self.key, label), (*self.path, label), self.seed)

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        id_list = _id_bytes(ids)
        return _hash_uniforms(self.key, id_list, len(id_list))

    def uniform(self, label: str) -> float:
        """One number for a label (e.g. the random start of a systematic rounding)."""
        return uniform_reference(self.key, label)

    def describe(self) -> dict[str, Any]:
        return {"recipe": PRN_RECIPE, "seed": self.seed, "path": list(self.path)}


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

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        return np.asarray(self.rng.random(np.shape(ids)[0]), dtype=np.float64)

    def uniform(self, label: str) -> float:
        return float(self.rng.random())

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": "numpy-generator (simulation; not publicly verifiable)",
            "seed": None,
            "path": list(self.path),
        }


def source_for(seed: str | None, rng: Any) -> HashSource | GeneratorSource:
    """The source for ``seed=`` (official) or ``rng=`` (simulation); exactly one must be given.

    ``rng`` may be anything :func:`numpy.random.default_rng` accepts.
    """
    if (seed is None) == (rng is None):
        raise PlanError(
            "give exactly one of seed= (an official, publicly verifiable draw) or rng= "
            "(a simulation)"
        )
    if seed is not None:
        return HashSource.from_seed(seed)
    return GeneratorSource(np.random.default_rng(rng))
