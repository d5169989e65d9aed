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

A code is valid when it has 18 characters of the alphabet, digits in positions 3–8 (the area
code) and the right check character; :func:`credit_code_problem` says which of these fails.

Real registers hold a few legacy codes that fail the check. Roster loaders reject them unless
``legacy_codes=True``, which keeps each one and reports it (built on :func:`credit_code_mask`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "credit_code_check_character",
    "credit_code_mask",
    "credit_code_problem",
    "is_valid_credit_code",
    "misspelt_code",
    "plain_code",
]

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(CREDIT_CODE_ALPHABET):
    _VALUE[ord(_ch)] = _i
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
    >>> from randcheck.roster.credit_code import credit_code_check_character
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

    Lower case is not accepted: the standard uses upper case only. Positions 3–8 are the
    GB/T 2260 area code and must be digits.

    Examples
    --------
    >>> from randcheck.roster.credit_code import is_valid_credit_code
    >>> is_valid_credit_code("91350100M000100Y43")
    True
    >>> is_valid_credit_code("91350100M000100Y44")
    False
    """
    return credit_code_problem(code) is None


def credit_code_problem(code: object) -> str | None:
    """What is wrong with ``code`` as a 统一社会信用代码, or ``None`` if it is valid.

    The first failing rule is named: length, alphabet (with the position), the area code in
    positions 3–8, or the check character (with the one expected).

    Examples
    --------
    >>> from randcheck.roster.credit_code import credit_code_problem
    >>> credit_code_problem("91350100M000100Y43") is None
    True
    >>> credit_code_problem("91350100M000100Y44")
    "the check character is '4' where '3' is expected"
    >>> credit_code_problem("91ABCDEFM000100Y4X")
    "positions 3–8 are the area code (GB/T 2260) and must be digits, got 'ABCDEF'"
    >>> credit_code_problem("9.14105E+17")  # doctest: +ELLIPSIS
    'a number in scientific notation (Excel turned the code into a number): format the column ...'
    >>> credit_code_problem("91350100m000100y43")
    'written in lower case, full-width characters or with spaces: write it 91350100M000100Y43'
    """
    if not isinstance(code, str):
        return f"a credit code is text, got {type(code).__name__}"
    if is_scientific(code):
        return f"{SCIENTIFIC_WHY}: {SCIENTIFIC_FIX}"
    plain = misspelt_code(code)
    if plain is not None:
        return f"{WRITTEN}: write it {plain}"
    if len(code) != 18:
        return f"a credit code has 18 characters, got {len(code)}"
    for i, ch in enumerate(code):
        if ch not in _VALUE_OF:
            return (
                f"character {ch!r} at position {i + 1} is not in the alphabet "
                f"{CREDIT_CODE_ALPHABET} (no I, O, S, V, Z or lower case)"
            )
    if not code[2:8].isdigit():
        return f"positions 3–8 are the area code (GB/T 2260) and must be digits, got {code[2:8]!r}"
    expected = credit_code_check_character(code[:17])
    if expected != code[17]:
        return f"the check character is {code[17]!r} where {expected!r} is expected"
    return None


#: How :func:`credit_code_problem` begins for a valid code written another way.
WRITTEN = "written in lower case, full-width characters or with spaces"


def plain_code(code: str) -> str:
    """``code`` as the standard writes codes: half width (NFKC), no spaces, capitals."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code)).upper()


def misspelt_code(code: str) -> str | None:
    """The valid code that ``code`` spells in lower case, full width or with spaces; ``None``
    when ``code`` is written as the standard writes it, or spells no valid code.

    Such a code is a misspelling, never a legacy code: kept as written, it would match nothing
    written in capitals (a recusal, a result).

    Examples
    --------
    >>> from randcheck.roster.credit_code import misspelt_code
    >>> misspelt_code("91350100m000100y43"), misspelt_code("91350100M000100Y43")
    ('91350100M000100Y43', None)
    """
    plain = plain_code(code)
    return plain if plain != code and is_valid_credit_code(plain) else None


#: Excel shows an 18-digit number as 9.14105E+17 and saves it so in CSV: never a credit code.
_SCIENTIFIC = re.compile(r"[+-]?\d+(\.\d*)?[eE][+-]?\d+")
#: Why a value in scientific notation is no credit code (the roster's problem report cites it).
SCIENTIFIC_WHY = "a number in scientific notation (Excel turned the code into a number)"
#: What to do about it (a roster's problem report gives it as the problem's fix).
SCIENTIFIC_FIX = "format the column as text (文本) in Excel and export the codes again"


