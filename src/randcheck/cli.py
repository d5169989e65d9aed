"""The ``randcheck`` command line: thin over the library, for scripts and other languages.

Commands read CSV / JSON / TOML, write CSV / JSON, print progress to standard error, and on bad
input exit with status 2 and a one-line message (``randcheck: error: …``). A failed verification
(a receipt that does not recompute) exits with status 1; a file that is not a receipt is bad
input. ``randcheck <command> --help`` describes each command.

A command's output files are all or nothing: every output path is checked before any work (its
folder must exist and be writable), every file is written to a temporary beside its target, and
the files are renamed into place together only when all are complete. Interrupted (Ctrl-C,
SIGTERM) or failing, a command leaves no output file and no temporary, and exits with status 130
(143 for SIGTERM) when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import functools
import io
import json
import pathlib
import signal
import sys
import tomllib
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeAlias

from randcheck import _excel, _tables, _textio
from randcheck._files import Interrupted, OutputSet
from randcheck._headers import OFFICER_HEADERS, RESULT_HEADERS, TARGET_HEADERS
from randcheck._version import library
from randcheck.archive import verify_archive
from randcheck.audit import VERIFIERS, RecordKind, verify
from randcheck.calendar import WorkCalendar
from randcheck.calendar.deadlines import STATUS_HEADER, WorkdaysAfter, due_dates
from randcheck.demo import DEMO_SEED, run_demo
from randcheck.errors import (
    CalendarCoverageError,
    PlanError,
    RandcheckError,
    ResultError,
    RosterError,
    RosterWarning,
    VerificationError,
)
from randcheck.joint import BatchReceipt, commit_batch, draw_batch
from randcheck.loaders import load_conflicts, load_events, load_items
from randcheck.matching import (
    MATCHING_RECIPE,
    MATCHING_RECIPES,
    MAX_PAIRS,
    MatchingRules,
    commit_matching,
    match_officers,
)
from randcheck.models import Visit
from randcheck.problems import Collector, ProblemReport
from randcheck.randomness.seeds import SeedRule
from randcheck.results import ResultTable, year_figures
from randcheck.roster import RISK_LETTERS, OfficerRoster, TargetRoster
from randcheck.sampling import UNCOMMITTED_WARNING, Commitment, SamplingPlan, commit, draw


class CliError(Exception):
    """A bad argument or file, reported in one line."""


def _progress(message: str) -> None:
    print(f"randcheck: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- output files
def _to_stdout(path: str | None) -> bool:
    return path is None or path == "-"


class _Outputs:
    """Every file a command writes: all of them, or none.

    Made before a command does anything (see :func:`_writes`), with every output path it may
    write (``None`` or ``-`` is standard output): a path that cannot be written is refused
    first. :meth:`text`, :meth:`rows` and :meth:`file` write to temporaries beside the targets;
    leaving the ``with`` block normally renames them all into place, then prints what goes to
    standard output; leaving it by an error or an interrupt removes them.
    """

    def __init__(self, *paths: str | None, headers: str = "en", bom: bool = False) -> None:
        try:
            self._set = OutputSet([p for p in paths if not _to_stdout(p)])
        except (OSError, ValueError) as exc:
            raise CliError(str(exc)) from None
        self._stdout: list[str] = []
        self.headers = headers  # of CSV outputs: "en" or "zh" (--headers)
        self.encoding = "utf-8-sig" if bom else "utf-8"  # of CSV outputs (--bom)

    def text(self, path: str | None, text: str) -> None:
        """Text (a JSON record) to a file, or to standard output once every file is in place."""
        text = text if text.endswith("\n") else text + "\n"
        if _to_stdout(path):
            self._stdout.append(text)
        else:
            self.file(path).write_text(text, encoding="utf-8")

    def rows(
        self,
        path: str,
        rows: list[dict[str, Any]],
        fields: Sequence[str] | None = None,
        zh: dict[str, str] | None = None,
    ) -> None:
        """Rows as CSV, the header even when there are no rows (``--headers``, ``--bom``;
        ``zh`` names Chinese headers this table needs beyond the shared vocabulary)."""
        header = list(rows[0]) if rows else list(fields or ())
        with open(self.file(path), "w", encoding=self.encoding, newline="") as fh:
            if header:
                w = csv.DictWriter(fh, fieldnames=header)
                w.writerow(
                    dict(zip(header, _tables.header_row(header, self.headers, zh), strict=True))
                )
                for r in rows:
                    w.writerow(
                        {
                            k: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                            for k, v in r.items()
                        }
                    )

    def table(self, path: str, write: Callable[..., None], *args: Any) -> None:
        """A library table's ``to_csv`` (``write``) into ``path``, with ``--headers``, ``--bom``."""
        write(self.file(path), *args, encoding=self.encoding, headers=self.headers)

    def file(self, path: str | None) -> pathlib.Path:
        """The temporary to write for ``path`` (for the library's own ``to_csv`` writers)."""
        if _to_stdout(path):
            raise CliError("this output needs a file name, not standard output")
        assert path is not None
        return self._set.path(path)

    def __enter__(self) -> _Outputs:
        self._set.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._set.commit()
        finally:
            self._set.__exit__(kind, exc, tb)
        if kind is None:
            for text in self._stdout:
                sys.stdout.write(text)


