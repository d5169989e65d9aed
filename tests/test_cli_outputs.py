"""The command line writes all its outputs or none: bad paths first, interrupted runs, archives."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

import randcheck
from randcheck.cli import main

SEED = "2023-03-07 双色球 04 09 13 17 26 31 + 12"
PLAN = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    folder = tmp_path_factory.mktemp("inputs")
    county = randcheck.example_county()
    county.targets.take(list(range(3000))).to_csv(folder / "roster.csv")
    county.targets.to_csv(folder / "county.csv")
    (folder / "plan.json").write_text(PLAN.to_json(), encoding="utf-8")
    return {
        "roster": folder / "roster.csv",
        "county": folder / "county.csv",
        "plan": folder / "plan.json",
    }


def _draw_args(
    inputs: dict[str, pathlib.Path], out: pathlib.Path, sample: pathlib.Path
) -> list[str]:
    return [
        "draw",
        "--roster",
        str(inputs["roster"]),
        "--unknown-columns",
        "keep",
        "--plan",
        str(inputs["plan"]),
        "--seed",
        SEED,
        "--out",
        str(out),
        "--sample",
        str(sample),
    ]


def _batch_args(
    inputs: dict[str, pathlib.Path], out: pathlib.Path, visits: pathlib.Path
) -> list[str]:
    items = pathlib.Path(randcheck.__file__).parent / "data" / "example_county" / "items.toml"
    return [
        "batch",
        "--roster",
        str(inputs["county"]),
        "--unknown-columns",
        "keep",
        "--items",
        str(items),
        "--seed",
        SEED,
        "--out",
        str(out),
        "--visits",
        str(visits),
    ]


def test_draw_writes_the_receipt_and_the_sample_and_nothing_else(
    tmp_path: pathlib.Path, inputs: dict[str, pathlib.Path]
) -> None:
    assert main(_draw_args(inputs, tmp_path / "r.json", tmp_path / "s.csv")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "s.csv"]
    receipt = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    lines = (tmp_path / "s.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) - 1 == len(receipt["sample_ids"])


@pytest.mark.parametrize("which", ["first", "second"])
def test_draw_with_an_output_in_a_missing_folder_writes_nothing(
    tmp_path: pathlib.Path,
    inputs: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
    which: str,
) -> None:
    good, bad = tmp_path / "r.json", tmp_path / "missing" / "s.csv"
    out, sample = (bad, good) if which == "first" else (good, bad)
    assert main(_draw_args(inputs, out, sample)) == 2
    err = capsys.readouterr().err
    assert f"output {bad}: the folder {bad.parent} does not exist; create it first" in err
    assert "loading targets" not in err  # refused before any work
    assert list(tmp_path.iterdir()) == []


def test_batch_with_visits_in_a_missing_folder_leaves_no_receipt(
    tmp_path: pathlib.Path, inputs: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = _batch_args(inputs, tmp_path / "batch.json", tmp_path / "missing" / "visits.csv")
    assert main(args) == 2
    assert "does not exist; create it first" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main(_batch_args(inputs, tmp_path / "batch.json", tmp_path / "visits.csv")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.json", "visits.csv"]


def test_an_output_that_is_a_folder_or_given_twice_is_refused(
    tmp_path: pathlib.Path, inputs: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "dir").mkdir()
    assert main(_draw_args(inputs, tmp_path / "dir", tmp_path / "s.csv")) == 2
    assert f"output {tmp_path / 'dir'} is a folder; give a file name" in capsys.readouterr().err
    assert main(_draw_args(inputs, tmp_path / "x", tmp_path / "x")) == 2
    assert "is given twice" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["dir"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_output_in_a_folder_that_is_not_writable_is_refused(
    tmp_path: pathlib.Path, inputs: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(_draw_args(inputs, tmp_path / "r.json", locked / "s.csv")) == 2
    finally:
        locked.chmod(0o700)
    assert "is not writable" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["locked"]


def _interrupt_while_sampling(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Interrupt the draw command after it has written the receipt, while it makes the sample."""

    def interrupted(*args: object, **kwargs: object) -> None:
        if how == "SIGTERM":
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal arrives before this ends
        raise KeyboardInterrupt

    monkeypatch.setattr(randcheck.Draw, "to_columns", interrupted)


