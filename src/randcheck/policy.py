"""Policy simulation: compare rate tables before adopting one, and find the best under a budget.

:func:`simulate_policy` repeats a year's draws many times in simulation mode (``rng=``: numpy's
numbers, the *same design* as an official draw, not publicly verifiable) and records, for each
candidate design and each simulated year, the findings, the coverage of the directory, the visits
and the burden (visits per enterprise), overall and by risk class. Each enterprise violates in a
year with its class's assumed prevalence (or its own), independently of the draw.

Every simulated year calls :func:`randcheck.draw` with the generator, so the realised samples follow
exactly the design of an official draw (strata, systematic rounding of sizes, selection within
strata, πps); only the source of the uniform numbers differs. A draw of the example county takes
about a millisecond in this mode, so 1,000 years of a few designs take seconds.

:func:`optimal_rates` solves the small linear programme behind a rate table: maximise the expected
findings ``Σ_h N_h r_h p_h`` subject to the budget ``Σ_h N_h r_h ≤ B``, a minimum rate per class
(不免抽), a maximum rate per class (无事不扰), and the coverage rule ``Σ_h N_h r_h ≥ 3%·N``.

:func:`simulate_results` makes a plausible year of results for a draw, for tutorials and tests.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck._progress import ProgressArg, Reporter
from randcheck.errors import PlanError
from randcheck.joint import Batch
from randcheck.models import INACTIVE_STATUSES
from randcheck.results import FOLLOW_UPS, RESULT_CATEGORIES, ResultTable
from randcheck.results.figures import COVERAGE_GOAL, cjk_rc
from randcheck.roster import RISK_LETTERS, TargetRoster
from randcheck.sampling import (
    Draw,
    Eligibility,
    SamplingPlan,
    draw,
    inclusion_probabilities,
    ondask,
)

if TYPE_CHECKING:
    from randcheck.roster import OfficerRoster

__all__ = [
    "MEASURES",
    "Allocation",
    "PolicySimulation",
    "optimal_rates",
    "simulate_policy",
    "simulate_results",
]

Design: TypeAlias = "SamplingPlan | Mapping[str, float] | Sequence[SamplingPlan]"
#: What :func:`simulate_policy` records per design and simulated year.
MEASURES: Final[tuple[str, ...]] = (
    "findings",
    "coverage",
    "visits",
    "burden",
    "finding_rate",
)
_MEASURE_DOC: Final = {
    "findings": "enterprises inspected and found violating",
    "coverage": "distinct enterprises inspected ÷ enterprises in the directory",
    "visits": "inspections (one per plan and drawn enterprise)",
    "burden": "visits per enterprise of the directory",
    "finding_rate": "findings ÷ distinct enterprises inspected",
}


def _as_plans(name: str, design: Design) -> tuple[SamplingPlan, ...]:
    if isinstance(design, SamplingPlan):
        return (design,)
    if isinstance(design, Mapping):
        return (SamplingPlan(name=name, rates=dict(design)),)
    plans = tuple(design)
    if not plans or not all(isinstance(p, SamplingPlan) for p in plans):
        raise PlanError(
            f"design {name!r}: give a SamplingPlan, a rate table {{class: rate}} or a sequence "
            "of SamplingPlans (one per draw in the year)"
        )
    return plans


def _prevalence(
    roster: TargetRoster,
    prevalence: Mapping[str, float] | npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    n = len(roster)
    if isinstance(prevalence, Mapping):
        table = np.full(len(RISK_LETTERS), np.nan)
        for k, v in prevalence.items():
            letter = str(k).strip().upper().removesuffix("类")
            if letter not in RISK_LETTERS:
                raise PlanError(
                    f"prevalence: unknown risk class {k!r}; use {', '.join(RISK_LETTERS)}"
                )
            table[RISK_LETTERS.index(letter)] = float(v)
        p = table[roster.risk_class.astype(np.intp)]
        present = np.unique(roster.risk_class).tolist()
        absent = [RISK_LETTERS[c] for c in present if math.isnan(table[c])]
        if absent:
            raise PlanError(
                f"prevalence gives no value for risk class(es) {', '.join(absent)}, which the "
                "roster has; give one for every class present"
            )
    else:
        p = np.asarray(prevalence, dtype=np.float64)
        if p.shape != (n,):
            raise PlanError(f"prevalence: {p.shape} values for a roster of {n}; give one per row")
    bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
    if bad.size:
        raise PlanError(f"prevalence: row {int(bad[0]) + 1} has {p[bad[0]]!r}, outside [0, 1]")
    return p


def _frame_mask(roster: TargetRoster, active_only: bool) -> npt.NDArray[np.bool_]:
    if not active_only:
        return np.ones(len(roster), dtype=bool)
    return np.asarray(~roster.status.mask(INACTIVE_STATUSES), dtype=bool)


# ------------------------------------------------------------------------------ simulation
@attrs.frozen(eq=False)
class PolicySimulation:
    """Simulated years of several designs, from :func:`simulate_policy`.

    Attributes
    ----------
    designs : tuple of str
        The designs' names, in the order given.
    values : mapping of design to mapping of measure to array
        Per design and measure (:data:`MEASURES`), one value per simulated year.
    by_class_values : mapping of design to mapping of measure to 2-d array
        ``"visits"`` and ``"findings"`` per simulated year (rows) and risk class (columns, A…E).
    expected : mapping of design to mapping of measure to float
        The design's expectation, from the inclusion probabilities (no simulation).
    class_sizes : numpy int array
        Enterprises per risk class in the directory (A…E).
    budget : float or None
        The visits budget, if given.
    """

    designs: tuple[str, ...]
    values: Mapping[str, Mapping[str, npt.NDArray[np.float64]]]
    by_class_values: Mapping[str, Mapping[str, npt.NDArray[np.float64]]]
    expected: Mapping[str, Mapping[str, float]]
    class_sizes: npt.NDArray[np.int64]
    budget: float | None = None

    @property
    def years(self) -> int:
        """Simulated years per design."""
        first = self.values[self.designs[0]]
        return int(first["visits"].shape[0])

    def summary(self) -> list[dict[str, Any]]:
        """A tidy table: one row per design and measure with the expectation, the mean, the
        standard deviation, the 5%, 50% and 95% points over simulated years, and, for visits,
        the share of years within the budget."""
        out = []
        for d in self.designs:
            for m in MEASURES:
                v = self.values[d][m]
                v = v[~np.isnan(v)]
                row: dict[str, Any] = {
                    "design": d,
                    "measure": m,
                    "expected": self.expected[d].get(m, math.nan),
                    "mean": float(v.mean()) if v.size else math.nan,
                    "sd": float(v.std(ddof=1)) if v.size > 1 else math.nan,
                    "p05": float(np.quantile(v, 0.05)) if v.size else math.nan,
                    "p50": float(np.quantile(v, 0.50)) if v.size else math.nan,
                    "p95": float(np.quantile(v, 0.95)) if v.size else math.nan,
                    "within_budget": math.nan,
                }
                if m == "visits" and self.budget is not None:
                    row["within_budget"] = float((v <= self.budget).mean())
                out.append(row)
        return out

    def by_class(self) -> list[dict[str, Any]]:
        """A tidy table per design and risk class: enterprises, mean visits, mean burden
        (visits per enterprise), mean findings and the finding rate (findings ÷ visits)."""
        out = []
        for d in self.designs:
            vis = self.by_class_values[d]["visits"].mean(axis=0)
            fnd = self.by_class_values[d]["findings"].mean(axis=0)
            for k, letter in enumerate(RISK_LETTERS):
                n = int(self.class_sizes[k])
                if not n:
                    continue
                out.append(
                    {
                        "design": d,
                        "risk_class": letter,
                        "enterprises": n,
                        "visits": float(vis[k]),
                        "burden": float(vis[k] / n),
                        "findings": float(fnd[k]),
                        "finding_rate": float(fnd[k] / vis[k]) if vis[k] else math.nan,
                    }
                )
        return out

    def to_columns(self) -> dict[str, npt.NDArray[Any]]:
        """Every simulated value as a long tidy table: design, year, measure, value."""
        design, year, measure, value = [], [], [], []
        for d in self.designs:
            for m in MEASURES:
                v = self.values[d][m]
                design += [d] * v.shape[0]
                measure += [m] * v.shape[0]
                year.append(np.arange(v.shape[0]))
                value.append(v)
        return {
            "design": np.array(design, dtype=object),
            "year": np.concatenate(year) if year else np.zeros(0, dtype=np.intp),
            "measure": np.array(measure, dtype=object),
            "value": np.concatenate(value) if value else np.zeros(0),
        }

    def to_frame(self) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())

    def _repr_html_(self) -> str:
        """Jupyter's preview: a title, then the first rows of :meth:`to_columns`."""
        cols = self.to_columns()
        n = len(next(iter(cols.values()))) if cols else 0
        return _tables.preview_html(f"{type(self).__name__}: {n:,} rows", cols, n)

    def plot(
        self,
        measures: Sequence[str] = ("findings", "coverage", "burden"),
        *,
        figsize: tuple[float, float] | None = None,
    ) -> Any:
        """A figure comparing the designs: one panel per measure, a box per design (quartiles,
        whiskers at the 5th and 95th percentiles of the simulated years), a dot for the
        expectation, and the coverage goal and budget where they apply. Needs the ``plot``
        extra (matplotlib).

        Returns
        -------
        matplotlib.figure.Figure
        """
        try:
            import matplotlib.pyplot as plt
            import matplotlib.ticker
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("plot() needs matplotlib: pip install 'randcheck[plot]'") from None
        for m in measures:
            if m not in MEASURES:
                raise PlanError(f"plot: unknown measure {m!r}; use {', '.join(MEASURES)}")
        with plt.rc_context(cjk_rc()):  # labels keep the font they are made with
            return self._plot(plt, matplotlib.ticker, measures, figsize)

    def _plot(
        self, plt: Any, ticker: Any, measures: Sequence[str], figsize: tuple[float, float] | None
    ) -> Any:
        k = len(measures)
        fig, axes = plt.subplots(1, k, figsize=figsize or (4.0 * k, 3.6), squeeze=False)
        pos = np.arange(1, len(self.designs) + 1)
        for ax, m in zip(axes[0], measures, strict=True):
            data = [self.values[d][m] for d in self.designs]
            ax.boxplot(data, positions=pos, widths=0.6, whis=(5, 95), showfliers=False)
            ax.plot(
                pos,
                [self.expected[d].get(m, math.nan) for d in self.designs],
                "o",
                color="tab:red",
                label="expected",
            )
            if m == "coverage":
                ax.axhline(COVERAGE_GOAL, ls="--", color="grey", lw=1, label="3% goal")
            if m == "visits" and self.budget is not None:
                ax.axhline(self.budget, ls="--", color="grey", lw=1, label="budget")
            ax.set_xticks(pos, list(self.designs), rotation=20)
            ax.set_title(m)
            ax.grid(axis="y", alpha=0.3)
            if m in ("coverage", "burden", "finding_rate"):
                ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0))
            ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        return fig


