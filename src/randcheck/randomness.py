"""Where every random number in randcheck comes from.

Official draws take a public ``seed`` (a string: lottery numbers, dice rolled in public, a beacon
value) and derive every number from it with SHA-256, so that anyone can recompute a draw on any
machine, years later, with nothing but Python's standard library. Simulations take a numpy
``Generator`` instead: fast, the same designs, but not publicly verifiable.

.. rubric:: The recipe ``randcheck-prn/2``

1. **Root key.** ``K = SHA-256(b"randcheck-prn/2" ‖ 0x00 ‖ seed)``, where ``seed`` is the UTF-8
   encoding of the seed string in its canonical form (:class:`randcheck.SeedRule`; without a
   rule, the string with leading and trailing white space removed).
2. **Child keys.** A key path is a sequence of labels, e.g. ``("units",)``, ``("batch",
   "2025-1", "item", "SW-02")``. Each label moves one step down the tree:
   ``child(K, label) = SHA-256(K ‖ 0x00 ‖ len ‖ label)``, with ``label`` UTF-8 encoded and
   ``len`` its length in bytes as a 4-byte big-endian integer. A label may hold any character,
   ``/`` included: it is never split or joined, so a path names exactly one key and one key is
   reached by exactly one path (``("item/SW-02",)`` and ``("item", "SW-02")`` are different
   keys). No key is ever derived from ``seed + 1`` or a counter.
3. **A unit's number.** For a key ``k`` (32 bytes) and a unit id (a credit code in ASCII, or any
   UTF-8 label), ``d = SHA-256(k ‖ 0x01 ‖ id)``; the first 8 bytes of ``d`` read as a big-endian
   unsigned integer, shifted right by 11 bits, give an integer ``t`` in ``[0, 2⁵³)``; the
   unit's uniform number is ``u = t / 2⁵³``, exactly representable as a float64. The byte
   after the key (0x00 for a child key, 0x01 for a unit's number) keeps the two apart.

A unit's number therefore depends only on the seed, the labels on the path and its own id: not on
row order, on other units, on numpy's version or on the platform. Every label randcheck itself
uses is one of the ``LABEL_*`` constants of this module.

The pre-release recipe ``randcheck-prn/1`` (labels joined into one string, so that
``"item/SW-02"`` could be reached two ways) is retired.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt

from randcheck.errors import PlanError

__all__ = [
    "LABEL_BATCH",
    "LABEL_ITEM",
    "LABEL_REVISITS",
    "LABEL_ROUNDING",
    "LABEL_START",
    "LABEL_UNITS",
    "PRN_RECIPE",
    "GeneratorSource",
    "HashSource",
    "UniformSource",
    "child_key",
    "key_at",
    "root_key",
    "source_for",
    "uniform_reference",
]

PRN_RECIPE = "randcheck-prn/2"
_SCALE = 2.0**-53
_CHILD = b"\x00"
_UNIT = b"\x01"

# Every key label randcheck uses (users add their own: a batch label, an item code).
LABEL_UNITS = "units"  # the unit numbers of a draw (a stand-alone draw's path is ("units",))
LABEL_ROUNDING = "rounding"  # under the unit key: the starts of the size rounding
LABEL_START = "start"  # the one start of a fixed-total rounding (a number under "rounding")
LABEL_BATCH = "batch"  # a batch b: ("batch", b)
LABEL_ITEM = "item"  # an item drawn on its own in a batch: ("batch", b, "item", code)
LABEL_REVISITS = "revisits"  # the default path of a revisit draw

Floats: TypeAlias = npt.NDArray[np.float64]
Path: TypeAlias = tuple[str, ...]


def normalise_seed(seed: object) -> str:
    """The seed as used without a seed rule: a non-empty string, surrounding white space removed.

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


def check_path(path: object, what: str = "path") -> Path:
    """A key path as a tuple of non-empty strings.

    Raises
    ------
    PlanError
        If it is not a sequence of non-empty strings (a bare string is refused: it would be
        read as one label by some and as characters by others).
    """
    if isinstance(path, (str, bytes)) or not isinstance(path, Sequence):
        raise PlanError(f"{what}: a key path is a list of labels, got {path!r}")
    out = tuple(path)
    for label in out:
        if not isinstance(label, str) or not label:
            raise PlanError(f"{what}: every label must be a non-empty string, got {label!r}")
    return out


def root_key(seed: str) -> bytes:
    """Step 1 of the recipe: the 32-byte root key of a public seed (already canonical).

    Examples
    --------
    >>> root_key("2023-1107").hex()[:16]
    'f84b154d8efb1948'
    """
    text = normalise_seed(seed)
    return hashlib.sha256(PRN_RECIPE.encode() + b"\x00" + text.encode("utf-8")).digest()