def _writes(
    *names: str,
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Run a command with ``args.outputs``: an :class:`_Outputs` of the arguments ``names``."""

    def wrap(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(command)
        def run(args: argparse.Namespace) -> int:
            outputs = _Outputs(
                *(getattr(args, n, None) for n in names),
                headers=getattr(args, "headers", "en"),
                bom=getattr(args, "bom", False),
            )
            with outputs as args.outputs:
                return command(args)

        return run

    return wrap


def _read_text(path: str, encoding: str = "utf-8-sig") -> str:
    """A text file in ``encoding`` (a BOM decides); a UTF-8 failure suggests --encoding."""
    raw = _textio.read_bytes(path, lambda message: CliError(f"{path}: {message}"))
    return _textio.decode(
        raw,
        encoding,
        lambda message, row: CliError(f"{path}{f', row {row}' if row else ''}: {message}"),
    )


def _read_utf8_first(path: str, encoding: str, what: str) -> str:
    """A file randcheck wrote, or that a standard says is UTF-8 (a plan, visits, unit areas):
    UTF-8 first, ``--encoding`` (GBK by a Windows editor) only when it is not UTF-8. Read the
    other way round, UTF-8 under ``--encoding gb18030`` (meant for the county's tables) would
    decode without error into other characters."""
    raw = _textio.read_bytes(path, lambda message: CliError(f"{path}: {message}"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _textio.is_utf8(_textio.codec_name(encoding) or "utf-8"):
            line = raw[: exc.start].count(b"\n") + 1
            raise CliError(
                f"{path}, line {line}: not UTF-8 text; {what}: save it as UTF-8 (or give its "
                "encoding, e.g. --encoding gb18030)"
            ) from None
        return _read_text(path, encoding)


def _read_structured(path: str, encoding: str = "utf-8-sig") -> dict[str, Any]:
    """A plan file (TOML or JSON), read by :func:`_read_utf8_first`."""
    p = pathlib.Path(path)
    text = _read_utf8_first(path, encoding, "a plan is TOML or JSON, which are UTF-8")
    try:
        if p.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as exc:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise CliError(
            f"{path}: not valid {kind} ({exc}); a plan is a .json or .toml file "
            "(anything but .toml is read as JSON)"
        ) from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected an object at the top level")
    return data


def _mapping(pairs: Sequence[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise CliError(
                f"--map {pair!r}: use HEADER=column, e.g. --map 纳税人识别号=credit_code"
            )
        k, v = pair.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _load_targets(args: argparse.Namespace) -> Any:
    _progress(f"loading targets from {args.roster}")
    with _remarks():
        return _read_roster(
            TargetRoster, args.roster, args, legacy_codes=getattr(args, "legacy_codes", False)
        )


#: What ``randcheck check --kind`` reads: the file kinds that list their problems in one pass.
CHECK_KINDS = ("targets", "officers", "results", "items", "conflicts", "events")


def _check_load(args: argparse.Namespace, kind: str) -> tuple[int, Any]:
    """Load ``args.file`` as ``kind``: its number of rows and its remarks (a report or None)."""

    path, encoding, sheet = args.file, args.encoding, args.sheet
    if kind in ("targets", "officers"):
        roster = _read_roster(
            OfficerRoster if kind == "officers" else TargetRoster,
            path,
            args,
            legacy_codes=args.legacy_codes if kind == "targets" else None,
        )
        return len(roster), roster.report
    if kind == "results":
        return len(_read_results(path, encoding, sheet)), None
    if kind == "items":
        return len(load_items(path, encoding=encoding, sheet=sheet)), None
    if kind == "conflicts":
        conflicts = load_conflicts(
            path, encoding=encoding, sheet=sheet, legacy_codes=args.legacy_codes
        )
        return len(conflicts), None
    events = load_events(path, encoding=encoding, sheet=sheet, dates=args.date_column or None)
    return (len(next(iter(events.values()))) if events else 0), None


@_writes("report")
def _cmd_check(args: argparse.Namespace) -> int:
    kind = args.kind or ("officers" if args.officers else "targets")
    if args.officers and kind != "officers":
        raise CliError(f"--officers and --kind {kind} disagree: give one of them")
    if args.roster and kind != "results":
        raise CliError(
            f"--roster is used only with --kind results (the target directory that every "
            f"result's credit code must be in); leave it out for --kind {kind}"
        )
    roster = _load_targets(args) if args.roster else None
    report = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RosterWarning)
            n, remarks = _check_load(args, kind)
    except (RosterError, ResultError) as exc:
        if exc.report is None:
            raise
        report = exc.report
    if roster is not None:
        report = _with_unknown_targets(report, args, roster)
    if report is not None:
        if args.report:
            report.to_csv(args.outputs.file(args.report), headers=args.headers)
        print(_cli_words(report.summary(first=10)), file=sys.stderr)
        if args.report:
            _progress(f"every problem written to {args.report}")
        return 2
    if args.report:
        if remarks is None:
            remarks = ProblemReport.of([], source=args.file)
        remarks.to_csv(args.outputs.file(args.report), headers=args.headers)
    for w in caught:
        if not issubclass(w.category, RosterWarning):  # pragma: no cover
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if not remarks:
        print(f"{args.file}: {_count(n, 'row')}, no problems")
        return 0
    # What the loader accepted with a remark (a legacy code kept, a column ignored) is listed
    # as the report lists it, but counted as remarks: the file has no problem.
    counted = _count(len(remarks), "remark")
    lines = remarks.summary(first=10).splitlines()
    lines[0] = f"{counted} (" + "; ".join(f"{c} × {k}" for k, c in remarks.counts.items()) + ")"
    if remarks.source:
        lines[0] = f"{remarks.source}: {lines[0]}"
    print(_cli_words("\n".join(lines)), file=sys.stderr)
    print(f"{args.file}: {n} rows, accepted with {counted} (above)")
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


#: The problem a result whose target is not in ``check --roster`` is reported under (the words
#: ``randcheck report`` uses).
NOT_IN_DIRECTORY = "this target is not in the directory"


def _with_unknown_targets(
    report: ProblemReport | None, args: argparse.Namespace, roster: Any
) -> ProblemReport | None:
    """``report`` (the results file's problems, or None) with every row of ``args.file`` whose
    credit code is not in the target directory ``roster``."""
    header, rows = _file_rows(args.file, args.encoding, args.sheet)
    names = ("credit_code", *RESULT_HEADERS["credit_code"])
    column = next((h for h in header if h in names), None)
    found = Collector(pathlib.Path(args.file).name)
    if column is not None:  # a missing column is already in the report
        j = header.index(column)
        # Codes the results reader refuses (not 18 ASCII letters and digits) are reported there.
        coded = [(k, row[j]) for k, row in rows if len(row) == len(header) and _is_code(row[j])]
        known = roster.row_of([code for _, code in coded]) >= 0 if coded else []
        fix = f"correct the credit code, or add the target to the directory {args.roster}"
        for (k, code), ok in zip(coded, known, strict=True):
            if not ok:
                found.add(k, column, code, NOT_IN_DIRECTORY, fix)
    if not found:
        return report
    if report is None:
        return found.report()
    counts = dict(report.counts)
    for problem, c in found.counts.items():
        counts[problem] = counts.get(problem, 0) + c
    return ProblemReport.of(
        [*report.problems, *found.problems], source=report.source, counts=counts
    )


def _is_code(text: str) -> bool:
    """Whether the results reader takes ``text`` as a credit code (it refuses any other)."""
    return text.isascii() and text.isalnum() and len(text) <= 18


def _file_rows(
    path: str, encoding: str, sheet: str | None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of a CSV or ``.xlsx`` file and its rows that are not blank, each with its row
    number as a spreadsheet shows it (the header is row 1; blank rows are counted)."""
    if _excel.is_excel(path):
        text = _excel.sheet_as_csv(path, sheet, lambda message: CliError(f"{path}: {message}"))
    else:
        text = _read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    return header, [(k, row) for k, row in enumerate(reader, start=2) if row]


def _read_roster(
    kind: Any, path: str, args: argparse.Namespace, *, legacy_codes: bool | None = None
) -> Any:
    """A target or officer directory from CSV, or an ``.xlsx`` workbook by its suffix, or a
    Parquet file by its suffix or its first bytes (``PAR1``)."""
    options: dict[str, Any] = {
        "mapping": _mapping(getattr(args, "map", None)),
        "unknown_columns": getattr(args, "unknown_columns", "error"),
        "extra": getattr(args, "extra", None) or None,
    }
    if legacy_codes is not None:
        options["legacy_codes"] = legacy_codes
    if _excel.is_excel(path):
        return kind.from_excel(path, sheet=getattr(args, "sheet", None), **options)
    if _is_parquet(path):
        return kind.from_parquet(path, **options)
    return kind.from_csv(path, encoding=getattr(args, "encoding", "utf-8-sig"), **options)


def _is_parquet(path: str) -> bool:
    """Whether ``path`` is a Parquet file: by its suffix, or by the magic bytes it starts with."""
    if pathlib.Path(path).suffix.lower() in (".parquet", ".pq"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PAR1"
    except OSError:
        return False  # the CSV reader names the file that cannot be read


@contextlib.contextmanager
def _remarks() -> Iterator[None]:
    """Show what a loader accepted with a remark (legacy codes, ignored columns) on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RosterWarning)
        yield
    for w in caught:
        if issubclass(w.category, RosterWarning):
            for line in str(w.message).splitlines():
                _progress(line.strip())
        else:  # pragma: no cover - other warnings pass on unchanged
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _seed_rule_args(args: argparse.Namespace) -> dict[str, Any]:
    """``seed_rule`` and ``seed_from`` from ``--seed-rule`` and ``--seed-from`` (both required)."""

    if not args.seed_rule or not args.seed_from:
        raise CliError(
            "a commitment states how the seed will be read and where it comes from: give "
            "--seed-rule (shuangseqiu, daletou, pailie5, fucai3d or dice:N, each with the "
            "date of its draw, e.g. shuangseqiu@2025-03-04; beacon:N; pattern:REGEX) and "
            "--seed-from (e.g. '福利彩票双色球 2025-03-04 开奖结果')"
        )
    try:
        return {"seed_rule": SeedRule.from_spec(args.seed_rule), "seed_from": args.seed_from}
    except PlanError as exc:
        raise CliError(f"--seed-rule: {exc}") from None


def _warn_uncommitted(warnings: Any) -> None:
    for w in warnings:
        print(f"randcheck: 警告 WARNING: {w}", file=sys.stderr)


def _read_commitment(path: str) -> Any:
    try:
        raw = pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(
            f"{path}: not UTF-8 text; a commitment is the JSON file randcheck wrote (UTF-8): "
            "use that file, not a copy saved in another encoding"
        ) from None
    try:
        return Commitment.from_json(text)
    except VerificationError as exc:  # another record, or an edited one: bad input (status 2)
        raise CliError(
            f"{path}: not a commitment as randcheck writes it ({exc}); give the commitment "
            "published before the seed (`commit`, `batch` or `match` with --commit-only)"
        ) from None


def _plan(path: str, encoding: str = "utf-8-sig") -> Any:
    try:
        return SamplingPlan.from_dict(_read_structured(path, encoding))
    except PlanError as exc:
        raise CliError(f"{path}: {exc}") from None


# ---------------------------------------------------------------------------- commands
@_writes("out")
def _cmd_commit(args: argparse.Namespace) -> int:
    roster = _load_targets(args)
    c = commit(roster, _plan(args.plan, args.encoding), **_seed_rule_args(args))
    args.outputs.text(args.out, json.dumps(c.to_dict(), ensure_ascii=False, indent=1))
    return 0


@_writes("out", "sample")
def _cmd_draw(args: argparse.Namespace) -> int:
    roster = _load_targets(args)
    plan = _plan(args.plan, args.encoding)
    commitment = _read_commitment(args.commitment) if args.commitment else None
    _progress(f"drawing from {len(roster)} targets")
    result = draw(
        roster,
        plan,
        seed=args.seed,
        commitment=commitment,
        drawn_by=args.drawn_by,
        workers=args.workers,
        progress=sys.stderr.isatty(),  # a bar on a terminal (with tqdm), nothing in a pipe
    )
    _warn_uncommitted(result.receipt.warnings)
    args.outputs.text(args.out, result.receipt.to_json())
    if args.sample:
        cols = result.to_columns(roster)
        # The roster's own class letter beside the stratum (which may combine it with more).
        letters = [RISK_LETTERS[c] for c in roster.risk_class[result.rows].tolist()]
        names = ["credit_code", "name", "area", "risk_class", "stratum", "inclusion_probability"]
        args.outputs.rows(
            args.sample,
            [
                {
                    **{k: str(cols[k][i]) for k in names[:3]},
                    "risk_class": letters[i],
                    "stratum": str(cols["stratum"][i]),
                    "inclusion_probability": repr(float(cols["inclusion_probability"][i])),
                }
                for i in range(len(result))
            ],
            names,
        )
    _progress(f"drew {len(result)} targets; writing the receipt to {args.out or 'stdout'}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.archive:
        if not pathlib.Path(args.archive).exists():
            raise CliError(f"{args.archive}: no such archive (folder or .zip)")

        check = verify_archive(args.archive, anchor=args.anchor)
        recomputed = (
            "; draws recomputed (teams, recusals and visits checked as files only: verify the "
            "matching record for them)"
            if check.draws_recomputed
            else ""
        )
        if check.anchored:
            print(
                f"archive verified against its anchor {check.anchor}: "
                f"{len(check.files)} files as published{recomputed}"
            )
        else:
            print(
                f"archive consistent ({len(check.files)} files match its manifest{recomputed}) "
                f"but NOT ANCHORED: whoever can edit a file can rewrite the manifest too. Pass "
                f"--anchor with the digest published with the result; this archive's is "
                f"{check.anchor}"
            )
        return 0
    if args.anchor:
        raise CliError("--anchor checks an archive: give --archive PATH with it")
    if not args.receipt:
        raise CliError("give RECEIPT and --roster, or --archive FOLDER")
    try:
        record = pathlib.Path(args.receipt).read_bytes()
    except OSError as exc:
        raise CliError(f"{args.receipt}: cannot read ({exc.strerror})") from None
    data, kind = _receipt_data(args.receipt, record)
    if kind.against is not TargetRoster:
        return _verify_other(args, record, data, kind)
    _refuse_options(
        args, kind, ("visits", "officers", "conflicts", "unknown_conflicts", "results"), "--roster"
    )
    if not args.roster:
        raise CliError(f"{args.receipt}: a {kind.record.LABEL}, checked against it: give --roster")
    # The roster is checked by its fingerprint, so read it as it is: legacy codes and the
    # publisher's own columns included (they are part of what was committed).
    args.legacy_codes, args.unknown_columns = True, "keep"
    roster = _load_targets(args)
    options: dict[str, Any] = {}
    if args.commitment:
        if data.get("recipe") == Commitment.FORMAT:
            raise CliError("--commitment goes with a receipt: give the receipt as RECEIPT")
        options["commitment"] = _read_commitment(args.commitment)
    if args.accept_retired:
        options["accept_retired"] = True
    if args.items:
        if data.get("format") != BatchReceipt.FORMAT:
            raise CliError("--items goes with a batch receipt (batch --out)")
        options["items"] = load_items(args.items, encoding=args.encoding, sheet=args.sheet)
    _progress("recomputing the draw")

    verify(record, roster, **options)  # read strictly, whatever kind of record it is
    if data.get("recipe") == Commitment.FORMAT:  # a commitment: nothing was drawn yet
        print(
            "verified: the commitment matches this roster (名录指纹一致); no draw is checked: "
            "give the receipt as RECEIPT, and this file as --commitment"
        )
        return 0
    print("verified: the receipt recomputes to the same sample (样本一致)")
    if "format" in data and not args.commitment:
        # A receipt verifies against what it records; whether that is what was published
        # before the seed is for the reader to see.
        if data.get("commitment") is None:
            _warn_uncommitted([UNCOMMITTED_WARNING])
        else:
            print(
                f"drawn under the commitment {data['commitment']}: check that it is the one "
                "published before the seed (give that file as --commitment to compare)",
                file=sys.stderr,
            )
    elif args.commitment:
        print(f"drawn under the published commitment {data['commitment']}")
    return 0


def _verify_other(
    args: argparse.Namespace, record: bytes, data: dict[str, Any], kind: RecordKind
) -> int:
    """``verify`` of a matching or sweep record (against ``--visits``, ``--officers`` and
    ``--conflicts``) or of a revisit receipt (against ``--results``)."""
    if kind.against is ResultTable:
        others = ("visits", "officers", "conflicts", "unknown_conflicts", "map", "extra")
        _refuse_options(args, kind, (*others, "legacy_codes"), "--results")
    else:
        _refuse_options(args, kind, ("results", "legacy_codes"), "--visits and --officers")
    _refuse_options(args, kind, ("roster", "items", "accept_retired"), "")
    options: dict[str, Any] = {}
    if args.commitment:
        options["commitment"] = _read_commitment(args.commitment)
    if kind.against is ResultTable:
        if not args.results:
            raise CliError(
                f"{args.receipt}: a {kind.record.LABEL}, recomputed from the result table it "
                "was drawn from: give --results (检查结果, as `report` reads it)"
            )
        results = _read_results(args.results, args.encoding, args.sheet)
        _progress("recomputing the revisit draw")
        verify(record, results, **options)
        print("verified: the receipt recomputes to the same revisits (回访样本一致)")
    else:
        if not args.visits or not args.officers:
            raise CliError(
                f"{args.receipt}: a {kind.record.LABEL}, recomputed from the visits and the "
                "officer directory it was matched from: give --visits and --officers (and "
                "--conflicts if the matching had them)"
            )
        # Conflicts as published (legacy codes too): the record's digest of the recusals decides.
        visits, officers, options["conflicts"] = _matching_inputs(args, legacy_codes=True)
        options["unknown_conflicts"] = args.unknown_conflicts or "refuse"
        _progress(f"recomputing the matching of {len(visits)} visits")
        try:
            verify(record, (visits, officers), **options)
        except VerificationError:
            _progress(
                f"hint: the record must be recomputed from the very files it was matched from: "
                f"--visits with exactly its visits ({len(visits)} given; a round's visits, not "
                "the year's), the officer directory, and --conflicts if any were declared"
            )
            raise
        print("verified: the record recomputes to the same teams (检查组一致)")
    if args.commitment:
        print("drawn under the published commitment")
    else:
        print(
            "randcheck: 警告 WARNING: checked against what the record itself states; give the "
            "commitment published before its seed as --commitment to check that it was fixed "
            "before the seed was known",
            file=sys.stderr,
        )
    return 0


def _refuse_options(
    args: argparse.Namespace, kind: RecordKind, names: Sequence[str], against: str
) -> None:
    """Refuse an option ``verify`` would not use for this kind of record (it would be ignored
    while the record verifies against other inputs)."""
    for name in names:
        if getattr(args, name, None):
            checked = f", checked against {against}" if against else ""
            raise CliError(
                f"{args.receipt}: a {kind.record.LABEL}{checked}; --{name.replace('_', '-')} "
                f"does not go with it (see `randcheck verify --help`)"
            )


def _receipt_data(path: str, record: bytes) -> tuple[dict[str, Any], RecordKind]:
    """The record's JSON object and kind; refuse, as bad input (status 2), a file that is not
    JSON or not a record ``verify`` knows (whether it verifies, status 1, is for
    :func:`randcheck.audit.verify`, which reads it strictly)."""
    try:
        data = json.loads(record)
    except (ValueError, RecursionError) as exc:
        problem = f"not valid JSON ({exc}): the file is cut short or is not a receipt"
    else:
        if not isinstance(data, dict):
            problem = "not a receipt (a receipt is a JSON object)"
        else:
            problem = f"not a receipt (its format is {data.get('format')!r})"
            for kind in VERIFIERS.values():
                if data.get(kind.record.FORMAT_FIELD) == kind.format:
                    return data, kind
    raise CliError(
        f"{path}: {problem}; give a record as randcheck wrote it: a receipt or commitment "
        "(`draw --out`, `batch --out`, `commit --out`), a matching record (`match --record`) or "
        "a revisit receipt"
    )


@_writes("out")
def _cmd_deadline(args: argparse.Namespace) -> int:
    with _year_file_hint():
        return _deadline(args)


@contextlib.contextmanager
def _year_file_hint() -> Iterator[None]:
    """A year without a holiday calendar, said the command line's way (``--year-file``)."""
    try:
        yield
    except CalendarCoverageError as exc:
        # The library's fix names Python calls; the command line registers a year with a flag.
        message, said, _ = str(exc).partition("To fix it, ")
        fix = (
            f"give the State Council's notice for {exc.year} as --year-file "
            f"holidays-{exc.year}.toml (how-to: 'Register next year's holidays')"
        )
        raise CliError(f"{message}{said}{fix}" if said else f"{message}; {fix}") from None


def _calendar(args: argparse.Namespace) -> WorkCalendar:
    """The default calendar with the years of ``--year-file`` registered."""
    cal = WorkCalendar.default()
    for path in args.year_file or ():
        cal = cal.with_year_file(path)
    return cal


def _deadline(args: argparse.Namespace) -> int:
    cal = _calendar(args)
    result_rule = args.rule == "result"
    n = args.workdays if args.workdays is not None else (20 if result_rule else 2)
    event = "inspection_end" if result_rule else "draw"
    if args.events:
        rule = WorkdaysAfter(n, event=event)
        if _excel.is_excel(args.events):
            # The rows as the sheet shows them, echoed into the output; the dates from the loader.
            text = _excel.sheet_as_csv(
                args.events, args.sheet, lambda message: CliError(f"{args.events}: {message}")
            )
            events = load_events(args.events, sheet=args.sheet)
        else:
            text = _read_text(args.events, args.encoding)
            events = load_events(_Named(text.encode("utf-8"), args.events), encoding="utf-8")
        # The rows the loader reads, with their numbers in the file: blank rows (and rows of
        # empty cells alone, ",,,", as Excel saves them) are skipped but counted.
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        rows, numbers = [], []
        for k, values in enumerate(reader, start=2):
            if "".join(values):
                rows.append(dict(zip(header, values, strict=False)))
                numbers.append(k)
        if event not in events:
            raise CliError(f"{args.events}: needs a column {event!r} for --rule {args.rule}")
        cols = {event: events[event]}
        done = events.get("done")
        result = due_dates(
            rule,
            cols,
            as_of=args.as_of or dt.date.today().isoformat(),
            done=done,
            calendar=cal,
            rows=numbers,
        )
        labels = result.labels("zh")
        out = [
            dict(r, due="" if d is None else d.isoformat(), status=str(labels[i]))
            for i, (r, d) in enumerate(zip(rows, result.due.tolist(), strict=True))
        ]
        if args.out:
            args.outputs.rows(
                args.out, out, [*(rows[0] if rows else [event]), "due", "status"], STATUS_HEADER
            )
        else:
            for r in out:
                print(json.dumps(r, ensure_ascii=False))
        return 0
    if not args.date:
        raise CliError("give a DATE (and --workdays N), or --events FILE")
    due = cal.add_workdays(args.date, n)
    print(due.isoformat())
    return 0


def _pairs(values: Sequence[str] | None, flag: str) -> dict[str, float]:
    out = {}
    for pair in values or ():
        if "=" not in pair:
            raise CliError(f"{flag} {pair!r}: use CLASS=VALUE, e.g. {flag} C=2")
        k, v = pair.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise CliError(f"{flag} {pair!r}: {v!r} is not a number") from None
    return out


@_writes("out", "visits")
def _cmd_batch(args: argparse.Namespace) -> int:
    roster = _load_targets(args)
    items = load_items(args.items, encoding=args.encoding, sheet=args.sheet)
    plans = {}
    if args.plans:
        for code, d in _read_structured(args.plans, args.encoding).items():
            if not isinstance(d, dict):
                raise CliError(f"{args.plans}: the plan for {code!r} must be a table/object")
            plans[code] = SamplingPlan.from_dict(d)
    multipliers = _pairs(args.multiplier, "--multiplier") or None
    coordinated = not args.independent
    if args.commit_only:
        c = commit_batch(
            roster,
            items,
            plans,
            coordinated=coordinated,
            batch=args.batch,
            multipliers=multipliers,
            lead_order=tuple(args.lead or ()),
            **_seed_rule_args(args),
        )
        args.outputs.text(args.out, json.dumps(c.to_dict(), ensure_ascii=False, indent=1))
        return 0
    if not args.seed:
        raise CliError("give --seed (or --commit-only to print the commitment first)")
    commitment = _read_commitment(args.commitment) if args.commitment else None
    _progress(f"drawing {len(items)} items from {len(roster)} targets")
    batch = draw_batch(
        roster,
        items,
        plans,
        seed=args.seed,
        coordinated=coordinated,
        batch=args.batch,
        multipliers=multipliers,
        commitment=commitment,
        lead_order=tuple(args.lead or ()),
        drawn_by=args.drawn_by,
    )
    receipt: BatchReceipt = batch.receipt
    _warn_uncommitted(receipt.warnings)
    args.outputs.text(args.out, receipt.to_json())
    if args.visits:
        args.outputs.table(args.visits, batch.visits.to_csv)
    b = batch.burden()
    _progress(f"{b.visits_unmerged} item checks merged into {b.visits} visits")
    return 0


class _Named(io.BytesIO):
    """Bytes already read, under the file's name (for messages)."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


#: The columns of a visits file, each with the headers it may have: the English names and the
#: Chinese ones ``batch --visits --headers zh`` writes (and the directories' aliases).
_VISIT_HEADERS = {
    name: (name, _tables.zh_header(name), *TARGET_HEADERS.get(name, ()))
    for name in ("credit_code", "items", "departments", "lead_department", "skills", "area")
} | {"team_size": ("team_size", _tables.zh_header("team_size"))}


def _canonical_header(header: list[str], names: Mapping[str, Sequence[str]]) -> list[str]:
    """Each header as its column's name (unknown ones as they are)."""
    alias = {a: name for name, aliases in names.items() for a in aliases}
    return [alias.get(h.strip(), h) for h in header]


def _read_visits(path: str, encoding: str = "utf-8-sig") -> list[Any]:
    if _excel.is_excel(path):
        text = _excel.sheet_as_csv(path, None, lambda message: CliError(f"{path}: {message}"))
    else:
        text = _read_utf8_first(path, encoding, "randcheck writes visits as UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _canonical_header(next(reader, []), _VISIT_HEADERS)
    if "credit_code" not in header:
        raise CliError(
            f"{path}: needs a column 'credit_code' (统一社会信用代码), as `batch --visits` writes"
        )
    rows = [dict(zip(header, values, strict=False)) for values in reader]
    visits = []
    for k, r in enumerate(rows, start=2):
        if not "".join(r.values()):
            continue  # a blank row
        try:
            visits.append(
                Visit(
                    r["credit_code"],
                    items=r.get("items", ""),
                    departments=r.get("departments", ""),
                    lead_department=r.get("lead_department", ""),
                    skills=r.get("skills", ""),
                    area=r.get("area", ""),
                    team_size=int(r.get("team_size") or 2),
                )
            )
        except KeyError as exc:
            raise CliError(f"{path}: needs a column {exc}") from None
        except ValueError as exc:
            raise CliError(f"{path}, row {k}: {exc}") from None
    return visits


#: The warning of a matching made without a commitment.
UNCOMMITTED_MATCHING = (
    "no commitment: nothing shows that this matching's seed, key label and chances were fixed "
    "before the seed was known; publish `match --commit-only` (with --seed-rule and "
    "--seed-from) before the seed, and match with --commitment"
)


#: How many unknown officers of a conflicts file an error lists (all are counted).
_LISTED = 20


def _refuse_unknown_officers(args: argparse.Namespace, officers: Any) -> None:
    """Refuse ``--conflicts`` naming an officer who is not in ``--officers``: every such row of
    the file, in one error (the matching library would only number the entries)."""
    header, rows = _file_rows(args.conflicts, args.encoding, args.sheet)
    names = ("officer_id", *OFFICER_HEADERS["officer_id"])
    column = next((h for h in names if h in header), None)
    if column is None or not rows:  # load_conflicts has refused a file without the column
        return
    j = header.index(column)
    ids = [row[j].strip() if j < len(row) else "" for _, row in rows]
    unknown = [
        (k, v) for (k, _), v, i in zip(rows, ids, officers.row_of(ids), strict=True) if i < 0
    ]
    if not unknown:
        return
    listed = "; ".join(f"row {k}, value {v!r}" for k, v in unknown[:_LISTED])
    more = f"; and {len(unknown) - _LISTED} more" if len(unknown) > _LISTED else ""
    name = "names" if len(unknown) == 1 else "name"
    raise CliError(
        f"{args.conflicts}, column {column!r}: {_count(len(unknown), 'conflict')} [回避] {name} "
        f"an officer who is not in the officer directory {args.officers} ({listed}{more}): a "
        "mistyped 执法证号 would leave a recusal unapplied; correct them, or give "
        "--unknown-conflicts ignore for a list shared across bureaus"
    )


def _matching_inputs(
    args: argparse.Namespace, *, legacy_codes: bool
) -> tuple[list[Any], OfficerRoster, tuple[Any, ...]]:
    """The visits, officer directory and conflicts (none without ``--conflicts``) of ``match``
    and of ``verify`` with a matching record."""
    visits = _read_visits(args.visits, args.encoding)
    with _remarks():
        officers = _read_roster(OfficerRoster, args.officers, args)
    conflicts = (
        load_conflicts(
            args.conflicts, encoding=args.encoding, sheet=args.sheet, legacy_codes=legacy_codes
        )
        if args.conflicts
        else ()
    )
    return visits, officers, conflicts


def _read_results(path: str, encoding: str, sheet: Any) -> ResultTable:
    """A result table (检查结果) from CSV, or an ``.xlsx`` workbook by its suffix."""
    if _excel.is_excel(path):
        return ResultTable.from_excel(path, sheet=sheet)
    return ResultTable.from_csv(path, encoding=encoding)


@_writes("out", "recusals", "record")
def _cmd_match(args: argparse.Namespace) -> int:
    visits, officers, conflicts = _matching_inputs(args, legacy_codes=args.legacy_codes)
    if args.conflicts and args.unknown_conflicts == "refuse":
        _refuse_unknown_officers(args, officers)
    unit_areas: dict[str, set[str]] = {}
    if args.unit_areas and not args.cross_jurisdiction:
        raise CliError(
            "--unit-areas says which areas each unit covers, for --cross-jurisdiction (所所交叉); "
            "give both, or neither"
        )
    if args.unit_areas:
        text = _read_utf8_first(args.unit_areas, args.encoding, "not a table of unit, area")
        reader = csv.reader(io.StringIO(text, newline=""))
        names = {"unit": OFFICER_HEADERS["unit"], "area": TARGET_HEADERS["area"]}
        header = _canonical_header(next(reader, []), {k: (k, *v) for k, v in names.items()})
        if "unit" not in header or "area" not in header:
            raise CliError(
                f"{args.unit_areas}: needs the columns unit (所属单位) and area (行政区划), "
                f"one row per unit and area; its header is {','.join(header)}"
            )
        j_unit, j_area = header.index("unit"), header.index("area")
        for values in reader:
            if len(values) > max(j_unit, j_area) and values[j_unit].strip():
                unit_areas.setdefault(values[j_unit].strip(), set()).add(values[j_area].strip())
    rules = MatchingRules(
        team_size=args.team_size,
        cross_jurisdiction=args.cross_jurisdiction,
        unit_areas=unit_areas,
        pair_cap=args.pair_cap,
        recipe=args.recipe,
        team_cap=args.team_cap,
    )
    if args.commit_only:
        c = commit_matching(
            visits,
            officers,
            conflicts=conflicts,
            rules=rules,
            key_label=args.key_label,
            unknown_conflicts=args.unknown_conflicts,
            max_pairs=args.max_pairs,
            **_seed_rule_args(args),
        )
        args.outputs.text(args.out, json.dumps(c.to_dict(), ensure_ascii=False, indent=1))
        return 0
    if not args.seed:
        raise CliError("give --seed (or --commit-only to write the commitment first)")
    _progress(f"matching {len(officers)} officers to {len(visits)} visits")
    a = match_officers(
        visits,
        officers,
        conflicts=conflicts,
        rules=rules,
        seed=args.seed,
        key_label=args.key_label,
        progress=sys.stderr.isatty(),  # a bar on a terminal (with tqdm), nothing in a pipe
        max_pairs=args.max_pairs,
        unknown_conflicts=args.unknown_conflicts,
        commitment=_read_commitment(args.commitment) if args.commitment else None,
    )
    if args.record:
        args.outputs.text(args.record, a.record().to_json())
    if not args.commitment:
        print(
            f"randcheck: 警告 WARNING: {UNCOMMITTED_MATCHING}",
            file=sys.stderr,
        )
    if a.ignored_conflicts:
        _progress(
            f"ignored {_count(a.ignored_conflicts, 'conflict')} in {args.conflicts} naming an "
            f"officer who is not in {args.officers} (--unknown-conflicts ignore)"
        )
    # Teams as the bureau publishes them: who (name, unit, department), not only the ids.
    if args.out:
        args.outputs.table(args.out, a.to_csv, officers)
    else:
        cols = a.to_columns(officers)
        for k in range(len(cols["officer_id"])):
            print(json.dumps({n: v[k] for n, v in cols.items()}, ensure_ascii=False))
    if args.recusals:
        args.outputs.rows(
            args.recusals,
            [{"officer_id": o, "credit_code": c, "reason": why} for o, c, why in a.recusals],
            ["officer_id", "credit_code", "reason"],
        )
    _progress(f"{len(visits)} visits staffed; {len(a.recusals)} recusals applied")
    return 0


@_writes("out")
def _cmd_report(args: argparse.Namespace) -> int:
    roster = _load_targets(args)
    results = _read_results(args.results, args.encoding, args.sheet)
    with _year_file_hint():
        figures = year_figures(
            results, roster, year=args.year, as_of=args.as_of, calendar=_calendar(args)
        )
    print(figures.summary())
    ended = results.inspection_end.astype("datetime64[Y]").astype("int64") + 1970  # NaT: < 0
    if args.year is not None and not (ended == args.year).any():
        _progress(f"warning: {args.results} has no result of {args.year} (检查结束日期)")
    if args.out:
        args.outputs.table(args.out, figures.to_csv)
    return 0


@_writes()  # the demo's archive is written whole by write_archive; this cleans up if interrupted
def _cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(seed=args.seed, out=args.out)


_Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _add_seed_rule_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed-rule",
        metavar="RULE",
        help="how the seed will be read: shuangseqiu, daletou, pailie5, fucai3d or dice:N, "
        "each with the date of its draw (shuangseqiu@2025-03-04), beacon:N or pattern:REGEX "
        "(required for a commitment)",
    )
    p.add_argument(
        "--seed-from",
        metavar="TEXT",
        help="where the seed will come from, e.g. '福利彩票双色球 2025-03-04 开奖结果' "
        "(required for a commitment)",
    )


def _add_unknown_columns_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--unknown-columns",
        choices=("error", "ignore", "keep"),
        default="error",
        help="a column randcheck does not know: refuse the file (default), ignore it "
        "(named on stderr) or keep it as your own column",
    )


def _add_encoding_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--encoding",
        default="utf-8-sig",
        help="text encoding of the input files (default UTF-8 with or without BOM; "
        "gb18030 for GBK exports from Chinese Excel; a BOM decides)",
    )


def _add_table_out_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--headers",
        choices=("en", "zh"),
        default="en",
        help="headers of the CSV outputs: English column names (default) or Chinese "
        "(统一社会信用代码, 入样概率, 到期日 …; the ones randcheck's readers accept)",
    )
    p.add_argument(
        "--bom",
        action="store_true",
        help="write CSV outputs as UTF-8 with a BOM, so that Excel shows Chinese text",
    )


def _add_sheet_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sheet",
        help="the sheet to read from each .xlsx input, by name (default the first sheet)",
    )


