"""统一社会信用代码 (unified social credit code) validation, per GB 32100-2015.

A code has 18 characters from the 31-symbol alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O,
S, V or Z), each worth its index in that alphabet:

=========  ==============================================================
position   meaning
=========  ==============================================================
1          registering authority (1 机构编制, 5 民政, 9 工商, Y 其他)
2          organisation kind
3–8        administrative area code (GB/T 2260, digits; 曲阳县 is 130634)
9–17       organisation code
18         check character
=========  ==============================================================

The check character is the symbol worth ``c = 31 − (Σ valueᵢ·wᵢ mod 31)`` over positions
i = 1…17, with weights ``wᵢ = 3^(i−1) mod 31``; ``c = 31`` becomes 0.

Real registers hold a few legacy codes that fail the check, so roster loaders offer a strict mode
(reject) and a lenient one (accept and report) built on :func:`credit_code_mask`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "credit_code_check_character",
    "credit_code_mask",
    "is_valid_credit_code",
]

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(CREDIT_CODE_ALPHABET):
    _VALUE[ord(_ch)] = _i
_ALPHABET_BYTES = np.frombuffer(CREDIT_CODE_ALPHABET.encode("ascii"), dtype=np.uint8)
_VALUE_OF = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}


def credit_code_check_character(body: str) -> str:
    """Return the check character (18th position) for the first 17 characters of a code.

    Parameters
    ----------
    body : str
        The first 17 characters of a 统一社会信用代码, upper case.

    Returns
    -------
    str
        One character of :data:`CREDIT_CODE_ALPHABET`.

    Raises
    ------
    ValueError
        If ``body`` is not 17 characters from the alphabet.

    Examples
    --------
    >>> credit_code_check_character("91350100M000100Y4")
    '3'
    """
    if len(body) != 17:
        raise ValueError(f"a credit code body has 17 characters, got {len(body)}: {body!r}")
    total = 0
    for i, ch in enumerate(body):
        value = _VALUE_OF.get(ch)
        if value is None:
            raise ValueError(
                f"character {ch!r} at position {i + 1} of {body!r} is not in the credit-code "
                f"alphabet {CREDIT_CODE_ALPHABET}"
            )
        total += value * int(_WEIGHTS[i])
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """Whether ``code`` is a well-formed 统一社会信用代码 with a correct check character.

    Lower case is not accepted: the standard uses upper case only.

    Examples
    --------
    >>> is_valid_credit_code("91350100M000100Y43")
    True
    >>> is_valid_credit_code("91350100M000100Y44")
    False
    """
    if not isinstance(code, str) or len(code) != 18:
        return False
    try:
        return credit_code_check_character(code[:17]) == code[17]
    except ValueError:
        return False


def _as_code_bytes(codes: npt.ArrayLike | Iterable[str]) -> npt.NDArray[np.bytes_]:
    arr = np.asarray(codes)
    if arr.dtype.kind == "S":
        return arr
    if arr.dtype.kind in "UT" or arr.dtype == object:
        return np.asarray(np.strings.encode(arr.astype(np.dtypes.StringDType()), "ascii",
                                            "replace"))
    raise TypeError(f"credit codes must be strings or bytes, got an array of dtype {arr.dtype}")


def credit_code_mask(codes: npt.ArrayLike | Iterable[str]) -> npt.NDArray[np.bool_]:
    """Vectorized :func:`is_valid_credit_code`: a boolean array, ``True`` where a code is valid.

    Accepts a numpy array of fixed-width bytes (``S18``, the roster's own form) or of strings, or
    any sequence of ``str``. Runs without a Python loop over the codes.

    Examples
    --------
    >>> credit_code_mask(["91350100M000100Y43", "91350100M000100Y44", "short"]).tolist()
    [True, False, False]
    """
    arr = _as_code_bytes(codes)
    n = arr.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    width = arr.dtype.itemsize
    if width != 18:
        # A code of the wrong width can only be valid if it is exactly 18 characters long.
        lengths = np.strings.str_len(arr)
        ok_len = lengths == 18
        fixed = np.zeros(n, dtype="S18")
        fixed[ok_len] = arr[ok_len].astype("S18")
        return credit_code_mask(fixed) & ok_len
    raw = arr.view(np.uint8).reshape(n, 18)
    values = _VALUE[raw]
    ok = (values >= 0).all(axis=1)
    check = (31 - (values[:, :17] @ _WEIGHTS) % 31) % 31
    return ok & (values[:, 17] == check)
