"""Builders for sampling tests: small rosters with valid credit codes, made with numpy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck import (
    CREDIT_CODE_ALPHABET,
    Commitment,
    SamplingPlan,
    SeedRule,
    TargetRoster,
    commit,
)

_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ALPHA = np.frombuffer(CREDIT_CODE_ALPHABET.encode("ascii"), dtype=np.uint8)


def credit_codes(n: int, offset: int = 0) -> npt.NDArray[np.bytes_]:
    """``n`` distinct valid codes ``91130634…`` (GB 32100-2015 check characters)."""
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
    return _ALPHA[full].astype(np.uint8).view("S18").ravel()


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


def snapshot(roster: TargetRoster) -> dict[str, np.ndarray]:
    """Copies of every plain column, to check a roster was not modified."""
    return {k: np.array(v, copy=True) for k, v in roster.to_columns().items()}


# A seed rule that takes any non-empty seed (after NFKC and white space collapsing), so tests can
# commit to draws with short made-up seeds; the lottery presets are tested in test_seeds.py.
ANY_SEED = SeedRule.custom("test-seed", r".+")


def commit_any(roster: TargetRoster, plan: SamplingPlan, **kwargs: Any) -> Commitment:
    """:func:`randcheck.commit` under :data:`ANY_SEED`, with a made-up seed source."""
    return commit(roster, plan, seed_rule=ANY_SEED, seed_from="a test seed", **kwargs)