def _add_roster_args(
    p: argparse.ArgumentParser,
    required: bool = True,
    roster_help: str = "target directory, CSV, .xlsx or Parquet (检查对象名录库)",
) -> None:
    p.add_argument("--roster", required=required, help=roster_help)
    p.add_argument(
        "--map",
        action="append",
        metavar="HEADER=COLUMN",
        help="map a CSV header to a column name (repeatable)",
    )
    p.add_argument(
        "--extra",
        action="append",
        metavar="COLUMN",
        help="keep one of your own columns, e.g. risk_score (repeatable)",
    )
    p.add_argument(
        "--legacy-codes",
        action="store_true",
        help="keep credit codes failing GB 32100 (each one is reported on stderr)",
    )
    _add_unknown_columns_arg(p)
    _add_encoding_arg(p)
    _add_sheet_arg(p)


def _add_check(sub: _Commands) -> None:
    ck = sub.add_parser(
        "check", help="check a directory file and list every problem (问题清单) in one pass"
    )
    ck.add_argument(
        "file",
        metavar="FILE",
        help="the file to check: CSV or .xlsx (a directory may also be Parquet)",
    )
    ck.add_argument(
        "--kind",
        choices=CHECK_KINDS,
        help="what FILE holds (default targets): the target or officer directory, results "
        "(检查结果), items (抽查事项清单), conflicts (回避) or events (dates for due dates)",
    )
    ck.add_argument("--officers", action="store_true", help="the same as --kind officers")
    ck.add_argument(
        "--date-column",
        action="append",
        metavar="COLUMN",
        help="with --kind events: a column holding dates (repeatable; default draw, "
        "inspection_end and done, or their Chinese headers)",
    )
    ck.add_argument("--report", help="write every problem as CSV here (UTF-8 with BOM, for Excel)")
    ck.add_argument("--headers", choices=("en", "zh"), default="en", help="report headers")
    _add_roster_args(
        ck,
        required=False,
        roster_help="with --kind results: the target directory (CSV, .xlsx or Parquet) that "
        "every result's credit code must be in; each result whose target it lacks is a problem",
    )
    ck.set_defaults(run=_cmd_check)


