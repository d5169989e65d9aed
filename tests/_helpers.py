"""Small things many test files need, written once.

- credit codes: known codes (``A``, ``B``, ``C``, ``LEGACY``, ``LETTER_AREA``), ``credit_code(k)``
  and the vectorized ``credit_codes(n)``;
- roster builders: ``make_roster`` (one row per risk letter) and ``random_roster`` (every column,
  awkward text included), ``snapshot`` to check a roster was not changed;
- committing in tests: ``ANY_SEED`` and ``commit_any``;
- statistical bounds: one family-wise false-alarm rate ``ALPHA`` for every statistical test, the
  exact ``binomial_bounds`` and the normal ``binomial_tolerance``;
- files: ``write`` (text in an encoding) and ``write_parquet`` (a roster or columns).

The county fixture (the bundled example county) is in ``conftest.py``.
"""

from __future__ import annotations

import math
import pathlib
import random
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from randcheck import (
    CREDIT_CODE_ALPHABET,
    Commitment,
    SamplingPlan,
    SeedRule,
    TargetRoster,
    commit,
    credit_code_check_character,
)

# --------------------------------------------------------------------------- credit codes

#: A valid code from the GB 32100-2015 standard's own example (福建, area 350100).
A = "91350100M000100Y43"
#: Valid codes of the example county (area 130634), check characters computed.
B = "91130634MA07RWXK3" + credit_code_check_character("91130634MA07RWXK3")
C = "91130634MA0000000" + credit_code_check_character("91130634MA0000000")
#: ``A`` with a wrong check character: a legacy (or mistyped) code.
LEGACY = "91350100M000100Y44"
#: Letters where the area code's digits belong (positions 3–8).
LETTER_AREA = "91ABCDEFM000100Y4" + credit_code_check_character("91ABCDEFM000100Y4")


