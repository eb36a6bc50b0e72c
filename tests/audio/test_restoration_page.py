"""Music restorations scored and shown: restore-score gathers what each track's record holds (means, paired gain),
refuses a folder of mixed settings, and mgdm report's page holds those numbers and every clip it names."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile

from mgdm_audio.cli import main
from mgdm_audio.common.stats import interval
from tests.audio.test_restoration import RATE, _music
from tests.evaluation.test_page import _Page
from tests.separation.test_cli import prior_dir, separator_dir  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@pytest.fixture(scope="module")
def restored(prior_dir, separator_dir, tmp_path_factory):  # noqa: F811 (fixtures)
    """Two songs with 20 ms gaps restored by MGDM and by DPS, each system scored: (root, its summaries)."""
    root = tmp_path_factory.mktemp("restored")
    songs = []
    for seed in range(2):
        songs.append(root / f"song{seed}.wav")
        soundfile.write(songs[-1], _music(seed=seed), RATE, subtype="FLOAT")
    models = ["--prior", str(prior_dir), "--separator", str(separator_dir), "--steps", "5", "--task", "gaps"]
    summaries = []
    for sampler in ("mgdm", "dps"):
        out = root / sampler
        assert main(["restore", *map(str, songs), *models, "--level", "20", "--sampler", sampler, "-o", str(out)]) == 0
        restore_dir = out / prior_dir.name / "gaps_20"
        assert main(["restore-score", str(restore_dir), str(root / f"score_{sampler}")]) == 0
        summaries.append(root / f"score_{sampler}" / "summary.json")
    return root, summaries


def test_the_summary_gathers_each_tracks_record(restored):
    root, summaries = restored
    summary = json.loads(summaries[0].read_text())
    records = [json.loads(path.read_text()) for path in sorted((root / "mgdm").rglob("restore.json"))]
    assert summary["num_tracks"] == len(records) == 2 and summary["task"] == "gaps" and summary["level"] == 20
    for metric in ("sdr", "si_sdr", "lsd"):
        restored_values = [record["scores"]["restored"][metric] for record in records]
        degraded_values = [record["scores"]["degraded"][metric] for record in records]
        assert summary[f"{metric}_mean"] == pytest.approx(np.mean(restored_values))
        assert summary[f"degraded_{metric}_mean"] == pytest.approx(np.mean(degraded_values))
    gains = [record["scores"]["restored"]["sdr"] - record["scores"]["degraded"]["sdr"] for record in records]
    assert (summary["sdr_gain_mean"], summary["sdr_gain_ci95"]) == pytest.approx(interval(gains))
    assert summary["seconds"] == pytest.approx(sum(record["seconds"] for record in records), abs=1e-3)
    assert summary["audio_seconds"] == pytest.approx(2 * len(_music()) / RATE)


def test_a_folder_of_mixed_settings_is_refused(restored, tmp_path, capsys):
    root, _ = restored
    mixed = tmp_path / "gaps_20"
    shutil.copytree(next((root / "mgdm").glob("*/gaps_20")), mixed)
    record_path = mixed / "song1" / "restore.json"
    record = json.loads(record_path.read_text())
    record["settings"]["start_sigma"] = 0.5
    record_path.write_text(json.dumps(record))
    assert main(["restore-score", str(mixed), str(tmp_path / "score")]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "song1" in error[0] and "start_sigma=0.5" in error[0]


def test_the_page_holds_the_scores_and_every_clip(restored, tmp_path):
    _, summaries = restored
    page_dir = tmp_path / "page"
    assert main(["report", str(page_dir), *map(str, summaries), "--labels", "MGDM", "DPS"]) == 0
    page = _Page()
    page.feed((page_dir / "index.html").read_text())
    assert page.sources and all((page_dir / source).is_file() for source in page.sources)
    # 2 tracks × (clean, degraded, 2 systems), each a clip and a spectrogram
    assert sum(source.endswith(".opus") for source in page.sources) == 8
    mgdm, dps = (json.loads(path.read_text()) for path in summaries)
    rows = [[float(value) for value in row[4:8]] for row in page.rows]  # SDR, SI-SDR, LSD, gain
    expected = [
        [mgdm["degraded_sdr_mean"], mgdm["degraded_si_sdr_mean"], mgdm["degraded_lsd_mean"], 0.0],
        *([s["sdr_mean"], s["si_sdr_mean"], s["lsd_mean"], s["sdr_gain_mean"]] for s in (mgdm, dps)),
    ]
    np.testing.assert_allclose(rows, expected)
    assert any(caption.startswith("DPS: SDR") for caption in page.captions)
