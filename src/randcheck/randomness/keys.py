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
uses is one of the ``LABEL_*`` constants of this module, or made by :func:`run_label` or
:func:`stratum_label`.

The pre-release recipe ``randcheck-prn/1`` (labels joined into one string, so that
``"item/SW-02"`` could be reached two ways) is retired.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from randcheck.errors import PlanError

PRN_RECIPE = "randcheck-prn/2"
_SCALE = 2.0**-53
_CHILD = b"\x00"
_UNIT = b"\x01"

# Every key label randcheck uses (users add their own: a batch label, an item code).
#: The unit numbers of a draw (a stand-alone draw's path is ("units",)).
LABEL_UNITS = "units"
#: Under the unit key: the starts of the size rounding.
LABEL_ROUNDING = "rounding"
#: The one start of a fixed-total rounding (a number under "rounding").
LABEL_START = "start"
#: A batch b: ("batch", b).
LABEL_BATCH = "batch"
#: An item drawn on its own in a batch: ("batch", b, "item", code).
LABEL_ITEM = "item"
#: The default path of a revisit draw.
LABEL_REVISITS = "revisits"
#: The default path of an officer matching.
LABEL_MATCHING = "matching"
#: Under a matching's key: the coins of its dependent rounding.
LABEL_ROUND = "round"

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
    before) allocates no OpenSSL context; which of the two is faster depends on the OpenSSL
    build (with OpenSSL 3.0 on the benchmark machine, both cost about 0.4 µs per id in
    :func:`hash_uniforms`). SHA-256 is SHA-256: the digests are the same, whichever computes
    them.
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


def hash_uniforms(key: bytes, ids: npt.NDArray[np.bytes_]) -> Floats:
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


def hash_each(key: bytes, ids: Sequence[bytes]) -> Floats:
    """Step 3 of the recipe, id by id (for ids a byte array cannot hold: a trailing NUL)."""
    prefix = key + _UNIT
    raw = b"".join([_SHA256(prefix + i).digest()[:8] for i in ids])
    ints = np.frombuffer(raw, dtype=">u8", count=len(ids)).astype(np.uint64) >> np.uint64(11)
    return ints.astype(np.float64) * _SCALE


def run_label(i: int) -> str:
    """The label of the ``i``-th run of a matching simulation (``run/0``, ``run/1``, ...)."""
    return f"run/{i}"


def stratum_label(key: tuple[str, ...]) -> str:
    """The label of a stratum's rounding start: its key as a JSON list (no spaces)."""
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))