def _add_demo(sub: _Commands) -> None:
    d = sub.add_parser("demo", help="a year's draw on the bundled example county")
    d.add_argument("--seed", default=DEMO_SEED, help="public seed (default: a lottery result)")
    d.add_argument("--out", help="folder to write the demo's files to")
    d.set_defaults(run=_cmd_demo)


def _add_commit(sub: _Commands) -> None:
    c = sub.add_parser("commit", help="the commitment to publish before the seed")
    _add_roster_args(c)
    c.add_argument("--plan", required=True, help="sampling plan (JSON or TOML)")
    c.add_argument("--out", help="write the commitment JSON here (default: stdout)")
    _add_seed_rule_args(c)
    c.set_defaults(run=_cmd_commit)


def _add_draw(sub: _Commands) -> None:
    dr = sub.add_parser("draw", help="an official draw from a public seed")
    _add_roster_args(dr)
    dr.add_argument("--plan", required=True, help="sampling plan (JSON or TOML)")
    dr.add_argument("--seed", required=True, help="the public seed")
    dr.add_argument("--commitment", help="commitment JSON published before the seed")
    dr.add_argument("--drawn-by", help="who draws, for the record")
    dr.add_argument("--out", help="write the receipt JSON here (default: stdout)")
    dr.add_argument("--sample", help="write the drawn targets as CSV here")
    dr.add_argument(
        "--workers", type=int, default=1, help="processes that hash (default 1; at most the cores)"
    )
    _add_table_out_args(dr)
    dr.set_defaults(run=_cmd_draw)