_Years: TypeAlias = (
    "tuple[dict[str, npt.NDArray[np.float64]], npt.NDArray[np.float64], npt.NDArray[np.float64]]"
)


def _simulate_years(
    roster: TargetRoster,
    p: npt.NDArray[np.float64],
    frame: npt.NDArray[np.bool_],
    cls: npt.NDArray[np.intp],
    plans: tuple[SamplingPlan, ...],
    streams: Sequence[np.random.Generator],
    report: Reporter | None = None,
) -> _Years:
    """One design's simulated years, year ``y`` drawn with ``streams[y]`` alone.

    Returns the measures per year, and the visits and findings per year and risk class.
    """
    n_frame = max(int(frame.sum()), 1)
    k = len(RISK_LETTERS)
    years = len(streams)
    out = {m: np.zeros(years) for m in MEASURES}
    cv = np.zeros((years, k))
    cf = np.zeros((years, k))
    for y, gen in enumerate(streams):
        # In roster order (by_row): nothing is gathered or sorted by credit code.
        drawn: list[npt.NDArray[np.intp]] = [draw(roster, pl, rng=gen).by_row()[0] for pl in plans]
        rows = drawn[0] if len(drawn) == 1 else np.unique(np.concatenate(drawn))
        violates = gen.random(rows.shape[0]) < p[rows]
        hit = rows[violates]
        nv = sum(r.shape[0] for r in drawn)
        out["findings"][y] = hit.shape[0]
        out["coverage"][y] = int(frame[rows].sum()) / n_frame
        out["visits"][y] = nv
        out["burden"][y] = nv / n_frame
        out["finding_rate"][y] = hit.shape[0] / rows.shape[0] if rows.shape[0] else math.nan
        for r in drawn:
            cv[y] += np.bincount(cls[r], minlength=k)
        cf[y] = np.bincount(cls[hit], minlength=k)
        if report is not None:
            report.advance(1)
    return out, cv, cf


