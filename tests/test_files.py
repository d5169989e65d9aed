"""Files are written whole or not at all, under unique temporaries beside the target."""

from __future__ import annotations

import os
import pathlib
import stat
from collections.abc import Iterator

import pytest

import randcheck
from randcheck._files import OutputSet, atomic_path, write_bytes


class BoomError(Exception):
    pass


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")

    def half_write() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise BoomError

    with pytest.raises(BoomError):
        half_write()
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_the_temporary_is_unique_and_beside_the_target(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_path(target) as a, atomic_path(target) as b:
        assert a != b
        assert a.parent == b.parent == tmp_path
        assert a.name.startswith(".out.csv.")
        assert a.name.endswith(".tmp")
        a.write_text("a", encoding="utf-8")
        b.write_text("b", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "a"  # the last one placed wins, whole
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_no_clobber_refuses_an_existing_target_and_keeps_it(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "a.zip"
    write_bytes(target, b"first", overwrite=False)
    with pytest.raises(FileExistsError, match="exists; it is never overwritten"):
        write_bytes(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_no_clobber_loses_to_a_target_made_while_writing(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "a.zip"

    def race() -> None:
        with atomic_path(target, overwrite=False) as tmp:
            tmp.write_bytes(b"mine")
            target.write_bytes(b"theirs")  # another writer finished first

    with pytest.raises(FileExistsError):
        race()
    assert target.read_bytes() == b"theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_a_new_file_gets_the_usual_mode_and_a_replaced_one_keeps_its_own(
    tmp_path: pathlib.Path,
) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    write_bytes(tmp_path / "new.csv", b"x")
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o666 & ~umask
    (tmp_path / "old.csv").write_bytes(b"x")
    (tmp_path / "old.csv").chmod(0o640)
    write_bytes(tmp_path / "old.csv", b"y")
    assert stat.S_IMODE((tmp_path / "old.csv").stat().st_mode) == 0o640


def test_a_roster_written_over_a_file_fails_whole(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster = randcheck.example.synthetic_targets(50, seed=1)
    target = tmp_path / "roster.csv"
    target.write_text("old", encoding="utf-8")
    real = randcheck.TargetRoster._canonical_chunks

    def failing(self: randcheck.TargetRoster, **kwargs: object) -> Iterator[bytearray]:
        yield from real(self, **kwargs)  # type: ignore[arg-type]
        raise BoomError

    monkeypatch.setattr(randcheck.TargetRoster, "_canonical_chunks", failing)
    with pytest.raises(BoomError):
        roster.to_csv(target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["roster.csv"]


def test_an_output_set_places_all_its_files_or_none(tmp_path: pathlib.Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.csv"

    def fail_half_way() -> None:
        with OutputSet([a, b]) as out:
            out.path(a).write_text("a", encoding="utf-8")
            raise BoomError

    with pytest.raises(BoomError):
        fail_half_way()
    assert list(tmp_path.iterdir()) == []
    with OutputSet([a, b]) as out:
        out.path(a).write_text("a", encoding="utf-8")
        out.path(b).write_text("b", encoding="utf-8")
        assert list(tmp_path.glob("[ab].*")) == []  # nothing in place before the commit
        out.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.csv"]


def test_an_output_set_refuses_a_bad_path_before_anything(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing does not exist"):
        OutputSet([tmp_path / "ok.csv", tmp_path / "missing" / "x.csv"])
    with pytest.raises(ValueError, match="is not one of this output set's files"):
        OutputSet([tmp_path / "ok.csv"]).path(tmp_path / "other.csv")
    assert list(tmp_path.iterdir()) == []
