"""What users of separation tools run into: killed runs, two runs into one folder, a broken or mismatched model
directory, a full disk, an input rewritten in place. Tiny random prior (8 kHz, 512-sample segments), tiny files."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

import mgdm_audio as ma
from mgdm_audio.audio.separation import output
from mgdm_audio.cli import main
from tests.audio.test_music_prior import TINY_NET
from tests.audio.test_training import make_data_dir
from tests.separation.test_cli import (
    FAST,
    STEMS,
    _separate,
    _stems,
    _with_separator,
    _write,
    prior_dir,
    separator_dir,
)

#: The separator's estimate alone (no sampler): the whole engine but the draws, ≈ 25 ms a segment here.
QUICK = ["--quality", "fast"]

ROOT = Path(__file__).resolve().parents[2]
#: Kill points are drawn at random, from a fixed seed so that a failure can be replayed.
KILLS = np.random.default_rng(17)


def _start(*arguments: str) -> subprocess.Popen:
    """``mgdm`` in a child process (one thread, as the tests), stopped later by a signal. SIGINT is restored to its
    default first: a test run started in the background by a non-interactive shell inherits SIGINT ignored, and
    Python then never turns it into KeyboardInterrupt (Ctrl-C at a terminal is not ignored)."""
    command = "import sys; from mgdm_audio.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", command, *arguments],
        cwd=ROOT,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_until(condition, process: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended before the kill point: {process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("kill point not reached in time")
        time.sleep(0.002)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL
    process.stderr.close()


def _visible(folder: Path) -> list[str]:
    """What a user sees in ``folder`` (``ls``: hidden work files left out)."""
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))


def _segments(folder: Path) -> int:
    return len(list((folder / ".partial").glob("segment_*.json")))


def test_a_killed_separation_resumes_to_the_uninterrupted_result_and_a_second_run_keeps_off(
    prior_dir, separator_dir, tmp_path, capsys
):
    _write(tmp_path / "long.wav", 8000, 3.0)  # ≈ 63 segments of 512 samples
    _write(tmp_path / "short.wav", 8000, 0.2, seed=1)
    inputs = [str(tmp_path / "long.wav"), str(tmp_path / "short.wav")]
    assert _with_separator(prior_dir, separator_dir, tmp_path / "reference", *QUICK, *inputs) == 0
    out = tmp_path / "out"
    folder = out / "tiny" / "long"
    first = _start(
        "separate",
        "--prior",
        str(prior_dir),
        "--separator",
        str(separator_dir),
        "-o",
        str(out),
        "--device",
        "cpu",
        *QUICK,
        "--resume",
        inputs[0],
    )
    _wait_until(lambda: _segments(folder) >= 2, first)
    first.send_signal(signal.SIGSTOP)  # held mid-track while a second run starts on the same folder
    capsys.readouterr()
    assert _with_separator(prior_dir, separator_dir, out, *QUICK, *inputs, "--resume") == 1
    first.send_signal(signal.SIGCONT)
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1
    assert f"output folder {folder} is being written by another process (pid {first.pid})" in errors[0]
    assert (out / "tiny" / "short" / "separation.json").is_file()  # the rest is done
    kill_at = int(KILLS.integers(_segments(folder) + 1, 60))
    _wait_until(lambda: _segments(folder) >= kill_at, first)
    _kill(first)
    assert _visible(folder) == []  # nothing partial in sight: segments wait in .partial
    assert _with_separator(prior_dir, separator_dir, out, *QUICK, inputs[0], "--resume") == 0
    stems, reference = _stems(folder)[0], _stems(tmp_path / "reference" / "tiny" / "long")[0]
    np.testing.assert_array_equal(stems, reference)
    record = json.loads((folder / "separation.json").read_text())
    assert sum(segment.get("resumed", False) for segment in record["segments"]) >= kill_at
    assert sorted(path.name for path in folder.iterdir()) == sorted([*(f"{s}.wav" for s in STEMS), "separation.json"])


def test_ctrl_c_ends_with_one_line_saying_how_to_resume(prior_dir, separator_dir, tmp_path, capsys):
    """SIGINT (Ctrl-C) mid-track: exit status 130, no traceback, a last line naming --resume; finished segments stay
    in .partial and the rerun with --resume reuses them."""
    _write(tmp_path / "long.wav", 8000, 3.0)
    out = tmp_path / "out"
    folder = out / "tiny" / "long"
    common = ["--prior", str(prior_dir), "--separator", str(separator_dir), "-o", str(out), "--device", "cpu", *QUICK]
    run = _start("separate", *common, "--resume", str(tmp_path / "long.wav"))
    _wait_until(lambda: _segments(folder) >= 2, run)
    run.send_signal(signal.SIGINT)
    assert run.wait(timeout=60) == 130
    errors = run.stderr.read().strip().splitlines()
    run.stderr.close()
    assert "Traceback" not in "\n".join(errors)
    assert errors[-1] == (
        "mgdm separate: interrupted; rerun the same command with --resume: finished tracks and segments are kept"
    )
    kept = _segments(folder)
    assert kept >= 2
    assert main(["separate", *common, "--resume", str(tmp_path / "long.wav")]) == 0
    record = json.loads((folder / "separation.json").read_text())
    assert sum(segment.get("resumed", False) for segment in record["segments"]) == kept
    total = len(record["segments"])
    assert f"long.wav: {kept} of {total} segment(s) reused from an interrupted run" in capsys.readouterr().err


def test_a_killed_prior_training_resumes_to_the_uninterrupted_weights(tmp_path):
    data_dir = make_data_dir(tmp_path / "corpus")
    options = [
        "--steps",
        "12",
        "--batch-size",
        "2",
        "--checkpoint-every",
        "2",
        "--segment-seconds",
        "0.0075",
        "--sample-rate",
        "8000",
        "--device",
        "cpu",
        "--channels",
        str(TINY_NET["channels"]),
        "--patch-factor",
        str(TINY_NET["patch_factor"]),
        "--multipliers",
        *map(str, TINY_NET["multipliers"]),
        "--factors",
        *map(str, TINY_NET["factors"]),
        "--blocks",
        str(TINY_NET["blocks"]),
        "--attention-levels",
        str(TINY_NET["attention_levels"]),
        "--attention-heads",
        str(TINY_NET["attention_heads"]),
        "--attention-features",
        str(TINY_NET["attention_features"]),
        "--resnet-groups",
        str(TINY_NET["resnet_groups"]),
    ]
    assert main(["train-prior", data_dir, str(tmp_path / "straight"), *options]) == 0
    run = tmp_path / "killed"
    logged = run / "train_log.csv"
    kill_at = int(KILLS.integers(3, 11))  # a logged step, between checkpoints or just after one
    process = _start("train-prior", data_dir, str(run), *options)
    _wait_until(lambda: logged.is_file() and len(logged.read_text().splitlines()) > kill_at, process)
    _kill(process)
    assert not [path for path in run.rglob("*.tmp*") if not path.name.startswith(".")]  # temporaries stay hidden
    assert not (run / "prior").exists()  # the prior is written at the end only
    assert main(["train-prior", data_dir, str(run), *options]) == 0
    straight, resumed = (ma.priors.load(tmp_path / name / "prior") for name in ("straight", "killed"))
    for name, tensor in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name


def test_resume_sees_an_input_rewritten_within_one_clock_tick(prior_dir, separator_dir, tmp_path, capsys):
    path = tmp_path / "a.wav"
    _write(path, 8000, 0.2)
    out = tmp_path / "out"
    assert _with_separator(prior_dir, separator_dir, out, *QUICK, str(path), "--resume", "--clip", "none") == 0
    before = os.stat(path)
    _write(path, 8000, 0.2, seed=5)  # same length, same size, other samples
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same modification time
    assert os.stat(path).st_size == before.st_size
    capsys.readouterr()
    assert _with_separator(prior_dir, separator_dir, out, *QUICK, str(path), "--resume", "--clip", "none") == 0
    assert "already separated" not in capsys.readouterr().err
    stems = _stems(out / "tiny" / "a")[0]
    np.testing.assert_allclose(stems.sum(axis=0)[:, 0], soundfile.read(path, dtype="float64")[0], atol=1e-5)


def _truncate(directory: Path) -> None:
    weights = directory / "model.safetensors"
    os.truncate(weights, weights.stat().st_size - 100)


def _malform(directory: Path) -> None:
    (directory / "config.json").write_text('{"format": "mgdm_audio.net", "version": 1,')


@pytest.mark.parametrize(
    "damage, file, problem",
    [
        (_truncate, "model.safetensors", "truncated ("),
        (lambda directory: (directory / "config.json").unlink(), "config.json", "missing"),
        (_malform, "config.json", "not valid JSON"),
    ],
)
def test_a_broken_prior_directory_fails_with_one_line_naming_the_file(
    prior_dir, tmp_path, capsys, damage, file, problem
):
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        (broken / name).write_bytes((prior_dir / name).read_bytes())
    damage(broken)
    _write(tmp_path / "a.wav", 8000, 0.2)
    assert main(["separate", "--prior", str(broken), "-o", str(tmp_path / "out"), *FAST, str(tmp_path / "a.wav")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mgdm separate: error: {broken / file}: {problem}")
    assert not (tmp_path / "out").exists()
    with pytest.raises((ValueError, OSError), match=f"{broken / file}: {problem}".replace("(", r"\(")):
        ma.separate(np.zeros(1600, np.float32), 8000, prior=broken, quality="paper")


def test_a_separator_of_other_rate_fails_with_one_line_naming_both_configs(prior_dir, tmp_path, capsys):
    from mgdm_audio.audio.separators import save_separator
    from tests.audio.test_separator import tiny_separator

    other = save_separator(tiny_separator(segment=512, rate=16000), tmp_path / "sep16k")
    _write(tmp_path / "a.wav", 8000, 0.2)
    assert (
        main(
            [
                "separate",
                "--prior",
                str(prior_dir),
                "--separator",
                str(other),
                "--quality",
                "fast",
                "-o",
                str(tmp_path / "out"),
                "--device",
                "cpu",
                str(tmp_path / "a.wav"),
            ]
        )
        == 1
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mgdm separate: error: {other / 'config.json'}: separator stems")
    assert "at 16000 Hz do not match the prior's" in lines[0] and str(prior_dir.resolve() / "config.json") in lines[0]


def test_a_failed_stem_write_leaves_the_previous_outputs_and_says_so(prior_dir, tmp_path, capsys, monkeypatch):
    _write(tmp_path / "a.wav", 8000, 0.12)
    out = tmp_path / "out"
    folder = out / "tiny" / "a"
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--format", "int16", "--seed", "0") == 0
    previous = {name: (folder / name).read_bytes() for name in _visible(folder)}
    convert, written = output._convert, []

    def disk_full_on_third(source, target, subtype, gain):
        if len(written) == 2:
            target.write_bytes(b"RIFF")  # a partial file, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written.append(target)
        return convert(source, target, subtype, gain)

    monkeypatch.setattr(output, "_convert", disk_full_on_third)
    capsys.readouterr()
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--format", "int16", "--seed", "1", "--resume") == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(lines) == 1 and f"writing into {folder} failed (No space left on device; " in lines[0]
    assert "its previous outputs are unchanged" in lines[0]
    assert {name: (folder / name).read_bytes() for name in _visible(folder)} == previous  # stems and record
    assert not list(folder.glob(".*.tmp*"))
    monkeypatch.setattr(output, "_convert", convert)
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--format", "int16", "--seed", "1", "--resume") == 0
    record = json.loads((folder / "separation.json").read_text())
    assert record["settings"]["seed"] == 1 and all(segment["resumed"] for segment in record["segments"])


def test_a_full_disk_leaves_the_previous_outputs_and_says_so(prior_dir, separator_dir, tmp_path, capsys):
    """The same on a real full file system: a 2 MB tmpfs (needs root; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        _write(tmp_path / "song.wav", 8000, 3.0)
        folder = disk / "tiny" / "song"
        assert (
            _with_separator(prior_dir, separator_dir, disk, *QUICK, str(tmp_path / "song.wav"), "--format", "int16")
            == 0
        )  # the next run's float32 stems differ in every byte
        previous = {name: (folder / name).read_bytes() for name in _visible(folder)}
        (disk / "filler").write_bytes(bytes(shutil.disk_usage(disk).free - 500_000))  # room for the segments only
        capsys.readouterr()
        song = str(tmp_path / "song.wav")
        assert _with_separator(prior_dir, separator_dir, disk, *QUICK, song, "--seed", "1", "--force") == 1
        lines = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
        assert len(lines) == 1 and f"writing into {folder} failed (" in lines[0] and "0.0 MB free there" in lines[0]
        assert {name: (folder / name).read_bytes() for name in _visible(folder)} == previous
        (disk / "filler").unlink()
        assert (
            _with_separator(
                prior_dir, separator_dir, disk, *QUICK, str(tmp_path / "song.wav"), "--seed", "1", "--resume"
            )
            == 0
        )
        assert json.loads((folder / "separation.json").read_text())["settings"]["seed"] == 1
    finally:
        subprocess.run(["umount", str(disk)], check=True)