def simulate_policy(
    roster: TargetRoster,
    designs: Mapping[str, Design],
    prevalence: Mapping[str, float] | npt.ArrayLike,
    *,
    years: int = 1000,
    rng: Any = None,
    budget: float | None = None,
    active_only: bool = True,
    progress: ProgressArg = None,
    client: Any = None,
) -> PolicySimulation:
    """Simulate ``years`` years of each design and record findings, coverage and burden.

    A simulation (``rng=``), not an official draw: each year calls :func:`randcheck.draw` with a
    generator, so the samples follow exactly the official design. Each enterprise violates in
    each simulated year with its prevalence, independently of everything else; an enterprise
    inspected (once or more) and violating is one finding. Each simulated year has its own
    stream, spawned from ``rng`` (:meth:`numpy.random.Generator.spawn`: ``years`` streams per
    design, designs in the order given), so a year's figures do not depend on where or after
    which other year it is computed: on a Dask cluster (``client=``) they are the same.

    Parameters
    ----------
    roster : TargetRoster
        The directory.
    designs : mapping of name to design
        A design is a :class:`~randcheck.SamplingPlan`, a rate table ``{"A": 0.01, …}`` or a
        sequence of plans drawn independently in the same year (several items).
    prevalence : mapping of class to float, or array
        Assumed violation prevalence per risk class, or per roster row.
    years : int
        Simulated years per design.
    rng : optional
        Anything :func:`numpy.random.default_rng` accepts; fix it for reproducible figures.
    budget : float, optional
        Visits the bureau can afford in a year; the summary says how often a design stays
        within it.
    active_only : bool
        Coverage and burden count enterprises that are not 注销, 吊销, 撤销 or 迁出.
    progress : bool or callable, optional
        ``True`` for a tqdm bar (when tqdm is installed), or a callable
        ``progress(done, total)`` called after each simulated year with the years simulated
        so far over every design (``total = years × len(designs)``). On Dask, ``True`` shows
        Dask's progress bar and a callable is called as batches of years finish.
    client : distributed.Client, optional
        Simulate the years on this Dask cluster (the roster is sent to every worker once; each
        task simulates a batch of years): the same figures as without it.

    Returns
    -------
    PolicySimulation

    Raises
    ------
    PlanError
        A design that does not fit the roster, a prevalence outside [0, 1] or missing for a class,
        ``years < 1``.

    Examples
    --------
    >>> from randcheck.policy import simulate_policy
    >>> county = randcheck.example_county()
    >>> sim = simulate_policy(
    ...     county.targets,
    ...     {"henan": {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3},
    ...      "flat": {k: 0.03 for k in "ABCD"}},
    ...     {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3}, years=50, rng=1)
    >>> [(r["design"], round(r["expected"])) for r in sim.summary() if r["measure"] == "findings"]
    [('henan', 161), ('flat', 56)]
    """
    if years < 1 or int(years) != years:
        raise PlanError(f"years = {years!r} must be a whole number ≥ 1")
    if not designs:
        raise PlanError("give at least one design")
    p = _prevalence(roster, prevalence)
    gen = np.random.default_rng(rng)
    frame = _frame_mask(roster, active_only)
    n_frame = max(int(frame.sum()), 1)
    cls = roster.risk_class.astype(np.intp)
    k = len(RISK_LETTERS)
    class_sizes = np.bincount(cls[frame], minlength=k).astype(np.int64)
    expected: dict[str, dict[str, float]] = {}
    plans: dict[str, tuple[SamplingPlan, ...]] = {}
    streams: dict[str, list[np.random.Generator]] = {}
    for name, design in designs.items():
        plans[name] = _as_plans(name, design)
        streams[name] = gen.spawn(int(years))
        pis = [inclusion_probabilities(roster, pl) for pl in plans[name]]
        none = np.ones(len(roster))
        for pi in pis:
            none *= 1.0 - pi
        reach = 1.0 - none
        e_visits = float(sum(pi.sum() for pi in pis))
        e_find = float((reach * p).sum())
        expected[name] = {
            "findings": e_find,
            "coverage": float(reach[frame].sum() / n_frame),
            "visits": e_visits,
            "burden": e_visits / n_frame,
            "finding_rate": e_find / float(reach.sum()) if reach.sum() else math.nan,
        }
    if client is not None:
        years_of = ondask.simulate_years(
            client, _simulate_years, (roster, p, frame, cls), plans, streams, progress
        )
    else:
        report = Reporter(progress, int(years) * len(designs), "simulated years", unit="years")
        try:
            years_of = {
                name: _simulate_years(roster, p, frame, cls, plans[name], streams[name], report)
                for name in designs
            }
        finally:
            report.close()
    values = {name: years_of[name][0] for name in designs}
    by_class = {
        name: {"visits": years_of[name][1], "findings": years_of[name][2]} for name in designs
    }
    return PolicySimulation(tuple(designs), values, by_class, expected, class_sizes, budget)


