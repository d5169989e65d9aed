"""Archives (归档) and the one ``verify`` for every record."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import stat
import subprocess
import sys
import time
import warnings
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import commit_any

SEED = "2023-03-07 双色球 04 09 13 17 26 31 + 12"


@pytest.fixture(scope="module")
def drawn(county: randcheck.ExampleCounty) -> randcheck.Draw:
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    return randcheck.draw(county.targets, plan, seed=SEED)


def test_an_untouched_folder_archive_verifies_and_recomputes_the_draw(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    written = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, roster=county.targets, plan=drawn.plan
    )
    folder = written.path
    check = randcheck.verify_archive(folder, anchor=written.anchor)
    assert check.draws_recomputed
    assert check.anchored
    assert written.files == check.files == tuple(sorted(p.name for p in folder.iterdir()))
    assert {
        "MANIFEST.json",
        "README.txt",
        "receipt.json",
        "roster.csv",
        "plan.json",
        "roster_digest.txt",
    } <= set(p.name for p in folder.iterdir())
    randcheck.verify(folder)


def test_a_changed_file_is_named(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    folder = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, roster=county.targets
    ).path
    csv = folder / "roster.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",D,", ",C,", 1), encoding="utf-8")
    with pytest.raises(randcheck.VerificationError, match=r"roster.csv: changed since archiving"):
        randcheck.verify_archive(folder)


def test_added_and_removed_files_are_named(tmp_path: pathlib.Path, drawn: randcheck.Draw) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    (folder / "note.txt").write_text("x", encoding="utf-8")
    (folder / "README.txt").unlink()
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)
    assert "note.txt: not in the manifest" in str(exc.value)
    assert "README.txt: listed in the manifest but missing" in str(exc.value)


def test_a_zip_archive_verifies(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    written = randcheck.write_archive(
        tmp_path / "a.zip", receipt=drawn.receipt, roster=county.targets
    )
    assert zipfile.is_zipfile(written.path)
    check = randcheck.verify_archive(written.path, anchor=written.anchor)
    assert check.draws_recomputed
    assert check.anchored


def test_an_archive_is_never_written_over(tmp_path: pathlib.Path, drawn: randcheck.Draw) -> None:
    randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)
    with pytest.raises(FileExistsError):
        randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)


def test_a_tampered_receipt_in_an_archive_with_a_fresh_manifest_fails_the_draw(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    data = drawn.receipt.to_dict()
    data["sample_ids"][0] = data["sample_ids"][1]
    forged = randcheck.Receipt.from_dict(data)
    folder = randcheck.write_archive(tmp_path / "a", receipt=forged, roster=county.targets).path
    with pytest.raises(randcheck.VerificationError, match="sample_ids do not match"):
        randcheck.verify_archive(folder)


def test_verify_dispatches_on_the_record(
    county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    randcheck.verify(drawn.receipt, county.targets)
    randcheck.verify(drawn.receipt.to_json(), county.targets)
    randcheck.verify(json.loads(drawn.receipt.to_json()), county.targets)
    batch = randcheck.draw_batch(county.targets, county.items[:3], seed=SEED)
    randcheck.verify(batch.receipt.to_json(), county.targets)
    with pytest.raises(randcheck.VerificationError, match="needs the roster"):
        randcheck.verify(drawn.receipt)


def test_files_that_belong_to_another_draw_are_caught(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    other_plan = randcheck.SamplingPlan(rates={"A": 0.02, "B": 0.02, "C": 0.2, "D": 0.5})
    other = commit_any(county.targets, other_plan)
    folder = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, plan=other_plan, commitment=other
    ).path
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)
    assert "plan.json is not the plan of the draw" in str(exc.value)
    assert "commitment.json is not the commitment recorded" in str(exc.value)


def test_an_archive_without_a_receipt_does_not_verify(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "MANIFEST.json").write_text(
        '{"recipe": "randcheck-archive/2", "files": {}}', encoding="utf-8"
    )
    with pytest.raises(randcheck.VerificationError, match=r"receipt\.json is missing"):
        randcheck.verify_archive(folder)


@pytest.mark.parametrize(
    "name",
    [
        "receipt.json",
        "../escaped.txt",
        "sub/x.txt",
        "MANIFEST.json",
        "..",
        ".hidden",
        "a\\b.txt",
        "C:x.txt",
        "/abs.txt",
        "tab\t.txt",
    ],
)
def test_an_extra_file_cannot_replace_or_escape_the_archive(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, name: str
) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt, extra={name: "x"})
    assert not (tmp_path / "escaped.txt").exists()


# ---------------------------------------------------------------------------- anchored archives
TEAMS = "credit_code,round,officers\n91130634MA0000001X,1,O01;O02\n"


def _rewrite_manifest(folder: pathlib.Path) -> None:
    """What an insider does after editing a file: a fresh, self-consistent MANIFEST.json."""
    listed = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name != "MANIFEST.json"
    }
    manifest = {"recipe": randcheck.archive.ARCHIVE_RECIPE, "files": listed}
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")


def _rezip(folder: pathlib.Path, path: pathlib.Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.writestr(p.name, p.read_bytes())


def test_the_anchor_is_the_sha256_of_the_manifest_bytes(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    written = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)
    manifest = (written.path / "MANIFEST.json").read_bytes()
    assert "sha256:" + hashlib.sha256(manifest).hexdigest() == written.anchor
    assert set(json.loads(manifest)["files"]) == set(written.files) - {"MANIFEST.json"}


def test_the_same_content_gives_the_same_zip_bytes_and_anchor(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    a = randcheck.write_archive(tmp_path / "a.zip", receipt=drawn.receipt, extra={"t.csv": TEAMS})
    b = randcheck.write_archive(tmp_path / "b.zip", receipt=drawn.receipt, extra={"t.csv": TEAMS})
    assert a.anchor == b.anchor
    assert a.path.read_bytes() == b.path.read_bytes()


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("edited", ["teams.csv", "receipt.json"])
def test_an_edited_file_with_a_regenerated_manifest_fails_against_the_anchor(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, as_zip: bool, edited: str
) -> None:
    written = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, extra={"teams.csv": TEAMS}
    )
    folder = written.path
    if edited == "teams.csv":
        (folder / edited).write_text(TEAMS.replace("O01", "O07"), encoding="utf-8")
    else:
        data = json.loads((folder / edited).read_text(encoding="utf-8"))
        data["drawn_by"] = "someone else"
        (folder / edited).write_text(json.dumps(data), encoding="utf-8")
    _rewrite_manifest(folder)
    path = folder
    if as_zip:
        path = tmp_path / "edited.zip"
        _rezip(folder, path)
    # Alone, the edited archive is consistent: that is all a manifest can show ...
    check = randcheck.verify_archive(path)
    assert not check.anchored
    assert check.anchor != written.anchor
    # ... and the published anchor catches the edit.
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(path, anchor=written.anchor)
    assert f"MANIFEST.json does not match the published anchor {written.anchor}" in str(exc.value)


@pytest.mark.parametrize(
    ("anchor", "why"),
    [
        ("", "expected 'sha256:' followed by 64"),
        ("sha256:" + "A" * 64, "lowercase hex"),
        ("sha1:" + "0" * 40, "expected 'sha256:'"),
        ("0" * 64, "expected 'sha256:'"),
        ("sha256:" + "0" * 63, "64 lowercase hex digits"),
    ],
)
def test_a_malformed_anchor_is_refused(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, anchor: str, why: str
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    with pytest.raises(randcheck.VerificationError, match=f"anchor {anchor!r}: .*{why}"):
        randcheck.verify_archive(folder, anchor=anchor)


def test_an_archive_of_the_retired_recipe_is_refused_with_the_reason(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    manifest["recipe"] = "randcheck-archive/1"
    (folder / "MANIFEST.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(randcheck.VerificationError, match=r"randcheck-archive/1 is retired"):
        randcheck.verify_archive(folder)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '{"recipe": "randcheck-archive/2", "files": {}, "files": {}}',
            "MANIFEST.json: files: this key appears twice",
        ),
        ('{"recipe": "randcheck-archive/2", "files": {}, "note": 1}', "exactly the fields"),
        ('{"recipe": "randcheck-archive/2", "files": []}', '"files" must be an object'),
        ('{"recipe": "randcheck-archive/2", "files": {"../x": "' + "0" * 64 + '"}}', "'../x'"),
        ('{"recipe": "randcheck-archive/2", "files": {"x": "abc"}}', "64 lowercase hex"),
        ('{"recipe": "randcheck-archive/9", "files": {}}', "not one this version reads"),
        ("[1,", "MANIFEST.json JSON: Expecting value"),
    ],
)
def test_a_manifest_is_read_strictly(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, text: str, words: str
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    (folder / "MANIFEST.json").write_text(text, encoding="utf-8")
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)
    assert words in str(exc.value)


def _folder_with(tmp_path: pathlib.Path, drawn: randcheck.Draw, kind: str) -> pathlib.Path:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    outside = tmp_path / "outside.txt"
    outside.write_text("secret", encoding="utf-8")
    if kind == "sub-folder":
        (folder / "sub").mkdir()
        (folder / "sub" / "x.txt").write_text("x", encoding="utf-8")
    elif kind == "symbolic link":
        (folder / "sub").symlink_to(outside)
    elif kind == "FIFO":
        os.mkfifo(folder / "sub")
    return folder


@pytest.mark.parametrize("kind", ["sub-folder", "symbolic link", "FIFO"])
def test_a_folder_holding_anything_but_regular_files_is_refused(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, kind: str
) -> None:
    folder = _folder_with(tmp_path, drawn, kind)
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)  # a FIFO is refused, never opened (no hang)
    assert f"sub: a {kind}" in str(exc.value)
    assert "an archive holds only regular files" in str(exc.value)


def test_a_symbolic_link_listed_in_the_manifest_is_still_refused(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    outside = tmp_path / "receipt-elsewhere.json"
    (folder / "receipt.json").rename(outside)
    (folder / "receipt.json").symlink_to(outside)
    with pytest.raises(randcheck.VerificationError, match=r"receipt\.json: a symbolic link"):
        randcheck.verify_archive(folder)


def _zip_from(
    folder: pathlib.Path, path: pathlib.Path, more: list[tuple[zipfile.ZipInfo | str, bytes]]
) -> pathlib.Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we make
        with zipfile.ZipFile(path, "w") as zf:
            for p in sorted(folder.iterdir()):
                zf.writestr(p.name, p.read_bytes())
            for info, data in more:
                zf.writestr(info, data)
    return path


def _link_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("member", "words"),
    [
        ("../../../escaped.txt", "member '../../../escaped.txt': not a plain file name"),
        ("/etc/escaped.txt", "member '/etc/escaped.txt': not a plain file name"),
        ("..\\escaped.txt", "not a plain file name"),
        ("C:escaped.txt", "not a plain file name"),
        ("sub/x.txt", "member 'sub/x.txt': not a plain file name"),
        ("sub/", "member 'sub/': not a plain file name"),
        ("receipt.json", "member 'receipt.json' appears twice"),
        ("MANIFEST.json", "member 'MANIFEST.json' appears twice"),
        (_link_member("link.txt", "/etc/passwd"), "member 'link.txt': a symbolic link"),
    ],
    ids=[
        "dotdot",
        "absolute",
        "backslash",
        "drive",
        "subfolder",
        "folder",
        "dup",
        "dup-manifest",
        "link",
    ],
)
def test_an_unsafe_or_duplicate_zip_member_is_refused_before_anything_is_read(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, member: zipfile.ZipInfo | str, words: str
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    data = b"/etc/passwd" if isinstance(member, zipfile.ZipInfo) else b"forged"
    path = _zip_from(folder, tmp_path / "bad.zip", [(member, data)])
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(path)
    assert "refused" in str(exc.value)
    assert words in str(exc.value)
    assert not (tmp_path / "escaped.txt").exists()


def test_a_zip_bomb_is_refused_by_its_declared_size(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(randcheck.archive, "MAX_ARCHIVE_BYTES", 1 << 20)
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    info = zipfile.ZipInfo("zeros.bin")
    info.compress_type = zipfile.ZIP_DEFLATED
    path = _zip_from(folder, tmp_path / "bomb.zip", [(info, bytes(4 << 20))])
    assert path.stat().st_size < 64 << 10  # 4 MiB of zeros compress to a few KiB
    with pytest.raises(
        randcheck.VerificationError, match="bytes uncompressed; an archive is at most"
    ):
        randcheck.verify_archive(path)


def test_bytes_read_are_counted_whatever_is_declared(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    (folder / "big.bin").write_bytes(bytes(3 << 20))
    monkeypatch.setattr(randcheck.archive, "MAX_ARCHIVE_BYTES", 2 << 20)
    with pytest.raises(randcheck.VerificationError, match="more than 2097152 bytes when read"):
        randcheck.verify_archive(folder)


def test_an_archive_with_too_many_files_is_refused(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt).path
    monkeypatch.setattr(randcheck.archive, "MAX_ARCHIVE_FILES", 2)
    with pytest.raises(randcheck.VerificationError, match="3 files; an archive holds at most 2"):
        randcheck.verify_archive(folder)


def test_an_archive_in_a_missing_folder_is_refused_and_nothing_is_written(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        randcheck.write_archive(tmp_path / "missing" / "a.zip", receipt=drawn.receipt)
    assert list(tmp_path.iterdir()) == []


def test_a_zip_archive_is_never_written_over(tmp_path: pathlib.Path, drawn: randcheck.Draw) -> None:
    first = randcheck.write_archive(tmp_path / "a.zip", receipt=drawn.receipt)
    before = first.path.read_bytes()
    with pytest.raises(FileExistsError, match="never overwritten"):
        randcheck.write_archive(tmp_path / "a.zip", receipt=drawn.receipt, extra={"x": "y"})
    assert first.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip"]


_WRITER = """
import pathlib, sys, time
import randcheck
targets = randcheck.synthetic_targets(20_000, seed=3)
plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
d = randcheck.draw(targets, plan, seed="2023-03-07")
go = pathlib.Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
try:
    w = randcheck.write_archive(sys.argv[2], receipt=d.receipt, roster=targets)
    print("won", w.anchor)
