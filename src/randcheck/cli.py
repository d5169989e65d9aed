"""The ``randcheck`` command line: thin over the library, for scripts and other languages.

Commands read CSV / JSON / TOML, write CSV / JSON, print progress to standard error, and on bad
input exit with status 2 and a one-line message (``randcheck: error: …``). A failed verification
exits with status 1. ``randcheck <command> --help`` describes each command.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import pathlib
import sys
import tomllib
from collections.abc import Callable, Sequence
from typing import Any

from randcheck import __version__
from randcheck.demo import DEMO_SEED
from randcheck.errors import RandcheckError, VerificationError


class CliError(Exception):
    """A bad argument or file, reported in one line."""


def _progress(message: str) -> None:
    print(f"randcheck: {message}", file=sys.stderr, flush=True)


def _read_structured(path: str) -> dict[str, Any]:
    p = pathlib.Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        if p.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CliError(
            f"{path}: not valid {p.suffix.lstrip('.').upper() or 'JSON'}: {exc}"
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
    from randcheck.roster import TargetRoster

    _progress(f"loading targets from {args.roster}")
    return TargetRoster.from_csv(
        args.roster,
        mapping=_mapping(getattr(args, "map", None)),
        strict=not getattr(args, "lenient", False),
        extra=getattr(args, "extra", None) or None,
    )


def _write_text(path: str | None, text: str) -> None:
    if path is None or path == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    target = pathlib.Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    tmp.replace(target)


def _write_rows(path: str, rows: list[dict[str, Any]]) -> None:
    target = pathlib.Path(path)
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        if rows:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            for r in rows:
                w.writerow(
                    {
                        k: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                        for k, v in r.items()
                    }
                )
    tmp.replace(target)


def _plan(path: str) -> Any:
    from randcheck.sampling import SamplingPlan

    return SamplingPlan.from_dict(_read_structured(path))


# ---------------------------------------------------------------------------- commands
def _cmd_commit(args: argparse.Namespace) -> int:
    from randcheck.sampling import commit

    roster = _load_targets(args)
    c = commit(roster, _plan(args.plan))
    _write_text(args.out, json.dumps(c.to_dict(), ensure_ascii=False, indent=1))
    return 0


def _cmd_draw(args: argparse.Namespace) -> int:
    from randcheck.sampling import Commitment, draw

    roster = _load_targets(args)
    plan = _plan(args.plan)
    commitment = None
    if args.commitment:
        c = _read_structured(args.commitment)
        try:
            commitment = Commitment(c["roster_digest"], c["plan_digest"], c["digest"])
        except KeyError as exc:
            raise CliError(f"{args.commitment}: missing field {exc}") from None
    _progress(f"drawing from {len(roster)} targets")
    result = draw(roster, plan, seed=args.seed, commitment=commitment, drawn_by=args.drawn_by)
    _write_text(args.out, result.receipt.to_json())
    if args.sample:
        cols = result.to_columns()
        _write_rows(
            args.sample,
            [
                {
                    "credit_code": str(cols["credit_code"][i]),
                    "stratum": str(cols["stratum"][i]),
                    "inclusion_probability": repr(float(cols["inclusion_probability"][i])),
                }
                for i in range(len(result))
            ],
        )
    _progress(f"drew {len(result)} targets; receipt written to {args.out or 'stdout'}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    if args.archive:
        from randcheck.archive import verify_archive

        check = verify_archive(args.archive)
        print(
            f"archive verified: {len(check.files)} files unchanged"
            + ("; draws recomputed" if check.draws_recomputed else "")
        )
        return 0
    if not args.receipt or not args.roster:
        raise CliError("give RECEIPT and --roster, or --archive FOLDER")
    data = _read_structured(args.receipt)
    roster = _load_targets(args)
    _progress("recomputing the draw")
    if data.get("format") == "randcheck-batch/1":
        from randcheck.joint import verify_batch

        verify_batch(data, roster)
    else:
        from randcheck.sampling import verify

        verify(data, roster)
    print("verified: the receipt recomputes to the same sample (样本一致)")
    return 0


def _cmd_deadline(args: argparse.Namespace) -> int:
    from randcheck.calendar import WorkCalendar

    cal = WorkCalendar.default()
    for path in args.year_file or ():
        cal = cal.with_year_file(path)
    if args.events:
        from randcheck.deadlines import RESULT_PUBLICATION, due_dates, officer_matching

        rule = RESULT_PUBLICATION if args.rule == "result" else officer_matching(args.workdays)
        event = "inspection_end" if args.rule == "result" else "draw"
        with open(args.events, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if rows and event not in rows[0]:
            raise CliError(f"{args.events}: needs a column {event!r}")
        cols = {event: [r[event] for r in rows]}
        done = [r.get("done") or None for r in rows] if rows and "done" in rows[0] else None
        result = due_dates(
            rule, cols, as_of=args.as_of or dt.date.today().isoformat(), done=done, calendar=cal
        )
        labels = result.labels("zh")
        out = [
            dict(r, due="" if d is None else d.isoformat(), status=str(labels[i]))
            for i, (r, d) in enumerate(zip(rows, result.due.tolist(), strict=True))
        ]
        if args.out:
            _write_rows(args.out, out)
        else:
            for r in out:
                print(json.dumps(r, ensure_ascii=False))
        return 0
    if not args.date:
        raise CliError("give a DATE (and --workdays N), or --events FILE")
    due = cal.add_workdays(args.date, args.workdays)
    print(due.isoformat())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from randcheck.demo import run_demo

    return run_demo(seed=args.seed, out=args.out)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="randcheck", description="Verifiable random inspection (双随机、一公开)."
    )
    parser.add_argument("--version", action="version", version=f"randcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def roster_args(p: argparse.ArgumentParser, required: bool = True) -> None:
        p.add_argument("--roster", required=required, help="target directory CSV (检查对象名录库)")
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
            "--lenient", action="store_true", help="accept legacy credit codes and unknown columns"
        )

    d = sub.add_parser("demo", help="a year's draw on the bundled example county")
    d.add_argument("--seed", default=DEMO_SEED, help="public seed (default: a lottery result)")
    d.add_argument("--out", help="folder to write the demo's files to")
    d.set_defaults(run=_cmd_demo)

    c = sub.add_parser("commit", help="the commitment to publish before the seed")
    roster_args(c)
    c.add_argument("--plan", required=True, help="sampling plan (JSON or TOML)")
    c.add_argument("--out", help="write the commitment JSON here (default: stdout)")
    c.set_defaults(run=_cmd_commit)

    dr = sub.add_parser("draw", help="an official draw from a public seed")
    roster_args(dr)
    dr.add_argument("--plan", required=True, help="sampling plan (JSON or TOML)")
    dr.add_argument("--seed", required=True, help="the public seed")
    dr.add_argument("--commitment", help="commitment JSON published before the seed")
    dr.add_argument("--drawn-by", help="who draws, for the record")
    dr.add_argument("--out", help="write the receipt JSON here (default: stdout)")
    dr.add_argument("--sample", help="write the drawn targets as CSV here")
    dr.set_defaults(run=_cmd_draw)

    v = sub.add_parser("verify", help="recompute a draw or batch from its receipt, or an archive")
    v.add_argument("receipt", nargs="?", help="receipt JSON (a draw or a batch)")
    roster_args(v, required=False)
    v.add_argument("--archive", help="an archive folder or zip to check on its own")
    v.set_defaults(run=_cmd_verify)

    dl = sub.add_parser("deadline", help="working-day due dates (工作日期限)")
    dl.add_argument("date", nargs="?", help="event date (YYYY-MM-DD)")
    dl.add_argument("--workdays", type=int, default=20, help="working days after (default 20)")
    dl.add_argument("--events", help="CSV with an inspection_end (or draw) column, optional done")
    dl.add_argument(
        "--rule",
        choices=("result", "matching"),
        default="result",
        help="result publication (20 working days) or officer matching",
    )
    dl.add_argument("--as-of", help="status as of this date (default today)")
    dl.add_argument(
        "--year-file",
        action="append",
        help="register a year's holiday schedule (TOML/JSON; repeatable)",
    )
    dl.add_argument("--out", help="write due dates CSV here (default: JSON lines on stdout)")
    dl.set_defaults(run=_cmd_deadline)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m randcheck`` and the ``randcheck`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except VerificationError as exc:
        print(f"randcheck: verification failed: {exc}", file=sys.stderr)
        return 1
    except (RandcheckError, CliError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reasons = getattr(exc, "reasons", None)
        if reasons:
            more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
            message = f"{message.rstrip(':')}: {reasons[0]}{more}"
        print(f"randcheck: error: {message}", file=sys.stderr)
        return 2
