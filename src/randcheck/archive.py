"""Archive (归档): a batch's complete record in one folder or zip, anchored by one published digest.

:func:`write_archive` writes every part it is given — the roster snapshot (or only its fingerprint),
the plan, commitment and receipt (of a single draw or a batch), visits, teams and recusals,
results and publication records — plus ``README.txt`` (how to verify it) and ``MANIFEST.json``:
the SHA-256 of every other file (recipe ``randcheck-archive/2``). The archive's **anchor** is
``sha256:`` followed by the SHA-256 of the ``MANIFEST.json`` bytes: the bureau publishes it on its
site with the result, so that the whole archive is pinned by one short line.

:func:`verify_archive` re-reads an archive alone: the manifest against the published anchor, every
file against the manifest (nothing changed, added or removed), the files against each other, and,
when the roster snapshot is in the archive, every draw recomputed from it. Without the anchor it
can only say the archive is *consistent*: whoever can edit a file can also rewrite the manifest.

An archive holds regular files only, at its top level, under plain names. A folder holding a
sub-folder, a symbolic link, a FIFO or a device, and a zip with an unsafe member name (absolute,
``..``, a ``/`` or ``\\``), two members of one name, a link member or an encrypted member are
refused before anything is read from them. At most :data:`MAX_ARCHIVE_FILES` files and
:data:`MAX_ARCHIVE_BYTES` bytes (uncompressed, counted as they are read, whatever a zip declares)
are read, so a zip bomb fails early.

Recipe ``randcheck-archive/1`` (manifest without an anchor, written before 0.1.0) is retired:
such archives are refused with a message saying so.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import attrs

from randcheck._dates import CHINA_TZ
from randcheck._files import atomic_path, check_writable
from randcheck._records import strict_loads
from randcheck.errors import RosterWarning, VerificationError
from randcheck.joint import verify_batch
from randcheck.results import publication_records
from randcheck.roster import TargetRoster
from randcheck.sampling import Commitment, Receipt, SamplingPlan
from randcheck.sampling import verify as verify_draw

__all__ = [
    "ARCHIVE_RECIPE",
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_FILES",
    "ArchiveCheck",
    "WrittenArchive",
    "verify_archive",
    "write_archive",
]

ARCHIVE_RECIPE = "randcheck-archive/2"
#: Pre-release archive recipes that are no longer read, and why.
RETIRED_ARCHIVE_RECIPES = {
    "randcheck-archive/1": "its manifest has no published anchor, so a rewritten manifest passed",
}
#: The most files an archive may hold (a batch's archive has about ten).
MAX_ARCHIVE_FILES = 1_000
#: The most bytes, uncompressed, read from an archive: 4 GiB (a 10⁷-row roster is about 1.3 GB).
MAX_ARCHIVE_BYTES = 4 * 1024**3

_MANIFEST = "MANIFEST.json"
_README_NAME = "README.txt"
_ANCHOR = re.compile(r"sha256:[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-f]{64}")
# A plain file name: no folder part, not hidden, no characters that mean something to a shell,
# a zip tool or another file system.
_PLAIN = re.compile(r"[^./\\:\x00-\x1f\x7f][^/\\:\x00-\x1f\x7f]*")
_NAME_BYTES = 200  # file systems allow 255 bytes a name; a zip tool may add a suffix
# Fixed zip timestamps and modes, so one archive's content always gives the same zip bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = (stat.S_IFREG | 0o644) << 16

_README = """randcheck archive ({recipe})
================================