def _add_verify(sub: _Commands) -> None:
    v = sub.add_parser(
        "verify",
        help="recompute a draw, batch, matching or revisit draw from its record, or an archive",
    )
    v.add_argument(
        "receipt",
        nargs="?",
        help="the record (JSON): a draw's or batch's receipt or a commitment (with --roster), "
        "a matching record (with --visits, --officers, --conflicts) or a revisit receipt "
        "(with --results)",
    )
    _add_roster_args(v, required=False)
    v.add_argument("--visits", help="with a matching record: the visits it matched (CSV, .xlsx)")
    v.add_argument(
        "--officers",
        help="with a matching record: the officer directory, CSV, .xlsx or Parquet",
    )
    v.add_argument(
        "--conflicts",
        help="with a matching record: the declared conflicts it applied (回避), CSV or .xlsx",
    )
    v.add_argument(
        "--unknown-conflicts",
        choices=("refuse", "ignore"),
        help="with a matching record: as given to `match` (default refuse)",
    )
    v.add_argument(
        "--results", help="with a revisit receipt: the result table it drew from (CSV, .xlsx)"
    )
    v.add_argument("--archive", help="an archive folder or zip to check on its own")
    v.add_argument(
        "--anchor",
        metavar="sha256:HEX",
        help="the archive's anchor, as published with the result (without it an archive is "
        "only found consistent, not anchored)",
    )
    v.add_argument(
        "--accept-retired",
        action="store_true",
        help="verify a record of 0.1.0 committed under the retired seed rule "
        "randcheck-seed-rule/1 (no draw date), after checking by hand that the seed's date is "
        "the draw its commitment names",
    )
    v.add_argument(
        "--items",
        metavar="FILE",
        help="with a batch receipt: the item list published with the batch (TOML, CSV or "
        ".xlsx); each item the receipt records must be the published one",
    )
    v.add_argument(
        "--commitment",
        metavar="FILE",
        help="the commitment JSON published before the seed: the record must have been drawn "
        "under it (without it, a receipt is checked against the commitment it records, a "
        "matching record or revisit receipt against what it states)",
    )
    v.set_defaults(run=_cmd_verify)