def credit_code(k: int, *, base31: bool = False) -> str:
    """The ``k``-th valid code ``91130634MA`` + 7 symbols + check character.

    The 7 symbols are ``k``'s decimal digits (k < 10⁷), or with ``base31`` its base-31 digits in
    the code alphabet, least significant first (k < 31⁷), so that letters occur too.
    """
    if base31:
        body = "91130634MA" + "".join(CREDIT_CODE_ALPHABET[(k // 31**i) % 31] for i in range(7))
    else:
        body = f"91130634MA{k:07d}"
    return body + credit_code_check_character(body)


_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ALPHABET = np.frombuffer(CREDIT_CODE_ALPHABET.encode("ascii"), dtype=np.uint8)


def credit_codes(n: int, offset: int = 0) -> npt.NDArray[np.bytes_]:
    """``n`` distinct valid codes ``91130634…`` (GB 32100-2015 check characters), by numpy."""
    idx = (np.arange(n, dtype=np.int64) + offset) * 1_000_003 + 12_345
    digits = []
    for _ in range(9):
        digits.append(idx % 31)
        idx //= 31
    body = np.stack(
        [np.full(n, 9), np.full(n, 1), *[np.full(n, int(c)) for c in "130634"], *digits[::-1]],
        axis=1,
    )
    check = (31 - (body @ _WEIGHTS) % 31) % 31
    full = np.concatenate([body, check[:, None]], axis=1)
    return _ALPHABET[full].astype(np.uint8).view("S18").ravel()


# --------------------------------------------------------------------------- rosters


def make_roster(
    classes: Sequence[str],
    *,
    industries: Sequence[str] | None = None,
    scores: Sequence[float] | npt.NDArray[np.float64] | None = None,
    offset: int = 0,
    **columns: object,
) -> TargetRoster:
    """A roster with one row per entry of ``classes`` (risk letters)."""
    n = len(classes)
    cols: dict[str, object] = {"credit_code": credit_codes(n, offset), "risk_class": list(classes)}
    extra = []
    if industries is not None:
        cols["industry"] = list(industries)
    if scores is not None:
        cols["risk_score"] = np.asarray(scores, dtype=np.float64)
        extra.append("risk_score")
    cols.update(columns)
    return TargetRoster.from_columns(cols, extra=extra)


def random_roster(n: int, seed: int = 7) -> TargetRoster:
    """A roster with every column filled at random (``random.Random(seed)``): names with commas
    and quotes, three industries and areas, statuses, tags, dates and a ``risk_score``."""
    rnd = random.Random(seed)
    return TargetRoster.from_columns(
        {
            "credit_code": [credit_code(rnd.randrange(31**7), base31=True) for _ in range(n)],
            "name": [f"公司{i}, 有限" if i % 9 == 0 else f'"甲"{i}' for i in range(n)],
            "risk_class": [rnd.choice("AAABBBCCDE") for _ in range(n)],
            "industry": [rnd.choice(["零售业", "餐饮业", "食品生产"]) for _ in range(n)],
            "area": [rnd.choice(["130634", "130602", "130102"]) for _ in range(n)],
            "status": [rnd.choice(["存续"] * 8 + ["在业", "注销"]) for _ in range(n)],
            "tags": [rnd.choice(["", "连锁", "连锁;重点", "重点"]) for _ in range(n)],
            "abnormal": [rnd.random() < 0.1 for _ in range(n)],
            "complaints": [rnd.choice([0, 0, 0, 1, 3]) for _ in range(n)],
            "last_inspected": [rnd.choice(["", "", "2024-03-01", "2025-11-01"]) for _ in range(n)],
            "risk_score": [round(rnd.lognormvariate(0, 1.2), 4) for _ in range(n)],
        },
        extra=["risk_score"],
    )


def snapshot(roster: TargetRoster) -> dict[str, np.ndarray]:
    """Copies of every plain column, to check a roster was not modified."""
    return {k: np.array(v, copy=True) for k, v in roster.to_columns().items()}


# --------------------------------------------------------------------------- commitments

# A seed rule that takes any non-empty seed (after NFKC and white space collapsing), so tests can
# commit to draws with short made-up seeds; the lottery presets are tested in test_seeds.py.
ANY_SEED = SeedRule.custom("test-seed", r".+")


def commit_any(roster: TargetRoster, plan: SamplingPlan, **kwargs: Any) -> Commitment:
    """:func:`randcheck.commit` under :data:`ANY_SEED`, with a made-up seed source."""
    return commit(roster, plan, seed_rule=ANY_SEED, seed_from="a test seed", **kwargs)


# --------------------------------------------------------------------------- statistics

#: The family-wise false-alarm rate of every statistical test: each test divides it among its
#: checks (Bonferroni), so a correct implementation fails a test with probability below 10⁻⁶
#: and the fixed seeds make that a one-off event, not a flake.
ALPHA = 1e-6


def binomial_bounds(
    draws: int, p: npt.ArrayLike, alpha: float = ALPHA
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Exact two-sided acceptance interval for Binomial(``draws``, ``p``) counts: each count falls
    outside its interval with probability at most ``alpha`` (pass ``ALPHA / checks``)."""
    return stats.binom.ppf(alpha / 2, draws, p), stats.binom.isf(alpha / 2, draws, p)


def binomial_tolerance(p: float, n: int, *, checks: int = 10) -> float:
    """Half-width of a normal bound on a binomial share ``k/n``: with ``checks`` such bounds in one
    test, one is exceeded with probability below ``ALPHA`` (10 checks: 5.33 σ)."""
    return float(stats.norm.isf(ALPHA / (2 * checks))) * math.sqrt(p * (1 - p) / n)


# --------------------------------------------------------------------------- files


def write(
    path: pathlib.Path, text: str, encoding: str = "utf-8", *, bom: bool = False
) -> pathlib.Path:
    """Write ``text`` to ``path`` in ``encoding`` (with a UTF-8 byte-order mark if ``bom``)."""
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def write_parquet(
    table: TargetRoster | Mapping[str, Any], path: pathlib.Path, row_group: int | None = None
) -> pathlib.Path:
    """Write a roster's columns (or plain columns) to a Parquet file, ``row_group`` rows a group."""
    import pyarrow as pa  # optional: tests that use it skip without pyarrow
    import pyarrow.parquet as pq

    columns = table.to_columns() if isinstance(table, TargetRoster) else table
    pq.write_table(pa.table(columns), path, row_group_size=row_group)
    return path
