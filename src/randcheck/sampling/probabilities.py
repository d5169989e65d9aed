"""Every target's inclusion probability (入样概率) under a plan, without drawing."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from randcheck.roster import (
    TargetRoster,
)
from randcheck.sampling._design import build_design
from randcheck.sampling._pps import pps_probabilities
from randcheck.sampling.plan import SamplingPlan


def inclusion_probabilities(
    roster: TargetRoster,
    plan: SamplingPlan,
) -> npt.NDArray[np.float64]:
    """Every roster row's first-order inclusion probability under ``plan``, without drawing.

    Aligned with the roster's rows; 0 for targets the plan cannot draw. Equal-probability
    strata give ``x_h / N_h``; πps strata the design's target π (see the module docstring),
    the same numbers :attr:`Draw.inclusion_probabilities` reports for drawn targets.

    Raises
    ------
    PlanError
        As :func:`draw` does when the plan does not fit the roster.

    Examples
    --------
    >>> from randcheck.sampling import inclusion_probabilities
    >>> from randcheck import TargetRoster
    >>> roster = TargetRoster.from_columns({
    ...     "credit_code": ["91350100M000100Y43", "91130634MA07RWXK3G"],
    ...     "risk_class": ["A", "D"]})
    >>> inclusion_probabilities(roster, SamplingPlan(rates={"A": 0.1, "D": 1.0})).tolist()
    [0.1, 1.0]
    """
    design = build_design(roster, plan, exact=True)
    out = np.zeros(len(roster), dtype=np.float64)
    pos = np.arange(design.size, dtype=np.intp)
    st = design.stratum_of
    if plan.within == "pps":
        pi = pps_probabilities(design, pos, st, exact=True)
    else:
        per = np.array(
            [x / n if n else 0.0 for x, n in zip(design.expected, design.populations, strict=True)]
            or [0.0]
        )
        pi = per[st]
    out[design.roster_rows(pos)] = pi
    return out