def _add_deadline(sub: _Commands) -> None:
    dl = sub.add_parser("deadline", help="working-day due dates (工作日期限)")
    dl.add_argument("date", nargs="?", help="event date (YYYY-MM-DD)")
    dl.add_argument(
        "--workdays", type=int, help="working days after (default 20 for results, 2 for matching)"
    )
    dl.add_argument(
        "--events",
        help="CSV or .xlsx with an inspection_end (or draw) column, optional done (or their "
        "Chinese headers: 检查结束日期, 抽取日期, 完成日期)",
    )
    dl.add_argument(
        "--rule",
        choices=("result", "matching"),
        default="result",
        help="result publication (20 working days) or officer matching",
    )
    dl.add_argument("--as-of", help="status as of this date (default today)")
    dl.add_argument("--encoding", default="utf-8-sig", help="text encoding of --events")
    _add_sheet_arg(dl)
    dl.add_argument(
        "--year-file",
        action="append",
        help="register a year's holiday schedule (TOML/JSON; repeatable)",
    )
    dl.add_argument("--out", help="write due dates CSV here (default: JSON lines on stdout)")
    _add_table_out_args(dl)
    dl.set_defaults(run=_cmd_deadline)


def _add_batch(sub: _Commands) -> None:
    b = sub.add_parser("batch", help="draw several items and merge them into visits")
    _add_roster_args(b)
    b.add_argument("--items", required=True, help="item list (TOML [[item]] tables, CSV or .xlsx)")
    b.add_argument("--plans", help="plans per item code (JSON/TOML); others use the item's rate")
    b.add_argument(
        "--multiplier",
        action="append",
        metavar="CLASS=X",
        help="class multiplier for items drawn at their own rate (repeatable)",
    )
    b.add_argument(
        "--independent",
        action="store_true",
        help="give every item its own key (default: coordinated, fewer visits)",
    )
    b.add_argument("--batch", default="batch", help="batch label (default 'batch')")
    b.add_argument(
        "--lead",
        action="append",
        metavar="DEPARTMENT",
        help="departments in order of precedence to lead joint visits",
    )
    b.add_argument("--seed", help="the public seed")
    b.add_argument(
        "--commit-only",
        action="store_true",
        help="print the batch commitment (publish it before the seed) and stop",
    )
    b.add_argument("--commitment", help="batch commitment JSON published before the seed")
    _add_seed_rule_args(b)
    b.add_argument("--drawn-by", help="who draws, for the record")
    b.add_argument("--out", help="write the batch receipt (or commitment) JSON here")
    b.add_argument("--visits", help="write the visits as CSV here")
    _add_table_out_args(b)
    b.set_defaults(run=_cmd_batch)


