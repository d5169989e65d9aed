"""Where every random number in randcheck comes from (随机数的来源), in one layer.

Official draws take a public ``seed`` and derive every number from it with SHA-256 (recipe
``randcheck-prn/2``, :mod:`randcheck.randomness.keys`), so that anyone can recompute a draw with
nothing but Python's standard library; simulations take a numpy ``Generator``. Every design asks
for numbers through one protocol, :class:`UniformSource`, and selects with one rule,
:func:`~randcheck.randomness.select.smallest_per_stratum`.

Modules: :mod:`~randcheck.randomness.keys` (the key tree and its labels),
:mod:`~randcheck.randomness.seeds` (seed rules), :mod:`~randcheck.randomness.sources` (the
protocol and its two sources), :mod:`~randcheck.randomness.shared` (a coordinated batch's
shared numbers), :mod:`~randcheck.randomness.hashing` (hashing on every core),
:mod:`~randcheck.randomness.digests` (sample digests) and :mod:`~randcheck.randomness.select`
(the selection rule).
"""

from randcheck.randomness.digests import sorted_ids_digest
from randcheck.randomness.keys import (
    LABEL_BATCH,
    LABEL_ITEM,
    LABEL_MATCHING,
    LABEL_REVISITS,
    LABEL_ROUND,
    LABEL_ROUNDING,
    LABEL_START,
    LABEL_UNITS,
    PRN_RECIPE,
    check_path,
    child_key,
    key_at,
    normalise_seed,
    root_key,
    run_label,
    stratum_label,
    uniform_reference,
)
from randcheck.randomness.seeds import SEED_RULE_RECIPE, NumberGroup, SeedRule
from randcheck.randomness.shared import CoordinatedSource, SharedStarts, SharedUnits
from randcheck.randomness.sources import GeneratorSource, HashSource, UniformSource, source_for

__all__ = [
    "LABEL_BATCH",
    "LABEL_ITEM",
    "LABEL_MATCHING",
    "LABEL_REVISITS",
    "LABEL_ROUND",
    "LABEL_ROUNDING",
    "LABEL_START",
    "LABEL_UNITS",
    "PRN_RECIPE",
    "SEED_RULE_RECIPE",
    "CoordinatedSource",
    "GeneratorSource",
    "HashSource",
    "NumberGroup",
    "SeedRule",
    "SharedStarts",
    "SharedUnits",
    "UniformSource",
    "check_path",
    "child_key",
    "key_at",
    "normalise_seed",
    "root_key",
    "run_label",
    "sorted_ids_digest",
    "source_for",
    "stratum_label",
    "uniform_reference",
]
