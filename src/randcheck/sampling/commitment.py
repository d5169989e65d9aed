"""The commitment (承诺) published before the seed: roster, plan, key path and seed rule."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from randcheck._records import JsonRecord, at, field_error, first_difference, read_object
from randcheck.errors import PlanError, VerificationError
from randcheck.randomness import (
    LABEL_UNITS,
    HashSource,
    check_path,
)
from randcheck.randomness.seeds import SEED_RULE_RECIPE, SeedRule
from randcheck.roster import (
    TargetRoster,
)
from randcheck.sampling.plan import COMMITMENT_RECIPE, ELIGIBILITY_FIELDS, PLAN_FIELDS, SamplingPlan
from randcheck.sampling.probabilities import inclusion_probabilities


def check_plan_record(data: Mapping[str, Any], label: str, path: str) -> None:
    """A plan inside a record: its fields and their JSON types, valid, and in canonical form.

    Any other spelling (``"a"`` for ``"A"``, ``"20%"`` for 0.2, ``0`` for ``false``, lists out
    of order) could be read two ways, and would change the plan's digest.
    """
    read_object(data, PLAN_FIELDS, label, path)
    read_object(data["eligibility"], ELIGIBILITY_FIELDS, label, at(path, "eligibility"))
    try:
        plan = SamplingPlan.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise field_error(label, path, f"is not a valid sampling plan: {exc}") from None
    where = first_difference(plan.to_dict(), data, path)
    if where is not None:
        raise field_error(
            label,
            where,
            "not written as randcheck writes this plan (its canonical form: valid labels, "
            "sorted lists, numbers as numbers); a record must state the plan exactly",
        )


def _commitment_digest(
    roster_digest: str, plan_digest: str, path: Sequence[str], seed_rule: str, seed_from: str
) -> str:
    """``sha256:`` + SHA-256 of the commitment's canonical JSON (see :class:`Commitment`)."""
    body = {
        "path": list(path),
        "plan_digest": plan_digest,
        "recipe": COMMITMENT_RECIPE,
        "roster_digest": roster_digest,
        "seed_from": seed_from,
        "seed_rule": json.loads(seed_rule),
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


_DIGEST = re.compile("sha256:[0-9a-f]{64}")


@attrs.frozen
class Commitment(JsonRecord):
    """A fingerprint of roster, plan, key path and seed rule, published before the seed exists.

    Recipe ``randcheck-commitment/2``: ``digest = "sha256:" + SHA-256`` of the UTF-8 JSON object
    ``{"path": [...], "plan_digest": ..., "recipe": "randcheck-commitment/2", "roster_digest":
    ..., "seed_from": ..., "seed_rule": {...}}`` with sorted keys and no white space
    (``separators=(",", ":")``, characters kept, not escaped). ``path`` is the list of key labels
    from the seed's root key to the key the draw's numbers come from (``["units"]`` for a
    stand-alone draw, ``["batch", "<label>"]`` for a batch; :mod:`randcheck.randomness`),
    ``seed_rule`` the :class:`~randcheck.SeedRule` as its dict, and ``seed_from`` where the seed
    will come from, in words (e.g. "福利彩票双色球 2025年3月4日 开奖结果").

    Publishing it first proves the frame, the plan, the key and the way the seed will be read
    were fixed before anyone could know the seed: nobody can pick a seed, a key path or a
    spelling of the seed that suits them. A draw under a commitment re-derives its key from the
    seed and the committed path, and uses the seed's canonical form under the committed rule.
    The pre-release ``randcheck-commitment/1`` (a key joined with ``/``, no seed rule) is retired.

    Read a published ``commitment.json`` with :meth:`from_json` (strict, like every record: a
    digest that does not follow from the other fields is a :class:`~randcheck.VerificationError`).
    """

    roster_digest: str
    plan_digest: str
    path: tuple[str, ...]
    seed_rule: Mapping[str, Any]
    seed_from: str
    digest: str
    recipe: str = COMMITMENT_RECIPE

    FORMAT: ClassVar[str] = COMMITMENT_RECIPE
    FORMAT_FIELD: ClassVar[str] = "recipe"
    LABEL: ClassVar[str] = "commitment"

    @property
    def rule(self) -> SeedRule:
        """The committed :class:`~randcheck.SeedRule` (``seed_rule`` holds it as its dict)."""
        return SeedRule.from_dict(self.seed_rule)

    def seed_for_drawing(self, seed: str) -> str:
        """The canonical form of ``seed`` under the committed rule, for a draw made now.

        Raises
        ------
        PlanError
            If the seed does not fit the rule, or the rule is of the retired
            ``randcheck-seed-rule/1`` (no draw date: a draw under it could choose the date,
            and with it the sample; such commitments are only read, to verify old records).
        """
        rule = self.rule
        if rule.recipe != SEED_RULE_RECIPE:
            raise PlanError(
                f"this commitment's seed rule is the retired {rule.recipe}, which names no draw "
                f"date: randcheck no longer draws under it. Publish a new commitment under "
                f"{SEED_RULE_RECIPE} before the seed is known"
            )
        return rule.canonical(seed)

    def source_for_drawing(
        self, seed: str | None, rng: Any, source: Any, label: str, default: str, what: str
    ) -> HashSource:
        """The key of a record made now under this commitment (a matching, a revisit draw):
        the seed, read by the committed rule (:meth:`seed_for_drawing`), at the committed path.

        ``label`` is the caller's key label, ``default`` its default: another label than the
        committed one is refused, as are ``rng`` and ``source`` (``what`` names the record).
        """
        if rng is not None or source is not None or seed is None:
            raise PlanError(
                f"a committed {what} takes its key from the public seed and the committed path "
                "alone: pass seed= with commitment=, not rng= or source="
            )
        if label != default and (label,) != tuple(self.path):
            raise PlanError(
                f"label {label!r}: the commitment fixes the key path {list(self.path)}; leave "
                f"the label out of a committed {what}"
            )
        return HashSource.from_seed(self.seed_for_drawing(seed)).at(self.path)

    def require_plan(self, plan_digest: str, what: str) -> None:
        """Refuse to draw a record now whose plan is not the committed one (``what`` says in
        words what the plan digest covers)."""
        if plan_digest != self.plan_digest:
            raise PlanError(
                f"commitment: {what} are not the committed ones; draw what was committed, or "
                "publish a new commitment before a new seed"
            )

    def findings(
        self,
        roster_digest: str,
        plan_digest: str,
        path: Sequence[str],
        seed: object,
        *,
        roster: str = "the directory",
        plan: str = "the plan",
    ) -> list[str]:
        """What differs between a published record and this commitment: the record's roster
        and plan digests (as its kind computes them), its key path, and whether its seed is
        written as the committed rule reads it. Empty when the record was made under it.

        Every kind of record verified against a commitment of this form (a matching, a
        revisit draw) asks these four questions; ``roster`` and ``plan`` say in words what its
        two digests cover.
        """
        diffs: list[str] = []
        if roster_digest != self.roster_digest:
            diffs.append(f"{roster} is not the committed one (roster_digest)")
        if plan_digest != self.plan_digest:
            diffs.append(f"{plan} are not the committed ones (plan_digest)")
        if tuple(path) != tuple(self.path):
            diffs.append(f"key path {list(path)} is not the committed {list(self.path)}")
        rule = self.rule
        if rule.recipe != SEED_RULE_RECIPE:
            return [*diffs, f"the commitment's seed rule is the retired {rule.recipe}"]
        try:
            canonical = rule.canonical(str(seed))
        except PlanError as exc:
            return [*diffs, f"the seed does not fit the committed rule: {exc}"]
        if canonical != seed:
            diffs.append(f"the seed is not written as the committed rule reads it: {canonical!r}")
        return diffs

    @classmethod
    def of(
        cls,
        roster_digest: str,
        plan_digest: str,
        path: Sequence[str],
        seed_rule: SeedRule,
        seed_from: str,
    ) -> Commitment:
        """The commitment to a roster known only by its fingerprint.

        :func:`commit` needs the roster in memory. A directory too large for that (a nation in
        Parquet files, a Dask dataframe) is fingerprinted chunk by chunk with
        :class:`~randcheck.roster.RosterDigest`; its digest and the plan's make the same
        commitment.

        Parameters
        ----------
        roster_digest : str
            The roster's fingerprint (recipe ``randcheck-roster/2``), as
            :meth:`TargetRoster.digest <randcheck.TargetRoster.digest>` or
            :meth:`RosterDigest.from_parquet <randcheck.roster.RosterDigest.from_parquet>` gives it.
        plan_digest : str
            The plan's fingerprint, :meth:`SamplingPlan.digest <randcheck.SamplingPlan.digest>`.
        path : sequence of str
            The key labels from the seed's root key to the draw's numbers: ``["units"]`` for a
            stand-alone draw (what :func:`commit` uses by default).
        seed_rule : SeedRule
            How the seed will be read.
        seed_from : str
            Where the seed will come from, in words.

        Raises
        ------
        PlanError
            A digest that is not ``"sha256:"`` and 64 hexadecimal digits, a path that is not a
            list of labels, a ``seed_rule`` that is not a :class:`~randcheck.SeedRule`, a dated
            rule without the ``date`` of its draw (the drawer could otherwise pick the date, and
            with it the sample), a rule of the retired recipe ``randcheck-seed-rule/1``, or an
            empty ``seed_from``.

        Examples
        --------
        >>> from randcheck import SamplingPlan, SeedRule, TargetRoster
        >>> from randcheck.sampling import Commitment, commit
        >>> roster = TargetRoster.from_columns({"credit_code": ["91350100M000100Y43"],
        ...                                     "risk_class": ["A"]})
        >>> plan = SamplingPlan(rates={"A": 0.5})
        >>> rule, words = SeedRule.shuangseqiu(date="2025-03-04"), "福利彩票双色球 2025-03-04"
        >>> by_digest = Commitment.of(roster.digest(), plan.digest(), ["units"], rule, words)
        >>> by_digest == commit(roster, plan, seed_rule=rule, seed_from=words)
        True
        """
        if not isinstance(seed_rule, SeedRule):
            raise PlanError(
                "seed_rule: a commitment needs a SeedRule (e.g. SeedRule.shuangseqiu(date="
                f"'2025-03-04')), got {type(seed_rule).__name__}"
            )
        if seed_rule.recipe != SEED_RULE_RECIPE:
            raise PlanError(
                f"seed_rule: {seed_rule.recipe} is retired for new commitments (its dated rules "
                f"have no date); use a rule of {SEED_RULE_RECIPE}"
            )
        if seed_rule.dated and seed_rule.date is None:
            raise PlanError(
                f"seed_rule: the rule {seed_rule.name} ({seed_rule.label}) needs the date of the "
                "draw whose result will be the seed: rule.on('2025-03-04'), e.g. "
                "SeedRule.shuangseqiu(date='2025-03-04') (on the command line "
                f"--seed-rule {seed_rule.name.replace('dice-', 'dice:')}@2025-03-04); without it "
                "the drawer could write the result under any date and pick among the samples"
            )
        return cls._made(roster_digest, plan_digest, path, seed_rule, seed_from)

    @classmethod
    def of_record(
        cls,
        roster_digest: str,
        plan_digest: str,
        path: Sequence[str],
        seed_rule: SeedRule,
        seed_from: str,
    ) -> Commitment:
        """The commitment a published record states, as its seed rule's recipe made it.

        What a verifier recomputes: :meth:`of` for a rule of ``randcheck-seed-rule/2``; a rule
        of the retired ``/1`` (records of version 0.1.0, without a draw date) is read as ``/1``
        made it, so that those records still verify.
        """
        make = cls.of if seed_rule.recipe == SEED_RULE_RECIPE else cls._made
        return make(roster_digest, plan_digest, path, seed_rule, seed_from)

    @classmethod
    def _made(
        cls,
        roster_digest: str,
        plan_digest: str,
        path: Sequence[str],
        seed_rule: SeedRule,
        seed_from: str,
    ) -> Commitment:
        """:meth:`of` without the rules for new commitments (a published record is read as
        its recipe made it)."""
        for name, value in (("roster_digest", roster_digest), ("plan_digest", plan_digest)):
            if not isinstance(value, str) or _DIGEST.fullmatch(value) is None:
                raise PlanError(
                    f"{name}: a commitment needs a digest 'sha256:' and 64 hexadecimal digits "
                    f"(e.g. roster.digest(), plan.digest()), got {value!r}"
                )
        path = check_path(path, "commitment path")
        if not isinstance(seed_from, str) or not seed_from.strip():
            raise PlanError(
                "seed_from: say where the seed will come from (e.g. '福利彩票双色球 "
                "2025年3月4日 开奖结果'); it is required and must not be empty"
            )
        digest = _commitment_digest(
            roster_digest, plan_digest, path, seed_rule.digest_text(), seed_from
        )
        return cls(roster_digest, plan_digest, path, seed_rule.to_dict(), seed_from, digest)

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        try:
            rule = SeedRule.from_dict(fields["seed_rule"])
        except PlanError as exc:
            raise field_error(label, at(path, "seed_rule"), str(exc)) from None
        try:
            made = cls.of_record(
                fields["roster_digest"],
                fields["plan_digest"],
                fields["path"],
                rule,
                fields["seed_from"],
            )
        except PlanError as exc:
            raise field_error(label, path, str(exc)) from None
        if made.digest != fields["digest"]:
            raise field_error(
                label,
                at(path, "digest"),
                "does not follow from the roster digest, plan digest, path, seed rule and seed "
                "source",
            )

    def to_json(self, indent: int | None = 1) -> str:
        """The commitment as JSON, to publish."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": COMMITMENT_RECIPE,
            "roster_digest": self.roster_digest,
            "plan_digest": self.plan_digest,
            "path": list(self.path),
            "seed_rule": dict(self.seed_rule),
            "seed_from": self.seed_from,
            "digest": self.digest,
        }


def commit(
    roster: TargetRoster,
    plan: SamplingPlan,
    *,
    seed_rule: SeedRule,
    seed_from: str,
    stream: str = LABEL_UNITS,
) -> Commitment:
    """The commitment to publish before the seed is drawn.

    Parameters
    ----------
    roster, plan
        The frame and the design.
    seed_rule : SeedRule
        How the seed will be read, with the date of the draw for a dated rule (e.g.
        ``SeedRule.shuangseqiu(date="2025-03-04")``).
    seed_from : str
        Where the seed will come from, in words (which lottery draw, when, where the dice are
        rolled).
    stream : str
        The one key label of the draw's numbers below the seed's root key (default
        ``"units"``); the committed path is ``[stream]``.

    Examples
    --------
    >>> from randcheck import SeedRule, TargetRoster
    >>> roster = TargetRoster.from_columns({"credit_code": ["91350100M000100Y43"],
    ...                                     "risk_class": ["A"]})
    >>> c = commit(roster, SamplingPlan(rates={"A": 0.5}),
    ...            seed_rule=SeedRule.shuangseqiu(date="2025-03-04"),
    ...            seed_from="福利彩票双色球 2025-03-04")
    >>> c.path, c.digest.startswith("sha256:")
    (('units',), True)

    Raises
    ------
    PlanError
        If the plan cannot be drawn from this roster (a class without a rate, a total above
        the eligible population…): a commitment that could never be honoured is refused; or
        the seed rule or source is missing.
    """
    inclusion_probabilities(roster, plan)  # the same checks as a draw, before anything is public
    return Commitment.of(roster.digest(), plan.digest(), (stream,), seed_rule, seed_from)


def read_published(
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any],
) -> Commitment:
    """The published commitment a verifier was given, read strictly (its digest recomputed):
    the record, its dict, its JSON text or the path of its file."""
    if isinstance(commitment, os.PathLike) or (
        isinstance(commitment, str) and not commitment.lstrip().startswith("{")
    ):
        try:
            commitment = pathlib.Path(commitment).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise VerificationError(
                f"the published commitment cannot be read: {commitment}: {exc.strerror}"
            ) from None
    try:
        return Commitment.read(commitment)
    except VerificationError as exc:
        raise VerificationError(f"the published commitment cannot be read: {exc}") from None