def _add_match(sub: _Commands) -> None:
    m = sub.add_parser("match", help="match officers to visits at random (双随机 #2)")
    m.add_argument("--visits", required=True, help="visits CSV (as written by `batch --visits`)")
    m.add_argument(
        "--officers",
        required=True,
        help="officer directory, CSV, .xlsx or Parquet (执法检查人员名录库)",
    )
    m.add_argument("--conflicts", help="declared conflicts, CSV or .xlsx (回避)")
    m.add_argument(
        "--legacy-codes",
        action="store_true",
        help="keep credit codes failing GB 32100 in the conflicts list (legacy codes)",
    )
    m.add_argument(
        "--unknown-conflicts",
        choices=("refuse", "ignore"),
        default="refuse",
        help="a conflict naming an officer who is not in --officers: refuse the file (default, "
        "every such row named) or ignore it (counted on stderr), for a list shared across "
        "bureaus",
    )
    m.add_argument("--seed", help="the matching's public seed")
    m.add_argument(
        "--commit-only",
        action="store_true",
        help="write the matching's commitment (publish it before the seed) to --out and stop",
    )
    m.add_argument("--commitment", help="the matching's commitment, published before the seed")
    _add_seed_rule_args(m)
    m.add_argument("--record", help="write the matching record (JSON, for verify) here")
    m.add_argument(
        "--key-label",
        default="matching",
        help="child key of the seed for this matching (default 'matching')",
    )
    m.add_argument("--team-size", type=int, default=2, help="officers per visit (at least 2)")
    m.add_argument(
        "--cross-jurisdiction",
        action="store_true",
        help="所所交叉: nobody inspects their own unit's area",
    )
    m.add_argument("--unit-areas", help="CSV with columns unit, area for --cross-jurisdiction")
    m.add_argument("--pair-cap", type=float, help="most probability of any officer on a visit")
    m.add_argument(
        "--max-pairs",
        type=int,
        default=MAX_PAIRS,
        help=f"most officer–visit pairs in one batch (default {MAX_PAIRS:,}; more is slower)",
    )
    m.add_argument(
        "--team-cap",
        type=float,
        help="most teaming bound of any two officers, a chance within (0, 1] (防止合谋)",
    )
    m.add_argument(
        "--recipe",
        choices=MATCHING_RECIPES,
        default=MATCHING_RECIPE,
        help="matching recipe (only randcheck-matching/3; /1 and /2 are retired)",
    )
    _add_unknown_columns_arg(m)
    _add_encoding_arg(m)
    _add_sheet_arg(m)
    m.add_argument(
        "--out",
        help="write teams CSV here (default: JSON lines on stdout), or the commitment JSON",
    )
    m.add_argument("--recusals", help="write the recusals applied as CSV here")
    _add_table_out_args(m)
    m.set_defaults(run=_cmd_match)