except FileExistsError:
    print("lost")
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["a.zip", "folder"])
def test_concurrent_writers_of_one_archive_leave_one_whole_archive(
    tmp_path: pathlib.Path, name: str
) -> None:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for race in range(3):
        out = tmp_path / f"race{race}"
        out.mkdir()
        go = tmp_path / f"go{race}"
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(go), str(out / name)],
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
            for _ in range(4)
        ]
        time.sleep(3)  # let every writer import and draw, then start them at once
        go.touch()
        said = [p.communicate(timeout=300)[0].split() for p in procs]
        assert all(p.returncode == 0 for p in procs)
        winners = [s[1] for s in said if s[0] == "won"]
        assert len(winners) == 1
        assert sorted(s[0] for s in said) == ["lost", "lost", "lost", "won"]
        check = randcheck.verify_archive(out / name, anchor=winners[0])
        assert check.draws_recomputed
        assert [p.name for p in out.iterdir()] == [name]  # no temporaries left


@settings(max_examples=40, deadline=None)
@given(name=st.text(min_size=1, max_size=80))
@pytest.mark.slow
def test_an_extra_file_is_refused_or_round_trips_in_a_folder_and_a_zip(
    tmp_path_factory: pytest.TempPathFactory, drawn: randcheck.Draw, name: str
) -> None:
    base = tmp_path_factory.mktemp("names")
    unsafe = (
        name.startswith(".")
        or any(c in name for c in "/\\:")
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    )
    refused = ""
    try:
        folder = randcheck.write_archive(base / "a", receipt=drawn.receipt, extra={name: "x"})
    except ValueError as exc:
        refused = str(exc)
    if unsafe or refused:
        assert "use a plain file name" in refused
        assert list(base.iterdir()) == []
        return
    assert (folder.path / name).read_text(encoding="utf-8") == "x"
    zipped = randcheck.write_archive(base / "a.zip", receipt=drawn.receipt, extra={name: "x"})
    assert zipped.anchor == folder.anchor
    for written in (folder, zipped):
        assert name in randcheck.verify_archive(written, anchor=written.anchor).files
    assert sorted(p.name for p in base.iterdir()) == ["a", "a.zip"]


def test_one_verify_takes_a_written_archive_and_its_anchor(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    written = randcheck.write_archive(tmp_path / "a.zip", receipt=drawn.receipt)
    randcheck.verify(written, anchor=written.anchor)
    with pytest.raises(randcheck.VerificationError, match="does not match the published anchor"):
        randcheck.verify(written, anchor="sha256:" + "0" * 64)