This folder is the record of a random-inspection batch (双随机、一公开 归档).
MANIFEST.json lists the SHA-256 of every other file. The archive's anchor is the SHA-256 of
MANIFEST.json itself; it was published with the result (for example on the bureau's site):

    sha256:<64 hex digits>

Check the archive against the published anchor with randcheck (any later version that still
lists the recipes in receipt.json):

    python -m randcheck verify --archive <this folder or zip> --anchor sha256:...

Without the anchor the check only shows the files agree with each other: whoever edits a file
can rewrite MANIFEST.json too. The anchor can also be checked by hand:

    sha256sum MANIFEST.json

Recompute the draw with the standard-library reference verifier, which needs no randcheck:

    python reference_verifier.py receipt.json roster.csv

(the verifier is published in randcheck's documentation and shipped as
randcheck/reference_verifier.py). roster.csv is present when the archive includes the roster
snapshot; otherwise roster_digest.txt gives the fingerprint the roster must have.
"""


def anchor_of(manifest: bytes) -> str:
    """The anchor of an archive: ``sha256:`` and the SHA-256 of its ``MANIFEST.json`` bytes."""
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


@attrs.frozen
class WrittenArchive:
    """What :func:`write_archive` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The archive folder or zip file.
    anchor : str
        ``sha256:`` and the SHA-256 of ``MANIFEST.json``: publish it with the result; anyone then
        checks the archive with ``verify_archive(path, anchor=...)``.
    files : tuple of str
        The archive's file names, sorted (``MANIFEST.json`` included).
    """

    path: pathlib.Path
    anchor: str
    files: tuple[str, ...]

    def __fspath__(self) -> str:
        return os.fspath(self.path)


@attrs.frozen
class ArchiveCheck:
    """What :func:`verify_archive` found.

    Attributes
    ----------
    files : tuple of str
        The files the manifest lists and that were checked, sorted.
    draws_recomputed : bool
        Whether the archive holds the roster snapshot and every draw was recomputed from it.
    anchor : str
        The archive's anchor (``sha256:`` and the SHA-256 of its ``MANIFEST.json``).
    anchored : bool
        Whether the anchor was checked against a published one. When false the archive is only
        known to be consistent: its files match a manifest that anyone could have rewritten.
    """

    files: tuple[str, ...]
    draws_recomputed: bool
    anchor: str
    anchored: bool


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _is_plain(name: str) -> bool:
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return size <= _NAME_BYTES and _PLAIN.fullmatch(name) is not None


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
) -> WrittenArchive:
    """Write a batch's record to a new folder (or ``.zip`` file); return its path and anchor.

    The archive appears whole or not at all: it is written under a unique temporary name beside
    ``path`` and moved into place in one step, which fails if ``path`` exists by then. Of several
    processes writing one archive at once, exactly one succeeds; the others get
    :class:`FileExistsError`.

    Parameters
    ----------
    path : path
        A new folder (or an empty one), or a file name ending in ``.zip`` (or pass
        ``as_zip=True``). An existing zip or non-empty folder is refused: an archive is never
        overwritten.
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
        Further files, under plain names (no folder, not hidden, no ``\\`` or ``:``).
    as_of : date, optional
        The date the publication records' status is computed for (default today, China time).

    Returns
    -------
    WrittenArchive
        ``.path``, ``.anchor`` (publish it with the result) and ``.files``.

    Raises
    ------
    FileExistsError
        If ``path`` exists (a zip, or a non-empty folder).
    FileNotFoundError
        If the folder ``path`` is to go in does not exist.
    ValueError
        If an extra file's name is not plain or is one of the archive's own.

    Examples
    --------
    >>> from randcheck.archive import verify_archive
    >>> import tempfile, pathlib
    >>> county = randcheck.example_county()
    >>> plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    >>> d = randcheck.draw(county.targets, plan, seed="2023-03-07")
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "batch-2023-01"
    >>> written = write_archive(folder, receipt=d.receipt, roster=county.targets, plan=plan)
    >>> written.anchor[:7]
    'sha256:'
    >>> check = verify_archive(folder, anchor=written.anchor)
    >>> check.anchored, check.draws_recomputed
    (True, True)
    """
    target = pathlib.Path(path)
    zipped = target.suffix == ".zip" if as_zip is None else as_zip
    if zipped:
        check_writable(target, what="archive")
    else:
        _check_folder_target(target)
    files = _archive_files(
        receipt=receipt,
        roster=roster,
        include_roster=include_roster,
        plan=plan,
        commitment=commitment,
        visits=visits,
        assignment=assignment,
        results=results,
        extra=extra,
        as_of=as_of,
    )
    files[_README_NAME] = _README.format(recipe=ARCHIVE_RECIPE).encode("utf-8")
    manifest = {
        "recipe": ARCHIVE_RECIPE,
        "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())},
    }
    files[_MANIFEST] = _dump(manifest)
    if zipped:
        with atomic_path(target, overwrite=False) as tmp, zipfile.ZipFile(tmp, "w") as zf:
            for name, data in sorted(files.items()):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.external_attr = _ZIP_MODE
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    else:
        _write_folder(target, files)
    return WrittenArchive(target, anchor_of(files[_MANIFEST]), tuple(sorted(files)))


def _check_folder_target(target: pathlib.Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise FileExistsError(
            f"{target} exists and is not a folder; an archive is never overwritten"
        )
    if target.is_dir() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty; an archive is never overwritten")
    check_writable(target, what="archive", folder_ok=True)


def _write_folder(target: pathlib.Path, files: Mapping[str, bytes]) -> None:
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    )
    try:
        for name, data in files.items():
            with open(staging / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(staging, 0o755)
        try:
            # rename() replaces only a missing or empty folder: of concurrent writers one wins.
            os.rename(staging, target)
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                raise FileExistsError(
                    f"{target} exists and is not empty; an archive is never overwritten"
                ) from None
            raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _archive_files(
    *,
    receipt: Any,
    roster: TargetRoster | None,
    include_roster: bool,
    plan: SamplingPlan | None,
    commitment: Commitment | None,
    visits: Any,
    assignment: Any,
    results: Any,
    extra: Mapping[str, bytes | str] | None,
    as_of: Any,
) -> dict[str, bytes]:
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
            results.to_csv(scratch / "results.csv")
            files["results.csv"] = (scratch / "results.csv").read_bytes()
            if roster is not None:
                when = as_of or dt.datetime.now(CHINA_TZ).date()
                publication_records(results, as_of=when, roster=roster).to_csv(
                    scratch / "publication.csv"
                )
                files["publication.csv"] = (scratch / "publication.csv").read_bytes()
    own = sorted([*files, _README_NAME, _MANIFEST])
    for name, content in (extra or {}).items():
        if not _is_plain(name) or name in own:
            raise ValueError(
                f"extra file {name!r}: use a plain file name (no folder, not hidden, no \\ or :, "
                f"at most {_NAME_BYTES} bytes) that is not one of the archive's own "
                f"({', '.join(own)})"
            )
        files[name] = content.encode("utf-8") if isinstance(content, str) else content
    if len(files) + 2 > MAX_ARCHIVE_FILES:
        raise ValueError(
            f"an archive holds at most {MAX_ARCHIVE_FILES} files; {len(files) + 2} given"
        )
    return files


def _rows_csv(rows: list[Mapping[str, Any]]) -> bytes:
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


class _Budget:
    """Counts the bytes read from an archive against :data:`MAX_ARCHIVE_BYTES`."""

    def __init__(self, where: pathlib.Path) -> None:
        self.where = where
        self.left = MAX_ARCHIVE_BYTES

    def files(self, n: int) -> None:
        if n > MAX_ARCHIVE_FILES:
            raise VerificationError(
                f"archive {self.where} refused: {n} files; an archive holds at most "
                f"{MAX_ARCHIVE_FILES}"
            )

    def read(self, fh: Any, name: str) -> bytes:
        chunks: list[bytes] = []
        while True:
            chunk = fh.read(min(1 << 20, self.left + 1))
            if not chunk:
                return b"".join(chunks)
            self.left -= len(chunk)
            if self.left < 0:
                raise VerificationError(
                    f"archive {self.where} refused: more than {MAX_ARCHIVE_BYTES} bytes when read "
                    f"(at {name}); an archive is at most that large, uncompressed"
                )
            chunks.append(chunk)


def _kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a sub-folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refused(where: pathlib.Path, reasons: list[str]) -> VerificationError:
    return VerificationError(f"archive {where} refused: " + "; ".join(reasons), reasons)


def _read_folder(folder: pathlib.Path, budget: _Budget) -> dict[str, bytes]:
    with os.scandir(folder) as it:
        entries = sorted(it, key=lambda e: e.name)
    budget.files(len(entries))
    refused = []
    for e in entries:
        kind = _kind(e.stat(follow_symlinks=False).st_mode)
        if kind is not None:
            refused.append(f"{e.name}: {kind}; an archive holds only regular files")
        elif not _is_plain(e.name):
            refused.append(f"{e.name!r}: not a plain file name")
    if refused:
        raise _refused(folder, refused)
    files = {}
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    for e in entries:
        # Opened without following a link or waiting on a pipe, then checked again: a file
        # swapped for a link or a FIFO after the listing is refused, not followed or waited on.
        try:
            fd = os.open(e.path, flags)
        except OSError as exc:
            raise _refused(folder, [f"{e.name}: cannot be opened ({exc.strerror})"]) from None
        with os.fdopen(fd, "rb") as fh:
            kind = _kind(os.fstat(fd).st_mode)
            if kind is not None:
                raise _refused(folder, [f"{e.name}: {kind}; an archive holds only regular files"])
            files[e.name] = budget.read(fh, e.name)
    return files


def _zip_kind(m: zipfile.ZipInfo) -> str | None:
    if m.is_dir():
        return "a folder"
    mode = m.external_attr >> 16
    if m.create_system == 3 and stat.S_IFMT(mode):  # made on Unix: the high bits are st_mode
        return _kind(mode)
    return None


def _read_zip(path: pathlib.Path, budget: _Budget) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise VerificationError(f"{path} is not a zip archive ({exc})") from None
    with zf:
        members = zf.infolist()
        budget.files(len(members))
        refused = []
        seen: set[str] = set()
        for m in members:
            name = m.orig_filename
            kind = _zip_kind(m)
            if not _is_plain(name):
                refused.append(
                    f"member {name!r}: not a plain file name (an archive has no folders, "
                    f"absolute paths, '..', '\\' or ':')"
                )
            elif name in seen:
                refused.append(f"member {name!r} appears twice")
            elif kind is not None:
                refused.append(f"member {name!r}: {kind}; an archive holds only regular files")
            if m.flag_bits & 0x1:
                refused.append(f"member {name!r} is encrypted")
            seen.add(name)
        declared = sum(m.file_size for m in members)
        if declared > MAX_ARCHIVE_BYTES:
            refused.append(
                f"its members declare {declared} bytes uncompressed; an archive is at most "
                f"{MAX_ARCHIVE_BYTES}"
            )
        if refused:
            raise _refused(path, refused)
        files = {}
        for m in members:
            try:
                with zf.open(m) as fh:
                    files[m.orig_filename] = budget.read(fh, m.orig_filename)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise _refused(
                    path, [f"member {m.orig_filename!r} cannot be read ({exc})"]
                ) from None
        return files


def _read_all(path: pathlib.Path) -> dict[str, bytes]:
    budget = _Budget(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        raise VerificationError(f"{path}: no such archive (folder or .zip)") from None
    if stat.S_ISDIR(mode):
        return _read_folder(path, budget)
    if stat.S_ISREG(mode):
        return _read_zip(path, budget)
    raise VerificationError(f"{path}: {_kind(mode)}, not an archive folder or .zip file")


def _read_manifest(raw: bytes) -> dict[str, str]:
    """The manifest's file hashes, read strictly: one reading, or a VerificationError."""
    data = strict_loads(raw, "MANIFEST.json")
    if not isinstance(data, dict) or set(data) != {"recipe", "files"}:
        raise VerificationError(
            'MANIFEST.json: expected an object with exactly the fields "recipe" and "files"'
        )
    recipe = data["recipe"]
    if recipe in RETIRED_ARCHIVE_RECIPES:
        raise VerificationError(
            f"MANIFEST.json: recipe {recipe} is retired ({RETIRED_ARCHIVE_RECIPES[recipe]}); "
            f"write the archive again with this version (recipe {ARCHIVE_RECIPE})"
        )
    if recipe != ARCHIVE_RECIPE:
        raise VerificationError(
            f"MANIFEST.json: recipe {recipe!r} is not one this version reads ({ARCHIVE_RECIPE})"
        )
    listed = data["files"]
    if not isinstance(listed, dict):
        raise VerificationError('MANIFEST.json: "files" must be an object of name: SHA-256')
    for name, digest in listed.items():
        if not _is_plain(name) or name == _MANIFEST:
            raise VerificationError(f"MANIFEST.json: {name!r} is not a file an archive may list")
        if not isinstance(digest, str) or not _HEX.fullmatch(digest):
            raise VerificationError(
                f"MANIFEST.json: the SHA-256 of {name} must be 64 lowercase hex digits, "
                f"not {digest!r}"
            )
    return listed


def _cross_check(files: Mapping[str, bytes]) -> list[str]:
    """The archive's files must describe one batch: fingerprint, plan and commitment agree."""
    if "receipt.json" not in files:
        return ["receipt.json is missing: an archive holds the receipt of its draw or batch"]
    try:
        data = strict_loads(files["receipt.json"], "receipt.json")
        batch = data.get("format") == "randcheck-batch/2"
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


def verify_archive(path: str | os.PathLike[str], *, anchor: str | None = None) -> ArchiveCheck:
    """Check an archive alone: the anchor, every file's hash, the files together, every draw.

    Parameters
    ----------
    path : path
        The archive folder or zip file.
    anchor : str, optional
        The anchor published with the result (``sha256:`` and 64 hex digits, as
        :attr:`WrittenArchive.anchor`). Without it the archive can only be found *consistent*
        (``anchored`` is false): whoever edits a file can write a new manifest to match.

    Returns
    -------
    ArchiveCheck
        The files checked, whether the draws were recomputed, the archive's anchor and whether
        it was checked against a published one.

    Raises
    ------
    VerificationError
        If the anchor is malformed or does not match ``MANIFEST.json``; if the archive holds
        anything but regular files under plain names (sub-folders, links, FIFOs, unsafe or
        duplicate zip members) or more than :data:`MAX_ARCHIVE_FILES` files or
        :data:`MAX_ARCHIVE_BYTES` bytes; naming each file that was changed, added or removed,
        and any draw that does not recompute.
    """
    target = pathlib.Path(path)
    if anchor is not None and (not isinstance(anchor, str) or not _ANCHOR.fullmatch(anchor)):
        raise VerificationError(
            f"anchor {anchor!r}: expected 'sha256:' followed by 64 lowercase hex digits"
        )
    files = _read_all(target)
    if _MANIFEST not in files:
        raise VerificationError(f"{target}: MANIFEST.json is missing; not a randcheck archive")
    raw_manifest = files.pop(_MANIFEST)
    actual_anchor = anchor_of(raw_manifest)
    diffs: list[str] = []
    if anchor is not None and anchor != actual_anchor:
        diffs.append(
            f"MANIFEST.json does not match the published anchor {anchor} (its SHA-256 gives "
            f"{actual_anchor}): the archive was changed after the anchor was published, or the "
            f"anchor is another archive's"
        )
    try:
        listed = _read_manifest(raw_manifest)
    except VerificationError as exc:
        diffs.append(str(exc))
        raise VerificationError(
            f"archive {target} does not verify: " + "; ".join(diffs), diffs
        ) from None
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
            if data.get("format") == "randcheck-batch/2":
                verify_batch(data, roster)
            else:
                verify_draw(Receipt.from_dict(data), roster)
            recomputed = True
        except VerificationError as exc:
            diffs += exc.differences
    if diffs:
        raise VerificationError(f"archive {target} does not verify: " + "; ".join(diffs), diffs)
    return ArchiveCheck(
        tuple(sorted([*listed, _MANIFEST])), recomputed, actual_anchor, anchor is not None
    )