# ------------------------------------------------------------------------------ allocation
@attrs.frozen
class Allocation:
    """The rate table that maximises expected findings under a budget, from :func:`optimal_rates`.

    Attributes
    ----------
    rates : mapping of class to float
        The optimal rate per risk class.
    enterprises : mapping of class to int
        ``N_h``, enterprises per class in the frame.
    expected_visits, expected_findings, coverage : float
        ``Σ N_h r_h``, ``Σ N_h r_h p_h`` and ``Σ N_h r_h ÷ N``.
    binding : tuple of str
        The constraints that hold with equality (``"budget"``, ``"coverage"``,
        ``"min:A"``, ``"max:D"``…): what limits the solution.
    """

    rates: Mapping[str, float]
    enterprises: Mapping[str, int]
    expected_visits: float
    expected_findings: float
    coverage: float
    binding: tuple[str, ...]

    def plan(self, **kwargs: Any) -> SamplingPlan:
        """A :class:`~randcheck.SamplingPlan` with these rates (other fields from ``kwargs``)."""
        return SamplingPlan(rates=dict(self.rates), **kwargs)

    def to_rows(self) -> list[dict[str, Any]]:
        """A tidy table: one row per class with its enterprises, rate and expected visits."""
        return [
            {
                "risk_class": k,
                "enterprises": self.enterprises[k],
                "rate": r,
                "expected_visits": self.enterprises[k] * r,
            }
            for k, r in self.rates.items()
        ]


