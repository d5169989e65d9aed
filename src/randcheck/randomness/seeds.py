"""Seed rules (种子规则): where an official draw's seed will come from, and its one spelling.

A commitment published before the seed exists states the seed rule, so that once the lottery
result (or the dice, or the beacon value) is public there is exactly one seed string that fits
it: nobody can write the result in the way whose sample suits them (full-width digits, a dropped
leading zero, a zero-width space, another date format...).

The recipe ``randcheck-seed-rule/1`` turns a seed as typed into its canonical form, or refuses it:

1. The seed must be a string. It is normalised to Unicode NFKC (full-width digits and letters
   become ASCII, an ideographic or no-break space becomes a space).
2. A character of category Cf (format: zero-width spaces and joiners, bidi controls, the BOM),
   Co, Cs or Cn, or a control character other than white space, is refused: it is invisible and
   could hide a difference.
3. White space is collapsed: runs of white space become one space, none at either end (Python's
   ``" ".join(text.split())``). An empty seed is refused.
4. By the rule's ``kind``:

   - ``pattern``: the text must match the rule's regular expression in full (Python ``re``);
     the canonical form is the text.
   - ``hex``: the text in lower case must be exactly ``hex_length`` characters ``0-9a-f``;
     the canonical form is that text.
   - ``numbers``: an optional leading name (the rule's ``label`` or ``name``, any case,
     followed by a space or the end) is removed. If the rule is ``dated``, a date must follow:
     ``YYYY-M-D``, ``YYYY/M/D``, ``YYYY.M.D``, ``YYYY年M月D日`` (spaces allowed around the
     separators) or ``YYYYMMDD``, followed by a space, a separator or the end; spaces after it
     are removed and, if no name came first, an optional name after the date too. The rest is
     split at runs of white space and the separators ``, ; : + | / 、``; every piece must be
     ASCII digits. When every group has ``width`` 1 (single digits), the pieces are joined and
     each digit is one number; otherwise each piece is one number. There must be exactly as
     many numbers as the groups' counts add up to; they fill the groups in order. Each number
     must lie in its group's ``[low, high]``; a ``distinct`` group refuses repeats; a
     ``sorted`` group is put in ascending order (the order lottery results are published in).
     The canonical form is the rule's ``label``, then the date as ``YYYY-MM-DD`` (if dated),
     then the groups, each number zero-padded to ``width`` digits and separated by a space,
     the groups separated by ``+`` (with a space on each side), all separated by single spaces.

For example, under :meth:`SeedRule.shuangseqiu`, ``"２０２５/3/4 ３,8,14,22,27,31+9"`` and
``"双色球 2025-03-04 03 08 14 22 27 31 + 09"`` both become the latter.
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

__all__ = ["SEED_RULE_RECIPE", "NumberGroup", "SeedRule"]

#: How a seed as typed becomes its one canonical spelling under a rule.
SEED_RULE_RECIPE = "randcheck-seed-rule/1"
_REFUSED_CATEGORIES = frozenset({"Cf", "Co", "Cs", "Cn"})
_DATE = re.compile(
    r"(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2}))"
    r"(?=$|[\s,;:+|/、])"
)
_SEPARATORS = re.compile(r"[\s,;:+|/、]+")
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

    def __attrs_post_init__(self) -> None:
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
            try:
                re.compile(self.pattern)
            except (re.error, TypeError) as exc:
                raise PlanError(f"SeedRule.pattern {self.pattern!r} is not valid: {exc}") from None
        if self.dated and self.kind != "numbers":
            raise PlanError("SeedRule: only a 'numbers' rule can be dated")

    # ---------------------------------------------------------------- presets
    @classmethod
    def shuangseqiu(cls) -> SeedRule:
        """福利彩票双色球: the draw date, 6 red balls 01–33 (ascending) + 1 blue ball 01–16."""
        return cls(
            "shuangseqiu",
            "双色球",
            groups=(NumberGroup("red", 6, 1, 33, 2, True, True), NumberGroup("blue", 1, 1, 16, 2)),
            dated=True,
        )

    @classmethod
    def daletou(cls) -> SeedRule:
        """体彩大乐透: the draw date, 5 front numbers 01–35 + 2 back numbers 01–12 (ascending)."""
        return cls(
            "daletou",
            "大乐透",
            groups=(
                NumberGroup("front", 5, 1, 35, 2, True, True),
                NumberGroup("back", 2, 1, 12, 2, True, True),
            ),
            dated=True,
        )

    @classmethod
    def pailie5(cls) -> SeedRule:
        """体彩排列5: the draw date and five digits 0–9 in the order drawn."""
        return cls("pailie5", "排列5", groups=(NumberGroup("digits", 5, 0, 9, 1),), dated=True)

    @classmethod
    def fucai3d(cls) -> SeedRule:
        """福彩3D: the draw date and three digits 0–9 in the order drawn."""
        return cls("fucai3d", "福彩3D", groups=(NumberGroup("digits", 3, 0, 9, 1),), dated=True)

    @classmethod
    def dice(cls, n: int) -> SeedRule:
        """``n`` ten-sided dice (0–9) rolled in public, in the order rolled, and the date."""
        _whole(n, "SeedRule.dice: n", 1)
        dice = NumberGroup("dice", n, 0, 9, 1)
        return cls(f"dice-{n}", f"{n}个十面骰子", groups=(dice,), dated=True)

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
        ``beacon:N`` (N hexadecimal characters) or ``pattern:REGEX``.

        Raises
        ------
        PlanError
            If the text names no rule.
        """
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
            "dice:N, beacon:N, pattern:REGEX"
        )

    # ---------------------------------------------------------------- records
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, recorded in commitments and receipts."""
        return {
            "recipe": SEED_RULE_RECIPE,
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "groups": [g.to_dict() for g in self.groups],
            "dated": self.dated,
            "hex_length": self.hex_length,
            "pattern": self.pattern,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeedRule:
        """Read :meth:`to_dict` output.

        Raises
        ------
        PlanError
            If it is not a ``randcheck-seed-rule/1`` rule or a field is missing or wrong.
        """
        if not isinstance(data, Mapping):
            raise PlanError(f"seed_rule: expected an object, got {type(data).__name__}")
        d = dict(data)
        if d.pop("recipe", None) != SEED_RULE_RECIPE:
            raise PlanError(f"seed_rule: recipe {data.get('recipe')!r} is not {SEED_RULE_RECIPE}")
        fields = {"name", "label", "kind", "groups", "dated", "hex_length", "pattern"}
        if set(d) != fields:
            raise PlanError(
                f"seed_rule: fields {sorted(d)} are not those of {SEED_RULE_RECIPE} "
                f"({sorted(fields)})"
            )
        try:
            if not isinstance(d["groups"], list) or not all(
                isinstance(g, Mapping) for g in d["groups"]
            ):
                raise TypeError("groups must be a list of objects")
            if not isinstance(d["dated"], bool):
                raise TypeError("dated must be true or false")
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
        for pos, ch in enumerate(text, start=1):
            cat = unicodedata.category(ch)
            if cat in _REFUSED_CATEGORIES or (cat == "Cc" and not ch.isspace()):
                raise PlanError(
                    where + f"character {pos} is U+{ord(ch):04X} "
                    f"({unicodedata.name(ch, 'unnamed')}), an invisible or control character; "
                    "retype the seed without it"
                )
        text = " ".join(text.split())
        if not text:
            raise PlanError(where + "the seed is empty")
        if self.kind == "pattern":
            assert self.pattern is not None
            if re.fullmatch(self.pattern, text) is None:
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
        parts = [self.label] + (["2025-03-04"] if self.dated else [])
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
            rest = rest[m.end() :].lstrip(" ")
            if not named:
                rest = self._drop_name(rest)[0]
        pieces = [p for p in _SEPARATORS.split(rest) if p]
        for p in pieces:
            if not (p.isascii() and p.isdigit()):
                raise PlanError(where + f"{p!r} is not a number" + hint)
        if all(g.width == 1 for g in self.groups):
            pieces = list("".join(pieces))
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
