"""Archive (归档): a batch's complete record in one folder or zip, and a check that nothing changed.

:func:`write_archive` writes every part it is given — the roster snapshot (or only its fingerprint),
the plan, commitment and receipt (of a single draw or a batch), visits, teams and recusals,
results and publication records — plus ``README.txt`` (how to verify it) and ``MANIFEST.json``:
the SHA-256 of every file (recipe ``randcheck-archive/1``). :func:`verify_archive` re-reads an
archive alone and says whether any file was changed, added or removed, and, when the roster
snapshot is in the archive, recomputes the draw(s) from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import pathlib
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import attrs

from randcheck._records import strict_loads
from randcheck.calendar import CHINA_TZ
from randcheck.errors import RosterWarning, VerificationError
from randcheck.roster import TargetRoster
from randcheck.sampling import Commitment, Receipt, SamplingPlan

__all__ = ["ARCHIVE_RECIPE", "ArchiveCheck", "verify_archive", "write_archive"]

ARCHIVE_RECIPE = "randcheck-archive/1"

_README = """randcheck archive ({recipe})
================================

This folder is the record of a random-inspection batch (双随机、一公开 归档).
MANIFEST.json lists the SHA-256 of every file; any change to a file changes its hash.

Check it with randcheck (any later version that still lists the recipes in receipt.json):

    python -m randcheck verify --archive <this folder or zip>

Or recompute the draw with the standard-library reference verifier, which needs no randcheck:

    python reference_verifier.py receipt.json roster.csv

(the verifier is published in randcheck's documentation and shipped as
randcheck/reference_verifier.py). roster.csv is present when the archive includes the roster
snapshot; otherwise roster_digest.txt gives the fingerprint the roster must have.
"""


@attrs.frozen
class ArchiveCheck:
    """What :func:`verify_archive` found: the files checked and whether draws were recomputed."""

    files: tuple[str, ...]
    draws_recomputed: bool


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def write_archive(
    path: str | os.PathLike[str],
    *,
    receipt: Any,
    roster: TargetRoster | None = None,
    include_roster: bool = True,
    plan: SamplingPlan | None = None,
    commitment: Commitment | None = None,
    visits: Any = None,
    assignment: Any = None,
    results: Any = None,
    extra: Mapping[str, bytes | str] | None = None,
    as_of: Any = None,
    as_zip: bool | None = None,
) -> pathlib.Path:
    """Write a batch's record to a folder (or a ``.zip`` file) and return its path.

    Parameters
    ----------
    path : path
        A new folder, or a file name ending in ``.zip`` (or pass ``as_zip=True``). An existing
        non-empty folder is refused, so an archive is never half-overwritten.
    receipt : Receipt or BatchReceipt
        The draw's or the batch's receipt (``receipt.json``).
    roster : TargetRoster, optional
        The frozen directory; written as ``roster.csv`` when ``include_roster`` is true, and
        its fingerprint always as ``roster_digest.txt``.
    plan, commitment : optional
        ``plan.json`` and ``commitment.json``.
    visits : VisitTable, optional
        ``visits.csv``.
    assignment : optional
        Officer teams: an object with ``to_rows()`` (``teams.csv``) and ``recusals``
        (``recusals.csv``).
    results : ResultTable, optional
        Inspection results (``results.csv``) and, with the roster, their publication records
        (``publication.csv``: public fields only, due dates and status).
    extra : mapping of file name to content, optional
        Further files.
    as_of : date, optional
        The date the publication records' status is computed for (default today, China time).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> county = randcheck.example_county()
    >>> plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    >>> d = randcheck.draw(county.targets, plan, seed="2023-03-07")
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "batch-2023-01"
    >>> _ = write_archive(folder, receipt=d.receipt, roster=county.targets, plan=plan)
    >>> verify_archive(folder).draws_recomputed
    True
    """
    target = pathlib.Path(path)
    zipped = target.suffix == ".zip" if as_zip is None else as_zip
    files: dict[str, bytes] = {}
    files["receipt.json"] = (receipt.to_json() + "\n").encode("utf-8")
    if plan is not None:
        files["plan.json"] = _dump(plan.to_dict())
    if commitment is not None:
        files["commitment.json"] = _dump(commitment.to_dict())
    with tempfile.TemporaryDirectory() as tmp:
        scratch = pathlib.Path(tmp)
        if roster is not None:
            files["roster_digest.txt"] = (roster.digest() + "\n").encode()
            if include_roster:
                roster.to_csv(scratch / "roster.csv")
                files["roster.csv"] = (scratch / "roster.csv").read_bytes()
        if visits is not None:
            visits.to_csv(scratch / "visits.csv")
            files["visits.csv"] = (scratch / "visits.csv").read_bytes()
        if assignment is not None:
            files["teams.csv"] = _rows_csv(assignment.to_rows())
            recusals = getattr(assignment, "recusals", None)
            if recusals is not None:
                files["recusals.csv"] = _rows_csv(
                    [
                        r
                        if isinstance(r, Mapping)
                        else (
                            attrs.asdict(r)
                            if attrs.has(type(r))
                            else dict(zip(("officer_id", "credit_code", "reason"), r, strict=False))
                        )
                        for r in recusals
                    ]
                )
        if results is not None:
            from randcheck.results import publication_records

            results.to_csv(scratch / "results.csv")
            files["results.csv"] = (scratch / "results.csv").read_bytes()
            if roster is not None:
                when = as_of or dt.datetime.now(CHINA_TZ).date()
                publication_records(results, as_of=when, roster=roster).to_csv(
                    scratch / "publication.csv"
                )
                files["publication.csv"] = (scratch / "publication.csv").read_bytes()
    for name, content in (extra or {}).items():
        plain = pathlib.PurePath(name).name == name and not name.startswith(".")
        if not plain or name in files or name in ("README.txt", "MANIFEST.json"):
            raise ValueError(
                f"extra file {name!r}: use a plain file name that is not one of the archive's "
                f"own ({', '.join(sorted([*files, 'README.txt', 'MANIFEST.json']))})"
            )
        files[name] = content.encode("utf-8") if isinstance(content, str) else content
    files["README.txt"] = _README.format(recipe=ARCHIVE_RECIPE).encode("utf-8")
    manifest = {
        "recipe": ARCHIVE_RECIPE,
        "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())},
    }
    files["MANIFEST.json"] = _dump(manifest)

    if zipped:
        if target.exists():
            raise FileExistsError(f"{target} exists; an archive is never overwritten")
        tmp_zip = target.with_name(target.name + ".tmp")
        with zipfile.ZipFile(tmp_zip, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(files.items()):
                zf.writestr(name, data)
        os.replace(tmp_zip, target)
        return target
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty; an archive is never overwritten")
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".archive-", dir=target.parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _rows_csv(rows: list[Mapping[str, Any]]) -> bytes:
    import csv

    out = io.StringIO()
    if rows:
        w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    k: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                    for k, v in r.items()
                }
            )
    return out.getvalue().encode("utf-8")


def _read_all(path: pathlib.Path) -> dict[str, bytes]:
    if path.is_file():
        try:
            with zipfile.ZipFile(path) as zf:
                return {n: zf.read(n) for n in zf.namelist()}
        except zipfile.BadZipFile:
            raise VerificationError(f"{path} is not a zip archive") from None
    if not path.is_dir():
        raise VerificationError(f"{path}: no such archive (folder or .zip)")
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


def _cross_check(files: Mapping[str, bytes]) -> list[str]:
    """The archive's files must describe one batch: fingerprint, plan and commitment agree."""
    if "receipt.json" not in files:
        return ["receipt.json is missing: an archive holds the receipt of its draw or batch"]
    try:
        data = strict_loads(files["receipt.json"], "receipt.json")
        batch = data.get("format") == "randcheck-batch/1"
        draws = data["draws"] if batch else [data]
        roster_digest = data["roster_digest"]
        committed = data.get("commitment")
        if batch and data.get("mode") == "joint-task":
            committed = draws[0].get("commitment")
    except VerificationError as exc:
        return [str(exc)]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return ["receipt.json cannot be read as a randcheck receipt"]
    found = []
    written = files.get("roster_digest.txt")
    if written is not None and written.decode("utf-8", "replace").strip() != roster_digest:
        found.append("roster_digest.txt is not the fingerprint in receipt.json")
    if "plan.json" in files:
        try:
            plan = SamplingPlan.from_dict(json.loads(files["plan.json"]))
            recorded = [SamplingPlan.from_dict(d["plan"]) for d in draws]
        except (ValueError, KeyError, TypeError):
            found.append("plan.json cannot be read as a sampling plan")
        else:
            if plan not in recorded:
                found.append("plan.json is not the plan of the draw in receipt.json")
    if "commitment.json" in files:
        try:
            commitment = Commitment.from_json(files["commitment.json"])
        except (ValueError, VerificationError):
            found.append("commitment.json cannot be read as a commitment")
        else:
            if commitment.digest != committed:
                found.append("commitment.json is not the commitment recorded in receipt.json")
    return found