def is_scientific(text: str) -> bool:
    """Whether ``text`` is a number in scientific notation (what Excel makes of a long number)."""
    return _SCIENTIFIC.fullmatch(text.strip()) is not None


def _as_code_bytes(codes: npt.ArrayLike | Iterable[str]) -> npt.NDArray[np.bytes_]:
    # A generator becomes a list first: numpy would make it a single object.
    arr = np.asarray(list(codes) if isinstance(codes, Iterator) else codes)
    if arr.dtype.kind == "S":
        return arr
    if arr.size == 0:  # an empty list reads as float64: no codes, no type to complain about
        return np.zeros(arr.shape, dtype="S18")
    if arr.dtype.kind in "UT" or arr.dtype == object:
        if not arr.dtype.isnative:  # e.g. '>U18' from a big-endian file: numpy's byte order
            arr = arr.astype(arr.dtype.newbyteorder("="))
        return np.asarray(
            np.strings.encode(arr.astype(np.dtypes.StringDType()), "ascii", "replace")
        )
    raise TypeError(f"credit codes must be strings or bytes, got an array of dtype {arr.dtype}")


def credit_code_mask(codes: npt.ArrayLike | Iterable[str]) -> npt.NDArray[np.bool_]:
    """Vectorized :func:`is_valid_credit_code`: a boolean array, ``True`` where a code is valid.

    Accepts a numpy array of fixed-width bytes (``S18``, the roster's own form) or of strings, or
    any sequence of ``str``; the result has the input's shape. Runs without a Python loop over
    the codes, a block of rows at a time so that its working memory stays small.

    Raises
    ------
    TypeError
        If the input is not text (for example an array of integers).

    Examples
    --------
    >>> from randcheck.roster.credit_code import credit_code_mask
    >>> credit_code_mask(["91350100M000100Y43", "91350100M000100Y44", "short"]).tolist()
    [True, False, False]
    """
    arr = _as_code_bytes(codes)
    shape = arr.shape
    arr = np.ascontiguousarray(arr).reshape(-1)
    n = arr.shape[0]
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out.reshape(shape)
    if arr.dtype.itemsize != 18:
        # A code of another width can only be valid if it is exactly 18 characters long.
        ok_len = np.strings.str_len(arr) == 18
        if arr.dtype.itemsize > 18 and ok_len.any():
            out[ok_len] = _mask18(arr[ok_len].astype("S18"))
        return out.reshape(shape)
    return _mask18(arr).reshape(shape)


_BLOCK = 1 << 14  # codes per step of _mask18: its temporaries stay in the cache
#: Each byte's symbol value as float32, and -2²⁰ for a byte outside the alphabet: one such
#: byte makes a code's weighted sum negative, whatever the other 17 add (at most 15,330).
_VALUE_F32 = np.where(_VALUE >= 0, _VALUE, -(1 << 20)).astype(np.float32)
#: The check weights of positions 1–17, and 1 for the check character: a valid code's sum
#: is ``S + c ≡ 0 (mod 31)``, since ``c ≡ −S``.
_WEIGHTS18 = np.append(_WEIGHTS, 1).astype(np.float32)
#: Bit 0x40 of bytes 3–8 of a code read as a little-endian uint64 from its first byte: in the
#: alphabet, the letters have it and the digits not.
_AREA_LETTER_BITS = sum(0x40 << (8 * k) for k in range(2, 8))


def _mask18(arr: npt.NDArray[np.bytes_]) -> npt.NDArray[np.bool_]:
    """Validity of ``S18`` codes, a block at a time: the symbol values gathered as float32,
    the check sum as one matrix-vector product (exact: integers below 2²⁴), the area digits
    from one 64-bit word per code."""
    arr = np.ascontiguousarray(arr)
    n = arr.shape[0]
    raw = arr.view(np.uint8).reshape(n, 18)
    first8 = np.ndarray((n,), dtype="<u8", buffer=arr, strides=(18,))
    out = np.empty(n, dtype=bool)
    values = np.empty((min(_BLOCK, n), 18), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        end = min(start + _BLOCK, n)
        block = values[: end - start]
        np.take(_VALUE_F32, raw[start:end], out=block)
        total = block @ _WEIGHTS18  # BLAS: the 18 weighted values of each code, summed
        quotient = total / np.float32(31)  # exact when 31 divides an exact total
        ok = out[start:end]
        np.equal(quotient, np.rint(quotient), out=ok)
        ok &= total >= 0
        ok &= (first8[start:end] & _AREA_LETTER_BITS) == 0
    return out
