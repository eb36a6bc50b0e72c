"""The audio restoration recipe (egs/synth4/restore) on a tiny data dir, prior and separator: every system on a
linear task and the codec, resumed without redoing a row."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.audio.corpora.kaldi import write_data_dir
from tests.separation.test_cli import prior_dir, separator_dir  # noqa: F401 (fixtures)

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs" / "synth4" / "restore"
RATE = 8000


def _data_dir(root: Path, tracks: int = 2, seconds: float = 1.5) -> Path:
    """A data dir of ``tracks`` tracks: four tone stems each and their mixture."""
    t = np.arange(round(seconds * RATE)) / RATE
    mixtures, sources = {}, [{} for _ in range(4)]
    for track in range(tracks):
        folder = root / "audio" / f"t{track}"
        folder.mkdir(parents=True)
        stems = [0.1 * np.sin(2 * np.pi * (110 * (k + 1) + 7 * track) * t) for k in range(4)]
        for k, stem in enumerate(stems):
            soundfile.write(folder / f"s{k}.wav", stem, RATE, subtype="FLOAT")
            sources[k][f"t{track}"] = str(folder / f"s{k}.wav")
        soundfile.write(folder / "mix.wav", sum(stems), RATE, subtype="FLOAT")
        mixtures[f"t{track}"] = str(folder / "mix.wav")
    write_data_dir(root / "data", mixtures, sources)
    return root / "data"


def _recipe(destination: Path) -> Path:
    destination.mkdir()
    shutil.copy2(RECIPE / "run.sh", destination / "run.sh")
    shutil.copy2(RECIPE / "path.sh", destination / "path.sh")
    for name in ("steps", "utils", "templates"):
        (destination / name).symlink_to(REPO / "recipes" / name)
    return destination


def test_every_system_restores_each_cell_and_a_rerun_redoes_nothing(tmp_path, prior_dir, separator_dir):
    recipe = _recipe(tmp_path / "restore")
    options = ["--stage", "1", "--stop_stage", "2", "--test_dir", str(_data_dir(tmp_path / "corpus"))]
    options += ["--cells", "gaps:20 codec:6"]
    options += ["--excerpts", "2", "--seconds", "1.2", "--prior", str(prior_dir), "--separator", str(separator_dir)]
    options += ["--bench_opts", "--set mgdm.steps=5 --set mgdm.gibbs_reps=1 --set mgdm.grad_steps=1 --set dps.steps=3"]
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    for _ in range(2):
        result = subprocess.run(["./run.sh", *options], cwd=recipe, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(recipe / "exp" / "test" / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    runs = sorted((row["system"], row["task"]) for row in rows)
    # 2 excerpts per (system, task), each once although stage 1 ran twice; the codec has no run of DPS (it has no
    # gradient) nor of a classical method (there is none).
    expected = [(s, t) for s in ("classical", "degraded", "dps", "mgdm") for t in ("codec", "gaps")]
    expected = [run for run in expected if run not in (("dps", "codec"), ("classical", "codec"))]
    assert runs == sorted(expected * 2)
    log = (recipe / "exp" / "test.log").read_text()
    assert "dps codec 6: skipped (the sampler needs the operator's gradient)" in log
    assert "classical codec 6: skipped (no classical method)" in log
    results = (recipe / "exp" / "RESULTS.md").read_text()
    assert "| gaps | 20 | janssen | 2 |" in results and "| codec | 6 | mgdm | 2 |" in results
    degraded = {
        row["excerpt"]: float(row["sdr"]) for row in rows if row["system"] == "degraded" and row["task"] == "gaps"
    }
    assert all(5 < value < 40 for value in degraded.values())  # one 20 ms gap in 1.2 s of tones


def test_the_listening_page_shows_each_sampler_on_the_test_excerpts(tmp_path, prior_dir, separator_dir):
    recipe = _recipe(tmp_path / "restore")
    options = ["--stage", "3", "--test_dir", str(_data_dir(tmp_path / "corpus")), "--page_cells", "gaps:20"]
    options += ["--page_tracks", "2", "--seconds", "1.2", "--prior", str(prior_dir), "--separator", str(separator_dir)]
    options += ["--mgdm_opts", "--steps 5 --gibbs-reps 1 --grad-steps 1", "--dps_opts", "--steps 3"]
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    for _ in range(2):
        result = subprocess.run(["./run.sh", *options], cwd=recipe, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    page = recipe / "exp" / "test_page"
    assert (page / "page" / "index.html").is_file()
    for sampler in ("mgdm", "dps"):
        summary = json.loads((page / "scores" / f"{sampler}_gaps_20" / "summary.json").read_text())
        assert summary["sampler"] == sampler and summary["num_tracks"] == 2
        assert summary["audio_seconds"] == 2 * 1.2  # two excerpts of --seconds each
    assert (page / "restore.log").read_text().count("already restored") == 4  # the rerun redid nothing
