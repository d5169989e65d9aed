r"""Seed rules (种子规则): where an official draw's seed will come from, and its one spelling.

A commitment published before the seed exists states the seed rule, so that once the lottery
result (or the dice, or the beacon value) is public there is exactly one seed string that fits
it: nobody can write the result in the way whose sample suits them (full-width digits, a dropped
leading zero, a zero-width space, another date format...).

The recipe ``randcheck-seed-rule/2`` turns a seed as typed into its canonical form, or refuses it:

1. The seed must be a string. It is normalised to Unicode NFKC (full-width digits and letters
   become ASCII, an ideographic or no-break space becomes a space).
2. A character of category Cf (format: zero-width spaces and joiners, bidi controls, the BOM),
   Co, Cs or Cn, or a control character other than white space, is refused: it is invisible and
   could hide a difference. So is a digit (category Nd) other than ASCII ``0``–``9``: a digit of
   another script (Arabic-Indic ``٣``…) that NFKC leaves as it is would be a second spelling.
3. White space is collapsed: runs of white space become one space, none at either end (Python's
   ``" ".join(text.split())``). An empty seed is refused.
4. By the rule's ``kind``:

   - ``pattern``: the text must match the rule's regular expression in full (Python ``re``
     with ``re.ASCII``: ``\d`` is ``[0-9]``); the canonical form is the text. A pattern that
     ignores case is refused. The pattern is the rule's whole promise of one spelling: write it
     so that a public value has exactly one text that matches (no optional parts, no leading
     zeros: ``[1-9]\d*\.\d{2}``, not ``\d+\.\d{2}``), with the date of the value in it.
   - ``hex``: the text in lower case must be exactly ``hex_length`` characters ``0-9a-f``;
     the canonical form is that text.
   - ``numbers``: an optional leading name (the rule's ``label`` or ``name``, any case,
     followed by a space or the end) is removed. If the rule is ``dated``, a date must follow:
     ``YYYY-M-D``, ``YYYY/M/D``, ``YYYY.M.D``, ``YYYY年M月D日`` (spaces allowed around the
     separators) or ``YYYYMMDD``, followed by a space, a separator or the end; it must be the
     rule's ``date`` (the draw the commitment named). Spaces after it are removed and, if no
     name came first, an optional name after the date too. The rest is
     split at runs of white space and the separators ``, ; : + | / 、``; every piece must be
     ASCII digits. When every group has ``width`` 1 (single digits), the pieces are joined and
     each digit is one number; otherwise each piece is one number. There must be exactly as
     many numbers as the groups' counts add up to; they fill the groups in order. Each number
     must lie in its group's ``[low, high]``; a ``distinct`` group refuses repeats; a
     ``sorted`` group is put in ascending order (the order lottery results are published in).
     The canonical form is the rule's ``label``, then the date as ``YYYY-MM-DD`` (if dated),
     then the groups, each number zero-padded to ``width`` digits and separated by a space,
     the groups separated by ``+`` (with a space on each side), all separated by single spaces.

For example, under ``SeedRule.shuangseqiu(date="2025-03-04")``,
``"２０２５/3/4 ３,8,14,22,27,31+9"`` and ``"双色球 2025-03-04 03 08 14 22 27 31 + 09"`` both become
the latter, and a seed of any other date is refused.

A commitment (:func:`randcheck.commit`) to a dated rule needs its ``date``: without one, the
drawer could write the lottery's numbers under any date of their choosing and get another
sample. The pre-release recipe ``randcheck-seed-rule/1`` had no ``date``, allowed digits of
other scripts and matched patterns with Unicode ``\d``; records made under it are still read and
verified as it defined them, and new rules are ``/2``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from randcheck.errors import PlanError

__all__ = ["SEED_RULE_RECIPE", "SEED_RULE_RECIPE_1", "NumberGroup", "SeedRule"]

#: How a seed as typed becomes its one canonical spelling under a rule.
SEED_RULE_RECIPE = "randcheck-seed-rule/2"
#: The recipe of rules recorded by version 0.1.0 (no ``date``): read and verified, never made.
SEED_RULE_RECIPE_1 = "randcheck-seed-rule/1"
_RECIPES = (SEED_RULE_RECIPE, SEED_RULE_RECIPE_1)
_REFUSED_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cn"})
_DATE = re.compile(
    r"(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2}))"
    r"(?=$|[\s,;:+|/、])"
)
_SEPARATORS = re.compile(r"[\s,;:+|/、]+")
#: An inline flag group that turns on ``i`` (ignore case), for the whole pattern or a part:
#: ``(?i)``, ``(?ai:...)``, ``(?i-m:...)``.
_CASE_FLAG = re.compile(r"\(\?[aiLmsux]*i[aiLmsux]*(?:-[imsx]*)?[:)]")
#: The most digits a number in a seed may have (a lottery ball or a dice roll has one or two).
_MAX_DIGITS = 40
_MAX_COUNT = 1000  # numbers in one group of a seed rule
_KINDS = ("numbers", "hex", "pattern")


def _whole(value: Any, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PlanError(f"{what} must be a whole number ≥ {low}, got {value!r}")
    return value


@attrs.frozen
class NumberGroup:
    """One group of numbers in a seed: e.g. the six red balls of 双色球.

    Parameters
    ----------
    name : str
        What the group is (``"red"``, ``"blue"``, ``"front"``, ``"digits"``...).
    count : int
        How many numbers it holds.
    low, high : int
        The smallest and largest number allowed.
    width : int
        Digits in the canonical form (zero-padded): 2 for lottery balls, 1 for digits.
    sorted : bool
        Whether the published order is ascending (lottery balls); the canonical form sorts.
    distinct : bool
        Whether a number may appear only once (balls drawn without replacement).
    """

    name: str
    count: int
    low: int
    high: int
    width: int
    sorted: bool = False
    distinct: bool = False

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise PlanError(f"NumberGroup.name must be a non-empty string, got {self.name!r}")
        _whole(self.count, f"NumberGroup {self.name!r}: count", 1)
        _whole(self.low, f"NumberGroup {self.name!r}: low")
        _whole(self.high, f"NumberGroup {self.name!r}: high", self.low)
        _whole(self.width, f"NumberGroup {self.name!r}: width", 1)
        # Bounds that no public draw comes near: a record naming more cannot make a verifier
        # build a hint of millions of numbers, or a number wider than the seed may hold.
        if self.count > _MAX_COUNT:
            raise PlanError(
                f"NumberGroup {self.name!r}: count = {self.count}; at most {_MAX_COUNT} numbers"
            )
        if self.width > _MAX_DIGITS:
            raise PlanError(
                f"NumberGroup {self.name!r}: width = {self.width}; at most {_MAX_DIGITS} digits"
            )
        if len(str(self.high)) > self.width:
            raise PlanError(
                f"NumberGroup {self.name!r}: high = {self.high} has more than width = "
                f"{self.width} digits"
            )
        if self.distinct and self.high - self.low + 1 < self.count:
            raise PlanError(
                f"NumberGroup {self.name!r}: {self.count} distinct numbers cannot fit in "
                f"{self.low}..{self.high}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "low": self.low,
            "high": self.high,
            "width": self.width,
            "sorted": self.sorted,
            "distinct": self.distinct,
        }


def _iso_date(value: Any) -> str | None:
    """A draw date as ``YYYY-MM-DD`` (from a ``datetime.date`` or such a string), or ``None``."""
    if value is None:
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            if value == dt.date.fromisoformat(value).isoformat():
                return value
        except ValueError:
            pass
    raise PlanError(f"SeedRule.date must be a date written YYYY-MM-DD, got {value!r}")


def _groups(value: Any) -> tuple[NumberGroup, ...]:
    return tuple(g if isinstance(g, NumberGroup) else NumberGroup(**g) for g in value)


@attrs.frozen
class SeedRule:
    """A committed seed rule: where the seed comes from and its one canonical spelling.

    Use a preset (:meth:`shuangseqiu`, :meth:`daletou`, :meth:`pailie5`, :meth:`fucai3d`,
    :meth:`dice`, :meth:`beacon`) or :meth:`custom` for another public source. The recipe
    ``randcheck-seed-rule/1`` (module docstring) defines :meth:`canonical`.

    Examples
    --------
    >>> rule = SeedRule.shuangseqiu()
    >>> rule.canonical("２０２５/3/4  ３，8，14，22，27，31 + 9")
    '双色球 2025-03-04 03 08 14 22 27 31 + 09'
    >>> rule.canonical("2025-03-04 03 08 14 22 27 31 + 99")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    randcheck.errors.PlanError: seed: under the seed rule shuangseqiu (双色球), blue number 99 ...
    """

    name: str
    label: str
    kind: Literal["numbers", "hex", "pattern"] = "numbers"
    groups: tuple[NumberGroup, ...] = attrs.field(default=(), converter=_groups)
    dated: bool = False
    hex_length: int | None = None
    pattern: str | None = None
    date: str | None = attrs.field(default=None, converter=_iso_date)
    recipe: str = SEED_RULE_RECIPE

    def __attrs_post_init__(self) -> None:
        if self.recipe not in _RECIPES:
            raise PlanError(
                f"SeedRule.recipe must be {SEED_RULE_RECIPE} (or {SEED_RULE_RECIPE_1}, read from "
                f"a record), got {self.recipe!r}"
            )
        for what in ("name", "label"):
            v = getattr(self, what)
            if not isinstance(v, str) or not v or v != " ".join(v.split()):
                raise PlanError(
                    f"SeedRule.{what} must be a non-empty string without surrounding or "
                    f"repeated white space, got {v!r}"
                )
        if self.kind not in _KINDS:
            raise PlanError(f"SeedRule.kind must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        if (self.kind == "numbers") != bool(self.groups):
            raise PlanError("SeedRule: groups are given exactly when kind is 'numbers'")
        if (self.kind == "hex") != (self.hex_length is not None):
            raise PlanError("SeedRule: hex_length is given exactly when kind is 'hex'")
        if self.hex_length is not None:
            _whole(self.hex_length, "SeedRule.hex_length", 1)
        if (self.kind == "pattern") != (self.pattern is not None):
            raise PlanError("SeedRule: pattern is given exactly when kind is 'pattern'")
        if self.pattern is not None:
            flags = re.ASCII if self.recipe == SEED_RULE_RECIPE else 0
            try:
                compiled = re.compile(self.pattern, flags)
            except (re.error, TypeError, ValueError) as exc:  # ValueError: (?u) with re.ASCII
                raise PlanError(f"SeedRule.pattern {self.pattern!r} is not valid: {exc}") from None
            if flags and (compiled.flags & re.IGNORECASE or _CASE_FLAG.search(self.pattern)):
                raise PlanError(
                    f"SeedRule.pattern {self.pattern!r} ignores case: it would let one public "
                    "value be written in several ways; spell out the case it is published in"
                )
        if self.dated and self.kind != "numbers":
            raise PlanError("SeedRule: only a 'numbers' rule can be dated")
        if self.date is not None and (not self.dated or self.recipe != SEED_RULE_RECIPE):
            raise PlanError(
                f"SeedRule: a date ({self.date}) belongs to a dated rule of {SEED_RULE_RECIPE} "
                "(a lottery or dice rule)"
            )

    # ---------------------------------------------------------------- presets
    # Each dated preset takes the ``date`` of its draw (a ``datetime.date`` or ``YYYY-MM-DD``):
    # a commitment needs it, so that only that draw's result fits the rule.
    @classmethod
    def shuangseqiu(cls, date: dt.date | str | None = None) -> SeedRule:
        """福利彩票双色球: the draw date, 6 red balls 01–33 (ascending) + 1 blue ball 01–16."""
        return cls(
            "shuangseqiu",
            "双色球",
            groups=(NumberGroup("red", 6, 1, 33, 2, True, True), NumberGroup("blue", 1, 1, 16, 2)),
            dated=True,
            date=date,
        )

    @classmethod
    def daletou(cls, date: dt.date | str | None = None) -> SeedRule:
        """体彩大乐透: the draw date, 5 front numbers 01–35 + 2 back numbers 01–12 (ascending)."""
        return cls(
            "daletou",
            "大乐透",
            groups=(
                NumberGroup("front", 5, 1, 35, 2, True, True),
                NumberGroup("back", 2, 1, 12, 2, True, True),
            ),
            dated=True,
            date=date,
        )

    @classmethod
    def pailie5(cls, date: dt.date | str | None = None) -> SeedRule:
        """体彩排列5: the draw date and five digits 0–9 in the order drawn."""
        digits = (NumberGroup("digits", 5, 0, 9, 1),)
        return cls("pailie5", "排列5", groups=digits, dated=True, date=date)

    @classmethod
    def fucai3d(cls, date: dt.date | str | None = None) -> SeedRule:
        """福彩3D: the draw date and three digits 0–9 in the order drawn."""
        digits = (NumberGroup("digits", 3, 0, 9, 1),)
        return cls("fucai3d", "福彩3D", groups=digits, dated=True, date=date)

    @classmethod
    def dice(cls, n: int, date: dt.date | str | None = None) -> SeedRule:
        """``n`` ten-sided dice (0–9) rolled in public, in the order rolled, and the date."""
        _whole(n, "SeedRule.dice: n", 1)
        dice = NumberGroup("dice", n, 0, 9, 1)
        return cls(f"dice-{n}", f"{n}个十面骰子", groups=(dice,), dated=True, date=date)

    def on(self, date: dt.date | str) -> SeedRule:
        """This rule for the draw of ``date`` (a dated rule; e.g. a rule read from a spec)."""
        return attrs.evolve(self, date=date)

    @classmethod
    def beacon(cls, hex_length: int = 128) -> SeedRule:
        """A published randomness beacon value: ``hex_length`` hexadecimal characters."""
        return cls(f"beacon-{hex_length}", "信标", kind="hex", hex_length=hex_length)

    @classmethod
    def custom(cls, name: str, pattern: str, *, label: str | None = None) -> SeedRule:
        """Another public source: the seed (after steps 1–3) must match ``pattern`` in full."""
        return cls(name, label or name, kind="pattern", pattern=pattern)

    @classmethod
    def from_spec(cls, spec: str) -> SeedRule:
        """A rule from a short text, as the command line takes it.

        ``shuangseqiu``, ``daletou``, ``pailie5``, ``fucai3d``, ``dice:N`` (N dice),
        ``beacon:N`` (N hexadecimal characters) or ``pattern:REGEX``; a dated rule may end
        with ``@YYYY-MM-DD``, the date of its draw (``shuangseqiu@2025-03-04``).

        Raises
        ------
        PlanError
            If the text names no rule.
        """
        if not spec.startswith("pattern:") and "@" in spec:
            spec, _, date = spec.rpartition("@")
            return cls.from_spec(spec).on(date)
        name, _, arg = spec.partition(":")
        presets = {"shuangseqiu": cls.shuangseqiu, "daletou": cls.daletou,
                   "pailie5": cls.pailie5, "fucai3d": cls.fucai3d}  # fmt: skip
        if name in presets and not arg:
            return presets[name]()
        if name in ("dice", "beacon") and arg.isascii() and arg.isdigit():
            return cls.dice(int(arg)) if name == "dice" else cls.beacon(int(arg))
        if name == "pattern" and arg:
            return cls.custom("pattern", arg)
        raise PlanError(
            f"seed rule {spec!r}: expected one of shuangseqiu, daletou, pailie5, fucai3d, "
            "dice:N, beacon:N, pattern:REGEX (a dated rule may end with @YYYY-MM-DD)"
        )

    # ---------------------------------------------------------------- records
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, recorded in commitments and receipts (a ``/1`` rule as ``/1``
        recorded it, without ``date``)."""
        out = {
            "recipe": self.recipe,
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "groups": [g.to_dict() for g in self.groups],
            "dated": self.dated,
            "hex_length": self.hex_length,
            "pattern": self.pattern,
        }
        if self.recipe == SEED_RULE_RECIPE:
            out["date"] = self.date
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeedRule:
        """Read :meth:`to_dict` output.

        Raises
        ------
        PlanError
            If it is not a ``randcheck-seed-rule/2`` (or ``/1``) rule or a field is missing or
            wrong.
        """
        if not isinstance(data, Mapping):
            raise PlanError(f"seed_rule: expected an object, got {type(data).__name__}")
        d = dict(data)
        recipe = d.get("recipe")
        if recipe not in _RECIPES:
            raise PlanError(
                f"seed_rule: recipe {recipe!r} is not {SEED_RULE_RECIPE} (or {SEED_RULE_RECIPE_1})"
            )
        fields = {"recipe", "name", "label", "kind", "groups", "dated", "hex_length", "pattern"}
        if recipe == SEED_RULE_RECIPE:
            fields.add("date")
        if set(d) != fields:
            raise PlanError(
                f"seed_rule: fields {sorted(d)} are not those of {recipe} ({sorted(fields)})"
            )
        try:
            if not isinstance(d["groups"], list) or not all(
                isinstance(g, Mapping) for g in d["groups"]
            ):
                raise TypeError("groups must be a list of objects")
            if not isinstance(d["dated"], bool):
                raise TypeError("dated must be true or false")
            if d.get("date") is not None and not isinstance(d["date"], str):
                raise TypeError("date must be a string YYYY-MM-DD or null")
            rule = cls(**d)
        except TypeError as exc:
            raise PlanError(f"seed_rule: {exc}") from None
        if rule.to_dict() != dict(data):
            raise PlanError("seed_rule: a field has the wrong type")
        return rule

    def digest_text(self) -> str:
        """The rule as canonical JSON (sorted keys, no spaces), as commitments hash it."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    # ---------------------------------------------------------------- the recipe
    def canonical(self, seed: object) -> str:
        """The canonical form of ``seed`` under this rule.

        Raises
        ------
        PlanError
            If the seed does not fit the rule; the message says what is wrong and shows
            the expected form.
        """
        where = f"seed: under the seed rule {self.name} ({self.label}), "
        if not isinstance(seed, str):
            raise PlanError(where + f"the seed must be a string, got {type(seed).__name__}")
        text = unicodedata.normalize("NFKC", seed)
        two = self.recipe == SEED_RULE_RECIPE
        for pos, ch in enumerate(text, start=1):
            cat = unicodedata.category(ch)
            if cat in _REFUSED_CATEGORIES or (cat == "Cc" and not ch.isspace()):
                raise PlanError(
                    where + f"character {pos} is U+{ord(ch):04X} "
                    f"({unicodedata.name(ch, 'unnamed')}), an invisible or control character; "
                    "retype the seed without it"
                )
            if two and cat == "Nd" and not ("0" <= ch <= "9"):
                raise PlanError(
                    where + f"character {pos} is {ch!r} ({unicodedata.name(ch, 'unnamed')}), "
                    "a digit of another script; type the digits 0-9"
                )
        text = " ".join(text.split())
        if not text:
            raise PlanError(where + "the seed is empty")
        if self.kind == "pattern":
            assert self.pattern is not None
            if re.fullmatch(self.pattern, text, re.ASCII if two else 0) is None:
                raise PlanError(where + f"{text!r} does not match the pattern {self.pattern!r}")
            return text
        if self.kind == "hex":
            low = text.lower()
            if re.fullmatch(f"[0-9a-f]{{{self.hex_length}}}", low) is None:
                raise PlanError(
                    where + f"expected exactly {self.hex_length} hexadecimal characters, "
                    f"got {len(text)} characters {text[:20]!r}..."
                )
            return low
        return self._numbers(text, where)

    def example(self) -> str:
        """A seed in canonical form, to show the expected spelling."""
        parts = [self.label] + ([self.date or "2025-03-04"] if self.dated else [])
        groups = []
        for g in self.groups:
            values = range(g.low, g.low + g.count) if g.distinct else [g.low] * g.count
            groups.append(" ".join(f"{v:0{g.width}d}" for v in values))
        return " ".join([*parts, " + ".join(groups)])

    def _drop_name(self, text: str) -> tuple[str, bool]:
        """``text`` without a leading label or name (followed by a space or the end)."""
        for name in (self.label, self.name):
            if text.casefold().startswith(name.casefold()):
                after = text[len(name) :]
                if not after or after[0] == " ":
                    return after.lstrip(" "), True
        return text, False

    def _numbers(self, text: str, where: str) -> str:
        hint = f"; expected e.g. {self.example()!r}"
        rest, named = self._drop_name(text)
        date = ""
        if self.dated:
            m = _DATE.match(rest)
            if m is None:
                raise PlanError(where + f"{text!r} does not start with the draw date" + hint)
            y, mo, d = (int(v) for v in (m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)))
            try:
                date = dt.date(y, mo, d).isoformat()
            except ValueError:
                raise PlanError(where + f"{m.group(0)!r} is not a date" + hint) from None
            if self.date is not None and date != self.date:
                raise PlanError(
                    where + f"the seed's date {date} is not the date of the committed draw, "
                    f"{self.date}: only that draw's result is the seed"
                )
            rest = rest[m.end() :].lstrip(" ")
            if not named:
                rest = self._drop_name(rest)[0]
        pieces = [p for p in _SEPARATORS.split(rest) if p]
        for p in pieces:
            if not (p.isascii() and p.isdigit()):
                raise PlanError(where + f"{p!r} is not a number" + hint)
        if all(g.width == 1 for g in self.groups):
            pieces = list("".join(pieces))
        for p in pieces:
            if len(p) > _MAX_DIGITS:
                raise PlanError(where + f"a number of {len(p)} digits is no draw's number" + hint)
        numbers = [int(p) for p in pieces]
        need = sum(g.count for g in self.groups)
        if len(numbers) != need:
            raise PlanError(where + f"expected {need} numbers, got {len(numbers)}" + hint)
        out = [self.label] + ([date] if date else [])
        groups = []
        k = 0
        for g in self.groups:
            values = numbers[k : k + g.count]
            k += g.count
            for v in values:
                if not g.low <= v <= g.high:
                    raise PlanError(
                        where + f"{g.name} number {v} is not in {g.low}..{g.high}" + hint
                    )
            if g.distinct and len(set(values)) != len(values):
                raise PlanError(where + f"a {g.name} number appears twice: {values}" + hint)
            if g.sorted:
                values = sorted(values)
            groups.append(" ".join(f"{v:0{g.width}d}" for v in values))
        return " ".join([*out, " + ".join(groups)])