def verify_archive(path: str | os.PathLike[str]) -> ArchiveCheck:
    """Check an archive alone: every file's hash, then (with a roster snapshot) every draw.

    Raises
    ------
    VerificationError
        Listing each file that was changed, added or removed, and any draw that does not
        recompute.
    """
    target = pathlib.Path(path)
    files = _read_all(target)
    if "MANIFEST.json" not in files:
        raise VerificationError(f"{target}: MANIFEST.json is missing; not a randcheck archive")
    try:
        manifest = json.loads(files.pop("MANIFEST.json"))
        listed: dict[str, str] = dict(manifest["files"])
    except (ValueError, KeyError, TypeError):
        raise VerificationError(f"{target}: MANIFEST.json cannot be read") from None
    diffs: list[str] = []
    for name in sorted(set(listed) | set(files)):
        if name not in files:
            diffs.append(f"{name}: listed in the manifest but missing")
        elif name not in listed:
            diffs.append(f"{name}: not in the manifest (added after archiving)")
        elif hashlib.sha256(files[name]).hexdigest() != listed[name]:
            diffs.append(f"{name}: changed since archiving (SHA-256 differs)")
    if not diffs:
        diffs += _cross_check(files)
    recomputed = False
    if not diffs and "roster.csv" in files:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path = pathlib.Path(tmp) / "roster.csv"
            csv_path.write_bytes(files["roster.csv"])
            with warnings.catch_warnings(action="ignore", category=RosterWarning):
                # As published: legacy codes and the publisher's own columns are committed too.
                roster = TargetRoster.from_csv(csv_path, legacy_codes=True, unknown_columns="keep")
        data = strict_loads(files["receipt.json"], "receipt.json")
        try:
            if data.get("format") == "randcheck-batch/1":
                from randcheck.joint import verify_batch

                verify_batch(data, roster)
            else:
                from randcheck.sampling import verify

                verify(Receipt.from_dict(data), roster)
            recomputed = True
        except VerificationError as exc:
            diffs += exc.differences
    if diffs:
        raise VerificationError(f"archive {target} does not verify: " + "; ".join(diffs), diffs)
    return ArchiveCheck(tuple(sorted(listed)), recomputed)