def _add_report(sub: _Commands) -> None:
    r = sub.add_parser("report", help="the year-end figures from results")
    _add_roster_args(r)
    r.add_argument("--results", required=True, help="results, CSV or .xlsx (检查结果)")
    r.add_argument("--year", type=int, help="the year to report")
    r.add_argument("--as-of", help="count as of this date (default: end of the year)")
    r.add_argument(
        "--year-file",
        action="append",
        help="register a year's holiday schedule (TOML/JSON; repeatable), for results whose "
        "20 working days run into a year randcheck does not know yet",
    )
    r.add_argument("--out", help="write the figures as a tidy CSV here")
    _add_table_out_args(r)
    r.set_defaults(run=_cmd_report)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="randcheck", description="Verifiable random inspection (双随机、一公开)."
    )
    parser.add_argument("--version", action="version", version=library())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_check(sub)
    _add_demo(sub)
    _add_commit(sub)
    _add_draw(sub)
    _add_verify(sub)
    _add_deadline(sub)
    _add_batch(sub)
    _add_match(sub)
    _add_report(sub)
    return parser


#: Hints in library messages, said the way a command-line user says them.
_CLI_WORDS = (
    ("pass extra=[...] to keep your own columns", "pass --extra COLUMN to keep your own columns"),
    ("legacy_codes=True", "--legacy-codes"),
    ("unknown_columns='ignore'", "--unknown-columns ignore"),
    ("mapping={...}", "--map HEADER=COLUMN"),
    ("encoding='gb18030'", "--encoding gb18030"),
    ("give year= or as_of=", "give --year or --as-of"),
    ("unknown_conflicts='ignore'", "--unknown-conflicts ignore"),
)


def _one_line(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    reasons = getattr(exc, "reasons", None)
    if reasons:
        more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
        message = f"{message.rstrip(':')}: {reasons[0]}{more}"
    report = getattr(exc, "report", None)
    if report is not None and report.problems and report.problems[0].fix:
        fix = report.problems[0].fix
        if fix not in message:
            message += f"; fix: {fix}"
    message = _cli_words(message)
    if report is not None and len(report) > 1:
        message += (
            f" ({len(report)} problems in all: "
            + "; ".join(f"{n} × {k}" for k, n in report.counts.items())
            + "; list them with `randcheck check FILE --report problems.csv`, adding "
            "--kind for a file that is not the target directory)"
        )
    return message


def _cli_words(message: str) -> str:
    for api, cli in _CLI_WORDS:
        message = message.replace(api, cli)
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m randcheck`` and the ``randcheck`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except VerificationError as exc:
        text = _one_line(exc).removeprefix("verification failed: ")
        print(f"randcheck: verification failed: {text}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head`: stop quietly
        sys.stderr.close()
        return 0
    except (KeyboardInterrupt, Interrupted) as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        print("randcheck: interrupted; no output file was left half-written", file=sys.stderr)
        return 128 + int(signum)
    except (RandcheckError, CliError, OSError, ValueError, KeyError, UnicodeError) as exc:
        # ValueError and KeyError from a file the library reads are bad input too: one line.
        print(f"randcheck: error: {_one_line(exc)}", file=sys.stderr)
        return 2
