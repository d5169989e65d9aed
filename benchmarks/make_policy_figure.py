"""Make ``docs/_static/policy-designs.png``: three rate tables compared on the example county.

Run ``python benchmarks/make_policy_figure.py`` (needs the ``plot`` extra, matplotlib). The
simulation is fixed (``rng=2023``), so the figure changes only when the design or the code does;
the how-to "Compare rate tables" shows the same call.
"""

from __future__ import annotations

import pathlib

import randcheck
from randcheck.policy import optimal_rates, simulate_policy

OUT = pathlib.Path(__file__).resolve().parent.parent / "docs" / "_static" / "policy-designs.png"
PREVALENCE = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.30}


def main() -> None:
    county = randcheck.example_county()
    best = optimal_rates(county.targets, PREVALENCE, budget=1200, min_rate=0.01)
    sim = simulate_policy(
        county.targets,
        {
            "henan-2021": randcheck.SamplingPlan.from_preset("henan-2021"),
            "flat 3%": {"A": 0.03, "B": 0.03, "C": 0.03, "D": 0.03},
            "optimal": best.plan(),
        },
        PREVALENCE,
        years=1000,
        rng=2023,
        budget=1200,
    )
    fig = sim.plot(("findings", "coverage", "visits"), figsize=(11.0, 3.6))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