def _per_class(
    value: float | Mapping[str, float], letters: Sequence[str], what: str, default: float
) -> dict[str, float]:
    if isinstance(value, Mapping):
        out = {c: default for c in letters}
        for k, v in value.items():
            letter = str(k).strip().upper().removesuffix("类")
            if letter not in RISK_LETTERS:
                raise PlanError(f"{what}: unknown risk class {k!r}")
            if letter in out:
                out[letter] = float(v)
    else:
        out = {c: float(value) for c in letters}
    for c, v in out.items():
        if not 0.0 <= v <= 1.0:
            raise PlanError(f"{what}[{c!r}] = {v} is outside [0, 1]")
    return out


def _class_sizes(
    roster: TargetRoster | Mapping[str, int], eligibility: Eligibility | None
) -> dict[str, int]:
    """Enterprises per risk class: counted on a roster (eligible rows), or as given."""
    if isinstance(roster, TargetRoster):
        elig = (eligibility or Eligibility()).mask(roster)
        counts = np.bincount(roster.risk_class[elig].astype(np.intp), minlength=len(RISK_LETTERS))
        return {RISK_LETTERS[k]: int(c) for k, c in enumerate(counts) if c}
    sizes = {}
    for k, v in roster.items():
        letter = str(k).strip().upper().removesuffix("类")
        if letter not in RISK_LETTERS:
            raise PlanError(f"enterprises: unknown risk class {k!r}")
        if int(v) < 0:
            raise PlanError(f"enterprises[{k!r}] = {v} must be ≥ 0")
        if v:
            sizes[letter] = int(v)
    return sizes


def _check_feasible(
    need_min: float, can_max: float, need_cov: float, budget: float, coverage: float
) -> None:
    """Refuse, naming every rule in the way, when no rate table can meet them all."""
    problems = []
    if need_min > budget:
        problems.append(
            f"the minimum rates need {need_min:,.1f} visits but the budget is {budget:,.1f}"
        )
    if need_cov > budget:
        problems.append(
            f"the {coverage:.0%} coverage rule needs {need_cov:,.1f} visits but the "
            f"budget is {budget:,.1f}"
        )
    if need_cov > can_max:
        problems.append(
            f"the maximum rates allow only {can_max:,.1f} visits, below the "
            f"{coverage:.0%} coverage rule's {need_cov:,.1f}"
        )
    if problems:
        raise PlanError("no rate table meets every rule: " + "; ".join(problems))


