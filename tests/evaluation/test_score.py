"""``mgdm score`` end to end on a tiny synthetic data dir and separation dir, and its input errors."""
import csv
import json

import numpy as np
import pytest
import soundfile

from mgdm_audio.cli import main
from mgdm_audio.corpora.kaldi import write_data_dir

RATE = 8000
STEMS = ("bass", "drums", "guitar", "piano")
SECONDS = 4.5  # windows start at 0 s and 2 s (the second one 2.5 s long)


def _stems(seed: int) -> np.ndarray:
    """Four sines [4, N] of distinct frequencies, amplitude 0.2."""
    time = np.arange(int(SECONDS * RATE)) / RATE
    frequencies = 110 * (1 + np.arange(4)) + 10 * seed
    return 0.2 * np.sin(2 * np.pi * frequencies[:, None] * time)


@pytest.fixture
def dirs(tmp_path):
    """(data dir, separation dir) of utterances a and b; estimates = references + small noise."""
    audio, separated = tmp_path / "audio", tmp_path / "separated"
    audio.mkdir()
    mixtures, sources = {}, [{} for _ in STEMS]
    for seed, utt in enumerate(("a", "b")):
        references = _stems(seed)
        mixtures[utt] = str(audio / f"{utt}-mix.wav")
        soundfile.write(mixtures[utt], references.sum(axis=0), RATE, subtype="FLOAT")
        estimates = references + 0.01 * np.random.default_rng(seed).standard_normal(references.shape)
        (separated / utt).mkdir(parents=True)
        for index, stem in enumerate(STEMS):
            sources[index][utt] = str(audio / f"{utt}-{stem}.wav")
            soundfile.write(sources[index][utt], references[index], RATE, subtype="FLOAT")
            soundfile.write(separated / utt / f"{stem}.wav", estimates[index], RATE, subtype="FLOAT")
    write_data_dir(tmp_path / "data", mixtures, sources)
    return tmp_path / "data", separated


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_score_writes_all_four_files(dirs, tmp_path, capsys):
    data, separated = dirs
    out = tmp_path / "scores"
    assert main(["score", str(data), str(separated), "-o", str(out)]) == 0
    assert "| All |" in capsys.readouterr().out
    windows, tracks = _rows(out / "windows.csv"), _rows(out / "tracks.csv")
    assert len(windows) == 2 * 2 * 4 and {row["start_s"] for row in windows} == {"0.000", "2.000"}
    assert len(tracks) == 2 * 4 and all(float(row["museval_sdr"]) > 15 for row in tracks)
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert [row["stem"] for row in summary] == [*STEMS, "All"]
    assert all(row["si_sdri_mean"] > 10 and row["num_windows"] == 4 for row in summary)
    assert summary[-1]["museval_sdr_median"] > 15
    assert "| All |" in (out / "summary.md").read_text()


def test_a_window_longer_than_the_files_scores_each_file_whole(dirs, tmp_path):
    from mgdm_audio.metrics.separation import si_snr

    data, separated = dirs
    out = tmp_path / "whole"
    assert main(["score", str(data), str(separated), "-o", str(out), "--window", "60", "--hop", "60",
                 "--no-museval"]) == 0
    windows = _rows(out / "windows.csv")
    assert len(windows) == 2 * 4 and {row["start_s"] for row in windows} == {"0.000"}
    for row in windows:  # SI-SDRi of the whole file, computed directly
        stem = STEMS.index(row["stem"])
        reference = soundfile.read(str(data).replace("data", "audio") + f"/{row['utt']}-{row['stem']}.wav")[0]
        mixture = soundfile.read(str(data).replace("data", "audio") + f"/{row['utt']}-mix.wav")[0]
        estimate = soundfile.read(separated / row["utt"] / f"{STEMS[stem]}.wav")[0]
        expected = si_snr(estimate, reference) - si_snr(mixture, reference)
        assert float(row["si_sdri"]) == pytest.approx(expected, abs=1e-3)


def _error_line(capsys):
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and error.startswith("mgdm score: error:")
    return error


def test_missing_estimate_folder_is_an_error_unless_allowed(dirs, capsys):
    data, separated = dirs
    for stem in STEMS:
        (separated / "b" / f"{stem}.wav").unlink()
    (separated / "b").rmdir()
    assert main(["score", str(data), str(separated), "--no-museval"]) == 1
    assert str(separated / "b") in _error_line(capsys)
    assert main(["score", str(data), str(separated), "--no-museval", "--allow-missing"]) == 0
    assert "utterance b skipped" in capsys.readouterr().err
    assert {row["utt"] for row in _rows(separated / "tracks.csv")} == {"a"}


def test_wrong_sample_rate_names_the_file(dirs, capsys):
    data, separated = dirs
    path = separated / "a" / "drums.wav"
    soundfile.write(path, np.zeros(int(SECONDS * 16000)), 16000)
    assert main(["score", str(data), str(separated), "--no-museval"]) == 1
    error = _error_line(capsys)
    assert str(path) in error and "16000" in error


def test_length_mismatch_is_an_error_unless_cropped(dirs, capsys):
    data, separated = dirs
    path = separated / "b" / "piano.wav"
    audio, _ = soundfile.read(path)
    soundfile.write(path, audio[:-100], RATE, subtype="FLOAT")
    assert main(["score", str(data), str(separated), "--no-museval"]) == 1
    assert str(path) in _error_line(capsys)
    assert main(["score", str(data), str(separated), "--no-museval", "--crop"]) == 0
    assert "cropped" in capsys.readouterr().err