@pytest.mark.parametrize(("how", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_draw_interrupted_after_the_receipt_leaves_no_file(
    tmp_path: pathlib.Path,
    inputs: dict[str, pathlib.Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    status: int,
) -> None:
    if how == "SIGTERM" and signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        pytest.skip("SIGTERM is handled by the test runner here")
    _interrupt_while_sampling(monkeypatch, how)
    assert main(_draw_args(inputs, tmp_path / "r.json", tmp_path / "s.csv")) == status
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back


def test_a_failing_command_leaves_no_file(
    tmp_path: pathlib.Path, inputs: dict[str, pathlib.Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(randcheck.Draw, "to_columns", broken)
    assert main(_draw_args(inputs, tmp_path / "r.json", tmp_path / "s.csv")) == 2
    assert list(tmp_path.iterdir()) == []


def test_a_receipt_to_stdout_is_printed_only_once_the_sample_is_written(
    tmp_path: pathlib.Path,
    inputs: dict[str, pathlib.Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _interrupt_while_sampling(monkeypatch, "SIGINT")
    args = _draw_args(inputs, tmp_path / "r.json", tmp_path / "s.csv")
    args.remove("--out")
    args.remove(str(tmp_path / "r.json"))
    assert main(args) == 130
    assert capsys.readouterr().out == ""


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    folder = tmp_path_factory.mktemp("big")
    targets = randcheck.example.synthetic_targets(200_000, seed=5)
    targets.to_csv(folder / "roster.csv")
    (folder / "plan.json").write_text(PLAN.to_json(), encoding="utf-8")
    return {"roster": folder / "roster.csv", "plan": folder / "plan.json"}


def _start_draw(inputs: dict[str, pathlib.Path], out: pathlib.Path) -> subprocess.Popen[bytes]:
    args = _draw_args(inputs, out / "r.json", out / "s.csv")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "randcheck", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _whole_or_nothing(out: pathlib.Path, roster: pathlib.Path) -> str:
    names = sorted(p.name for p in out.iterdir())
    if names == []:
        return "nothing"
    assert names == ["r.json", "s.csv"], names  # never half a set, never a temporary
    receipt = json.loads((out / "r.json").read_text(encoding="utf-8"))
    rows = (out / "s.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) - 1 == len(receipt["sample_ids"])
    return "whole"


@pytest.mark.slow
def test_a_draw_killed_at_any_moment_leaves_both_files_or_neither(
    tmp_path: pathlib.Path, big_inputs: dict[str, pathlib.Path]
) -> None:
    # One run to its end gives the command's duration; then runs killed at fractions of it,
    # and runs killed the moment a temporary appears (while the outputs are being written).
    out = tmp_path / "full"
    out.mkdir()
    start = time.monotonic()
    assert _start_draw(big_inputs, out).wait(timeout=300) == 0
    duration = time.monotonic() - start
    assert _whole_or_nothing(out, big_inputs["roster"]) == "whole"
    seen = []
    plans = [("at", k / 6) for k in range(1, 6)] + [("on-temporary", 0.0)] * 4
    for run, (when, fraction) in enumerate(plans):
        out = tmp_path / f"run{run}"
        out.mkdir()
        signum = (signal.SIGTERM, signal.SIGINT)[run % 2]
        proc = _start_draw(big_inputs, out)
        if when == "at":
            time.sleep(duration * fraction)
        else:
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                if any(p.name.endswith(".tmp") for p in out.iterdir()):
                    break
        proc.send_signal(signum)
        status = proc.wait(timeout=300)
        assert status in (0, 128 + signum, -signum)
        seen.append(_whole_or_nothing(out, big_inputs["roster"]))
    assert "nothing" in seen


# ---------------------------------------------------------------------------- verify --archive
@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> randcheck.archive.WrittenArchive:
    county = randcheck.example_county()
    d = randcheck.draw(county.targets, PLAN, seed=SEED)
    return randcheck.write_archive(
        tmp_path_factory.mktemp("archive") / "a.zip", receipt=d.receipt, roster=county.targets
    )


def test_verify_archive_with_its_anchor(
    archive: randcheck.archive.WrittenArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--archive", str(archive.path), "--anchor", archive.anchor]) == 0
    out = capsys.readouterr().out
    assert f"archive verified against its anchor {archive.anchor}" in out
    assert "draws recomputed" in out


def test_verify_archive_without_an_anchor_says_it_is_not_anchored(
    archive: randcheck.archive.WrittenArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--archive", str(archive.path)]) == 0
    out = capsys.readouterr().out
    assert "archive consistent" in out
    assert "NOT ANCHORED" in out
    assert archive.anchor in out


def test_verify_archive_against_another_anchor_fails(
    archive: randcheck.archive.WrittenArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "sha256:" + "0" * 64
    assert main(["verify", "--archive", str(archive.path), "--anchor", other]) == 1
    err = capsys.readouterr().err
    assert f"MANIFEST.json does not match the published anchor {other}" in err


def test_an_anchor_without_an_archive_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--anchor", "sha256:" + "0" * 64]) == 2
    assert "--anchor checks an archive" in capsys.readouterr().err