def optimal_rates(
    roster: TargetRoster | Mapping[str, int],
    prevalence: Mapping[str, float],
    budget: float,
    *,
    min_rate: float | Mapping[str, float] = 0.0,
    max_rate: float | Mapping[str, float] = 1.0,
    coverage: float = COVERAGE_GOAL,
    eligibility: Eligibility | None = None,
) -> Allocation:
    """Per-class rates that maximise expected findings under a budget and the rules.

    Solves ``max Σ_h N_h p_h r_h`` subject to ``Σ_h N_h r_h ≤ budget``,
    ``Σ_h N_h r_h ≥ coverage·Σ_h N_h`` and ``min_h ≤ r_h ≤ max_h`` (scipy's HiGHS linear
    programming). With one plan a year the enterprises drawn are distinct, so the expected
    coverage is ``Σ N_h r_h ÷ N``.

    Parameters
    ----------
    roster : TargetRoster or mapping of class to int
        The directory (the eligible enterprises per class are counted, by default those not
        注销, 吊销, 撤销 or 迁出), or the counts ``N_h``.
    prevalence : mapping of class to float
        Assumed violation prevalence per class.
    budget : float
        Visits affordable in the year.
    min_rate : float or mapping
        Lowest rate per class (不免抽: no class is exempt), default 0.
    max_rate : float or mapping
        Highest rate per class (无事不扰: e.g. A at most 5%), default 1.
    coverage : float
        The coverage rule (default 3%).
    eligibility : Eligibility, optional
        Which roster rows count (default: the plan default, active enterprises).

    Returns
    -------
    Allocation

    Raises
    ------
    PlanError
        When no rate table meets every rule, saying which rules conflict (for example a budget
        below the 3% coverage or below the minimum rates).

    Examples
    --------
    >>> from randcheck.policy import optimal_rates
    >>> a = optimal_rates({"A": 20000, "B": 14000, "C": 3000, "D": 1000},
    ...                   {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3}, budget=1500, min_rate=0.01)
    >>> {k: round(v, 4) for k, v in a.rates.items()}
    {'A': 0.01, 'B': 0.01, 'C': 0.0533, 'D': 1.0}
    >>> a.binding
    ('budget', 'min:A', 'min:B', 'max:D')
    """
    from scipy.optimize import linprog

    sizes = _class_sizes(roster, eligibility)
    letters = sorted(sizes)
    if not letters:
        raise PlanError("no enterprises to allocate visits to")
    prev = _per_class(prevalence, letters, "prevalence", math.nan)
    missing = [c for c in letters if math.isnan(prev[c])]
    if missing:
        raise PlanError(f"prevalence gives no value for class(es) {', '.join(missing)}")
    lo = _per_class(min_rate, letters, "min_rate", 0.0)
    hi = _per_class(max_rate, letters, "max_rate", 1.0)
    for c in letters:
        if lo[c] > hi[c]:
            raise PlanError(f"class {c}: min_rate {lo[c]} is above max_rate {hi[c]}")
    if not 0.0 <= coverage <= 1.0:
        raise PlanError(f"coverage = {coverage} is outside [0, 1]")
    n = np.array([sizes[c] for c in letters], dtype=np.float64)
    total = float(n.sum())
    need_cov = coverage * total
    _check_feasible(
        float((n * [lo[c] for c in letters]).sum()),
        float((n * [hi[c] for c in letters]).sum()),
        need_cov,
        budget,
        coverage,
    )
    p = np.array([prev[c] for c in letters])
    res = linprog(
        c=-(n * p),
        A_ub=np.vstack([n, -n]),
        b_ub=np.array([float(budget), -need_cov]),
        bounds=[(lo[c], hi[c]) for c in letters],
        method="highs",
    )
    if res.status != 0:  # pragma: no cover - feasibility is checked above
        raise PlanError(f"the allocation problem could not be solved: {res.message}")
    r = np.clip(np.round(res.x, 12), [lo[c] for c in letters], [hi[c] for c in letters])
    visits = float((n * r).sum())
    tol = 1e-9 * max(total, 1.0)
    binding = []
    if abs(visits - budget) <= tol:
        binding.append("budget")
    if abs(visits - need_cov) <= tol:
        binding.append("coverage")
    binding += [f"min:{c}" for c, v in zip(letters, r, strict=True) if abs(v - lo[c]) <= 1e-12]
    binding += [f"max:{c}" for c, v in zip(letters, r, strict=True) if abs(v - hi[c]) <= 1e-12]
    return Allocation(
        rates={c: float(v) for c, v in zip(letters, r, strict=True)},
        enterprises=sizes,
        expected_visits=visits,
        expected_findings=float((n * r * p).sum()),
        coverage=visits / total,
        binding=tuple(binding),
    )


