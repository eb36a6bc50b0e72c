"""``mgdm score`` end to end on a tiny synthetic data dir and separation dir, and its input errors."""

import csv
import json

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.kaldi import write_data_dir
from mgdm_audio.audio.evaluation import score_separation
from mgdm_audio.cli import main

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
    from mgdm_audio.audio.metrics import si_snr

    data, separated = dirs
    out = tmp_path / "whole"
    assert (
        main(["score", str(data), str(separated), "-o", str(out), "--window", "60", "--hop", "60", "--no-museval"]) == 0
    )
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


def test_estimates_are_read_in_the_given_stem_order_as_computed_by_hand(tmp_path):
    """Stems listed out of alphabetical order, of unequal energy, each estimate off by its own orthogonal sine:
    scored whole, stem k's SI-SDRi is 10 log10(Σ_{j≠k} a_j² / b_k²) (see test_si_sdr), so an estimate read
    for the wrong stem shows."""
    stems = ("piano", "bass", "guitar", "drums")
    amplitudes, errors = np.array([0.4, 0.05, 0.2, 0.1]), np.array([0.01, 0.02, 0.005, 0.03])
    time = np.arange(int(SECONDS * RATE)) / RATE  # whole periods of every frequency below (even, in Hz)
    references = amplitudes[:, None] * np.sin(2 * np.pi * np.array([110, 220, 330, 440])[:, None] * 2 * time)
    noise = errors[:, None] * np.sin(2 * np.pi * np.array([50, 70, 90, 130])[:, None] * 2 * time)
    audio, separated = tmp_path / "audio", tmp_path / "separated" / "u"
    audio.mkdir()
    separated.mkdir(parents=True)
    soundfile.write(audio / "mix.wav", references.sum(axis=0), RATE, subtype="DOUBLE")
    for stem, reference, estimate in zip(stems, references, references + noise):
        soundfile.write(audio / f"{stem}.wav", reference, RATE, subtype="DOUBLE")
        soundfile.write(separated / f"{stem}.wav", estimate, RATE, subtype="DOUBLE")
    write_data_dir(
        tmp_path / "data", {"u": str(audio / "mix.wav")}, [{"u": str(audio / f"{stem}.wav")} for stem in stems]
    )
    result = score_separation(tmp_path / "data", separated.parent, stems=stems, museval=False, window_s=60, hop_s=60)
    others = (amplitudes**2).sum() - amplitudes**2
    expected = 10 * np.log10(others / errors**2)
    assert [summary.stem for summary in result.summaries] == [*stems, "All"]
    assert [summary.si_sdri_mean for summary in result.summaries[:4]] == pytest.approx(expected, abs=1e-6)


def test_the_interval_is_1_96_standard_errors_of_the_mean():
    """The summaries' 95 % interval: 1.96 times the standard error of the mean (the sample standard deviation,
    n − 1), as scipy computes it; "All" combines the stems' standard errors as sqrt(Σ SE²) / S."""
    from scipy import stats

    from mgdm_audio.audio.evaluation.summary import summarise_all, summarise_stem

    windows = [[1.0, 4.0, 2.5, -0.5, 3.0], [0.2, 0.9, 1.7]]
    stems = [summarise_stem(f"s{k}", values, [np.nan]) for k, values in enumerate(windows)]
    for summary, values in zip(stems, windows):
        assert summary.si_sdri_mean == pytest.approx(np.mean(values))
        assert summary.si_sdri_ci95 == pytest.approx(1.96 * stats.sem(values), rel=1e-12)
    every = summarise_all(stems, num_windows=5)
    expected = 1.96 * np.sqrt(stats.sem(windows[0]) ** 2 + stats.sem(windows[1]) ** 2) / 2
    assert every.si_sdri_ci95 == pytest.approx(expected, rel=1e-12)
    assert np.isnan(summarise_stem("one", [2.0], [np.nan]).si_sdri_ci95)