def child_key(key: bytes, label: str) -> bytes:
    """Step 2 of the recipe: the key one ``label`` below ``key``."""
    raw = label.encode("utf-8")
    return hashlib.sha256(key + _CHILD + len(raw).to_bytes(4, "big") + raw).digest()


def key_at(seed: str, path: Sequence[str]) -> bytes:
    """The key at ``path`` (a sequence of labels) below the root key of ``seed``.

    Examples
    --------
    >>> key_at("2023-1107", ["item", "SW-02"]) == key_at("2023-1107", ["item/SW-02"])
    False
    """
    key = root_key(seed)
    for label in check_path(path):
        key = child_key(key, label)
    return key


def uniform_reference(key: bytes, unit_id: str) -> float:
    """Step 3 of the recipe for one unit, in plain Python (the reference the fast path matches).

    Examples
    --------
    >>> k = key_at("2023-1107", ["units"])
    >>> uniform_reference(k, "91350100M000100Y43")  # doctest: +ELLIPSIS
    0.927579334911...
    """
    digest = hashlib.sha256(key + _UNIT + unit_id.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) * _SCALE


def _builtin_sha256() -> Any:
    """CPython's own SHA-256 constructor, else hashlib's (OpenSSL's).

    A unit's message is one 64-byte block: per message, the cost is the hash object, not the
    hashing. CPython's built-in implementation (module ``_sha2`` from 3.12, ``_sha256``
    before) allocates no OpenSSL context and hashes a short message about a quarter faster.
    SHA-256 is SHA-256: the digests are the same, whichever computes them.
    """
    for name in ("_sha2", "_sha256"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        sha = getattr(module, "sha256", None)
        if sha is not None and sha(b"abc").digest() == hashlib.sha256(b"abc").digest():
            return sha
    return hashlib.sha256


_SHA256 = _builtin_sha256()
_HASH_ROWS = 1 << 16  # ids whose messages are laid out at once (a few MB)


def _hash_uniforms(key: bytes, ids: npt.NDArray[np.bytes_]) -> Floats:
    """Step 3 of the recipe for an ``S`` array of ids (each id's bytes, trailing NULs dropped).

    The messages ``key ‖ 0x01 ‖ id`` are laid out side by side in a byte matrix and read back
    as one ``bytes`` each: numpy drops the NUL padding after a shorter id, exactly as it drops
    it from the id itself, so no Python code runs per id but the hashing.
    """
    n = ids.shape[0]
    out = np.empty(n, dtype=np.float64)
    prefix = np.frombuffer(key + _UNIT, dtype=np.uint8)
    p, w = prefix.shape[0], ids.dtype.itemsize
    msg = np.empty((min(n, _HASH_ROWS), p + w), dtype=np.uint8)
    msg[:, :p] = prefix
    sha = _SHA256
    for a in range(0, n, _HASH_ROWS):
        b = min(a + _HASH_ROWS, n)
        m = b - a
        msg[:m, p:] = np.ascontiguousarray(ids[a:b]).view(np.uint8).reshape(m, w)
        texts = msg[:m].view(f"S{p + w}").ravel().tolist()
        raw = b"".join([sha(t).digest() for t in texts])
        ints = np.frombuffer(raw, dtype=">u8")[::4].astype(np.uint64) >> np.uint64(11)
        out[a:b] = ints.astype(np.float64) * _SCALE
    return out


def _hash_each(key: bytes, ids: Sequence[bytes]) -> Floats:
    """Step 3 of the recipe, id by id (for ids a byte array cannot hold: a trailing NUL)."""
    prefix = key + _UNIT
    raw = b"".join([_SHA256(prefix + i).digest()[:8] for i in ids])
    ints = np.frombuffer(raw, dtype=">u8", count=len(ids)).astype(np.uint64) >> np.uint64(11)
    return ints.astype(np.float64) * _SCALE


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
    """Verifiable numbers from a public seed through the ``randcheck-prn/2`` recipe.

    Examples
    --------
    >>> src = HashSource.from_seed("2023-1107").child("units")
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

    def at(self, path: Sequence[str]) -> HashSource:
        """The source ``path`` (a sequence of labels) below this one."""
        out = self
        for label in check_path(path):
            out = out.child(label)
        return out

    def uniforms(self, ids: npt.ArrayLike) -> Floats:
        arr = np.asarray(ids)
        if arr.dtype.kind == "S":
            return _hash_uniforms(self.key, arr)
        raw = [str(v).encode("utf-8") for v in arr.tolist()]
        if any(r.endswith(b"\x00") for r in raw):
            return _hash_each(self.key, raw)
        return _hash_uniforms(self.key, np.array(raw or [b""], dtype=np.bytes_)[: len(raw)])

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