# ------------------------------------------------------------------------------ results
_FIND_KINDS: Final = (
    (RESULT_CATEGORIES[2], 0.25, "责令改正"),
    (RESULT_CATEGORIES[3], 0.10, "移送办案机构"),
    (RESULT_CATEGORIES[4], 0.10, "反馈日常监管部门"),
    (RESULT_CATEGORIES[5], 0.15, "责令改正"),
    ("发现问题经责令已改正", 0.35, "责令改正"),
    ("不配合检查情节严重", 0.05, "移送办案机构"),
)
_CLEAN_KINDS: Final = (
    ("未发现问题", 0.90),
    ("未发现开展本次抽查涉及的经营活动", 0.06),
    ("已关闭停业或正在组织清算", 0.04),
)


def simulate_results(
    drawn: Draw | Batch,
    roster: TargetRoster,
    prevalence: Mapping[str, float] | npt.ArrayLike,
    *,
    rng: Any,
    start: Any = "2023-04-03",
    days: int = 200,
    department: str = "",
    task: str = "",
    officers: OfficerRoster | None = None,
    late_share: float = 0.05,
    unpublished_share: float = 0.01,
) -> ResultTable:
    """A plausible year of results for a draw or batch (a simulation, for tutorials and tests).

    Each drawn (item, target) pair gets one result. A target violates with its prevalence; a
    violation becomes a finding category (mostly 发现问题待后续处理 with a sub-kind, or
    发现问题经责令已改正), with the usual follow-up; otherwise 未发现问题 (or, rarely, no
    business activity / closed). Inspections end uniformly over ``days`` days from ``start``;
    results are entered 0–12 days later and published 0–5 days after entry, except a
    ``late_share`` published 30–60 days after the inspection (late) and an
    ``unpublished_share`` never published. Follow-ups close 10–90 days after the inspection,
    20% of them not yet.

    Parameters
    ----------
    drawn : Draw or Batch
        The draw (item = the plan's name) or batch (item and department from each item).
    roster : TargetRoster
        The directory the draw came from (for the risk classes).
    prevalence : mapping of class to float, or array per roster row
        Violation probabilities.
    rng
        Anything :func:`numpy.random.default_rng` accepts (not an official draw).
    start, days
        The period in which inspections end.
    department, task : str
        Labels for the results of a single draw (the batch's items carry their department).
    officers : OfficerRoster, optional
        Two active officers are picked per result as inspectors; the first enters it.
    late_share, unpublished_share : float
        Shares of results published late, and never.

    Returns
    -------
    ResultTable
    """
    gen = np.random.default_rng(rng)
    p = _prevalence(roster, prevalence)
    rows, items, depts = _drawn_pairs(drawn, department)
    n = rows.shape[0]
    # The generator is used in a fixed order: outcomes, dates, inspectors.
    cats, follow = _outcomes(gen, p[rows])
    needs = np.array([f != FOLLOW_UPS[0] for f in follow], dtype=bool)
    end, entered, published, closed = _dates(
        gen,
        np.datetime64(dt.date.fromisoformat(str(start)), "D"),
        days,
        needs,
        late_share,
        unpublished_share,
    )
    inspectors = _inspectors(gen, officers, n)
    codes = np.strings.decode(roster.credit_code[rows], "ascii")
    prefix = task or "R"
    return ResultTable.from_columns(
        {
            "result_id": [f"{prefix}-{i + 1:06d}" for i in range(n)],
            "credit_code": codes,
            "item": items,
            "department": depts,
            "task": [task] * n,
            "categories": cats.tolist(),
            "followups": follow.tolist(),
            "inspectors": inspectors.tolist(),
            "inspection_end": end,
            "entered_by": [s.split(";")[0] for s in inspectors.tolist()],
            "entered_on": entered,
            "published_on": published,
            "closed_on": closed,
        }
    )


