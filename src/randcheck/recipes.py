"""The registry of recipes: every versioned name (``randcheck-prn/2``, ``randcheck-archive/2``…)
that fixes the bytes of something randcheck publishes or recomputes.

A recipe name is written into records (a receipt's ``format``, a commitment's ``recipe``) or fed
into a hash as a tag, so a record says by which rules it was made. From release 0.1.0 on each
recipe in :data:`RECIPES` stays verifiable for ever: a change to the bytes it fixes is a new
recipe (``/3``), never an edit of an old one. A recipe found flawed before any release is not kept
next to its replacement: it goes to :data:`RETIRED_RECIPES` with the reason, and records naming
it are refused with that reason.

``tests/test_recipes.py`` checks that every ``randcheck-…/N`` literal in the package is a key of
one of the two tables, and that each recipe is spelled in the module this table names. The docs
page "Frozen recipes" (``docs/reference/recipes.rst``) is generated from this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["RECIPES", "RETIRED_RECIPES"]

#: Recipe name → what it fixes; the last ``; in `module``` names the module that makes its bytes.
RECIPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "randcheck-prn/2": (
            "the random numbers: a seed's root key, a child key per label, and one uniform "
            "number per id under a key, all by SHA-256; in `randcheck.randomness.keys`"
        ),
        "randcheck-seed-rule/2": (
            "how a seed's text is read and spelled before it is hashed (a lottery draw of a "
            "committed date, dice, a custom pattern), committed before the seed exists; "
            "in `randcheck.randomness.seeds`"
        ),
        "randcheck-seed-rule/1": (
            "the seed rule of release 0.1.0, still verified but no longer made: a dated rule "
            "named no date, so a drawer could write a lottery result under a date of their "
            "choosing; in `randcheck.randomness.seeds`"
        ),
        "randcheck-plan/1": (
            "a sampling plan as canonical JSON, and its digest; in `randcheck.sampling.plan`"
        ),
        "randcheck-commitment/2": (
            "the commitment published before the seed: the roster and plan digests, the key "
            "path and the seed rule; in `randcheck.sampling.commitment`"
        ),
        "randcheck-draw/2": (
            "the draw: eligibility, strata, allocation and rounding of the sizes, π-ps "
            "probabilities, and the selection of the smallest numbers; in `randcheck.sampling`"
        ),
        "randcheck-receipt/2": (
            "a draw's receipt: its fields and their reading; in `randcheck.sampling`"
        ),
        "randcheck-sample/1": (
            "the digest of a drawn sample: SHA-256 of the sorted ids; "
            "in `randcheck.randomness.digests`"
        ),
        "randcheck-roster/2": (
            "a target roster's digest: canonical rows, keyed buckets and their root, "
            "independent of row order; in `randcheck.roster`"
        ),
        "randcheck-officers/2": (
            "an officer roster's digest, by the same buckets as the targets; in `randcheck.roster`"
        ),
        "randcheck-batch/2": (
            "a batch or joint task's receipt: the items, their plans and each item's draw "
            "(coordinated or independent); in `randcheck.joint`"
        ),
        "randcheck-merge/1": (
            "how the item draws of a batch merge into visits, one per target; in `randcheck.joint`"
        ),
        "randcheck-batch-plans/2": (
            "the digest a batch commitment covers: the items' records and plans, the team size, "
            "lead order and plan year; in `randcheck.joint`"
        ),
        "randcheck-joint-task/1": (
            "the digest a joint task's commitment covers besides its frame: the plan, the items' "
            "records, the team size, lead order and plan year; in `randcheck.joint`"
        ),
        "randcheck-batch-plans/1": (
            "the batch digest of release 0.1.0, still verified but no longer made: the item "
            "plans alone (lead order, team size and the items' departments could be chosen "
            "after the seed); in `randcheck.joint`"
        ),
        "randcheck-matching/3": (
            "officer matching: the marginals q*, their spreading under the pair cap, and the "
            "dependent rounding by the seed's numbers; in `randcheck.matching`"
        ),
        "randcheck-matching-plan/1": (
            "what a matching's commitment fixes before its seed: the rules, the visits and "
            "exclusions digests, q*, the marginals' bits and the SHA-256 of the marginals; "
            "in `randcheck.matching.rules`"
        ),
        "randcheck-matching-record/1": (
            "a matching's published record: the rules, the visits and exclusions digests and "
            "the teams; in `randcheck.matching`"
        ),
        "randcheck-matching-sweep/1": (
            "officer matching by systematic sweeps: the sweep order of officers, the groups "
            "of each visit type's windows, one number per window index and the cyclic draw "
            "past exclusions; in `randcheck.matching.sweep`"
        ),
        "randcheck-sweep-plan/1": (
            "what a sweep matching's commitment fixes before its seed: the rules and the "
            "visits and exclusions digests; in `randcheck.matching.sweep`"
        ),
        "randcheck-sweep-record/1": (
            "a sweep matching's published record: the rules, the digests, the numbers, the "
            "sweeps and the teams; in `randcheck.matching.sweep`"
        ),
        "randcheck-revisit/2": (
            "a supervisory revisit draw (督导回访) and its receipt; in `randcheck.results.revisits`"
        ),
        "randcheck-revisit-frame/1": (
            "the digest of the results a revisit draw chose from; in `randcheck.results.revisits`"
        ),
        "randcheck-revisit-plan/1": (
            "what a revisit draw's commitment fixes before its seed: the plan and the frame's "
            "date; in `randcheck.results.revisits`"
        ),
        "randcheck-revisit-sample/1": (
            "the digest of the results drawn for revisits; in `randcheck.randomness.digests`"
        ),
        "randcheck-archive/2": (
            "an archive's manifest over every file, and its anchor (SHA-256 of the manifest); "
            "in `randcheck.archive`"
        ),
        "randcheck-canonical-json/1": (
            "canonical JSON: the one text of a record that digests are taken over; "
            "in `randcheck._records`"
        ),
        "randcheck-synthetic/1": (
            "the synthetic targets and officers of the example county, row by row from a "
            "seed; in `randcheck.example`"
        ),
    }
)

#: Recipe name → why it was retired (before any release: nothing was published under it).
RETIRED_RECIPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "randcheck-prn/1": (
            "it joined key labels into one string, so one key could be reached by two paths "
            "(stream 'item/SW-02', or the child 'item' then 'SW-02'); replaced by "
            "randcheck-prn/2"
        ),
        "randcheck-draw/1": (
            "all strata shared one rounding start, so for one seed a draw at lower rates was "
            "not always a subset of one at higher rates; replaced by randcheck-draw/2"
        ),
        "randcheck-commitment/1": (
            "it joined its key with '/' and had no seed rule, so the seed's spelling could be "
            "chosen after the lottery; replaced by randcheck-commitment/2"
        ),
        "randcheck-receipt/1": (
            "it recorded a '/'-joined key and no seed rule, seed source or warnings; replaced by "
            "randcheck-receipt/2"
        ),
        "randcheck-batch/1": (
            "its items were drawn under randcheck-prn/1 keys and randcheck-draw/1; replaced by "
            "randcheck-batch/2 (key path ['batch', label])"
        ),
        "randcheck-revisit/1": (
            "it drew with randcheck-prn/1 numbers; replaced by randcheck-revisit/2 (the same "
            "draws with randcheck-prn/2 numbers)"
        ),
        "randcheck-roster/1": (
            "it sorted the whole directory by credit code, so its cost grew faster than the "
            "roster and it could not be computed in parts; replaced by randcheck-roster/2"
        ),
        "randcheck-officers/1": (
            "the officer digest of randcheck-roster/1; replaced by randcheck-officers/2"
        ),
        "randcheck-matching/1": (
            "a pair cap could be exceeded and pair probabilities were conditional on drawn "
            "candidate blocks; replaced by randcheck-matching/3"
        ),
        "randcheck-matching/2": (
            "as randcheck-matching/1 (candidate blocks and a 0/1 programme fallback); "
            "replaced by randcheck-matching/3"
        ),
        "randcheck-archive/1": (
            "its manifest has no published anchor, so a rewritten manifest passed"
        ),
    }
)