def _drawn_pairs(
    drawn: Draw | Batch, department: str
) -> tuple[npt.NDArray[np.intp], list[str], list[str]]:
    """The drawn (roster row, item, department) pairs: one per item a visit checks."""
    pairs_rows: list[npt.NDArray[np.intp]] = []
    items: list[str] = []
    depts: list[str] = []
    if isinstance(drawn, Batch):
        for it in drawn.items:
            r = _item_rows(drawn, it.code)
            pairs_rows.append(np.asarray(r, dtype=np.intp))
            items += [it.code] * len(r)
            depts += [it.department] * len(r)
    else:
        pairs_rows.append(drawn.rows)
        items += [drawn.plan.name or "ITEM"] * len(drawn)
        depts += [department] * len(drawn)
    rows = np.concatenate(pairs_rows) if pairs_rows else np.zeros(0, dtype=np.intp)
    return rows, items, depts


def _outcomes(
    gen: np.random.Generator, prevalence: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Each check's result category and follow-up: a finding with the target's prevalence."""
    n = prevalence.shape[0]
    violates = gen.random(n) < prevalence
    cats = np.empty(n, dtype=object)
    follow = np.empty(n, dtype=object)
    fk = np.asarray(gen.choice(len(_FIND_KINDS), size=n, p=[w for _, w, _ in _FIND_KINDS]))
    ck = np.asarray(gen.choice(len(_CLEAN_KINDS), size=n, p=[w for _, w in _CLEAN_KINDS]))
    for i in range(n):
        if violates[i]:
            cats[i], _, follow[i] = _FIND_KINDS[fk[i]]
        else:
            cats[i] = _CLEAN_KINDS[ck[i]][0]
            follow[i] = FOLLOW_UPS[0]
    return cats, follow


def _dates(
    gen: np.random.Generator,
    day0: np.datetime64,
    days: int,
    needs: npt.NDArray[np.bool_],
    late_share: float,
    unpublished_share: float,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """Inspection end, entry, publication (some late, some never) and close-out dates."""
    n = needs.shape[0]

    def days_after(base: Any, lo: int, hi: int, size: int) -> npt.NDArray[Any]:
        return np.asarray(base + np.asarray(gen.integers(lo, hi, size)), dtype="datetime64[D]")

    end = days_after(day0, 0, days, n)
    entered = days_after(end, 0, 13, n)
    published = days_after(entered, 0, 6, n)
    late = np.asarray(gen.random(n) < late_share, dtype=bool)
    published[late] = days_after(end[late], 30, 61, int(late.sum()))
    entered[late] = np.minimum(entered[late], published[late])
    published[np.asarray(gen.random(n) < unpublished_share, dtype=bool)] = np.datetime64("NaT")
    closed = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    shut = needs & np.asarray(gen.random(n) < 0.8, dtype=bool)
    closed[shut] = days_after(end[shut], 10, 91, int(shut.sum()))
    return end, entered, published, closed


def _inspectors(
    gen: np.random.Generator, officers: OfficerRoster | None, n: int
) -> npt.NDArray[Any]:
    """Two distinct active, non-expert officers per check (``a;b``), or empty strings."""
    inspectors = np.full(n, "", dtype=object)
    if officers is not None:
        ids = np.asarray(officers.officer_id)[
            np.asarray(officers.active) & ~np.asarray(officers.expert)
        ]
        if ids.shape[0] >= 2:
            a = np.asarray(gen.integers(0, ids.shape[0], n))
            b = (a + np.asarray(gen.integers(1, ids.shape[0], n))) % ids.shape[0]
            inspectors = np.array(
                [f"{ids[x]};{ids[y]}" for x, y in zip(a.tolist(), b.tolist(), strict=True)],
                dtype=object,
            )
    return inspectors


def _item_rows(batch: Batch, code: str) -> npt.NDArray[np.intp]:
    """Roster rows of the visits that check item ``code``."""
    k = [it.code for it in batch.items].index(code)
    v = batch.visits
    has = np.zeros(len(v), dtype=bool)
    owner = np.repeat(np.arange(len(v)), np.diff(v.item_indptr))
    has[owner[v.item_index == k]] = True
    return np.asarray(v.target_rows[has], dtype=np.intp)
