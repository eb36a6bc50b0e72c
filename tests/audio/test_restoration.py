"""Audio restoration end to end: a task's degradation over a track and its stretches, the projection onto the
observation, the pipeline (arrays and files, resume), the command and the scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import torch

import mgdm_audio as ma
from mgdm_audio.audio.operators import Degradation
from mgdm_audio.audio.restoration.pipeline import RestorationPipeline
from mgdm_audio.audio.restoration.scores import log_spectral_distance, restoration_scores, sdr, si_sdr
from mgdm_audio.cli import main
from tests.separation.test_cli import STEMS, prior_dir, separator_dir  # noqa: F401 (fixtures)

RATE = 8000
#: A few cheap MGDM steps on the tiny prior.
FAST = dict(overrides={"steps": 5, "gibbs_reps": 1, "grad_steps": 1, "denoising_steps": 2})


def _music(seconds: float = 1.25, seed: int = 0) -> np.ndarray:
    """Two tones and a little noise [samples] at 8 kHz, peak about 0.5."""
    t = np.arange(round(seconds * RATE)) / RATE
    noise = 0.02 * np.random.default_rng(seed).standard_normal(t.shape)
    return (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 587 * t) + noise).astype(np.float32)


def test_a_stretchs_operator_is_the_tracks_operator_there():
    clean = _music(3.0)
    gaps = Degradation.simulate("gaps", 50, clean, RATE, seed=4)
    assert (~gaps.keep).sum() == 3 * round(0.05 * RATE)  # one 50 ms gap per second
    start, length = 5000, 20000  # reaches 1000 samples beyond the track's end
    keep = gaps.operator(start, length).keep
    assert torch.equal(keep[: len(clean) - start], gaps.keep[start:]) and keep[len(clean) - start :].all()
    clip = Degradation.simulate("clip", 3, clean, RATE)
    clipped = clip.apply(clean[None])[0]
    assert sdr(clipped, clean) == pytest.approx(3, abs=0.01)
    assert np.isclose(np.abs(clipped).max(), clip.threshold, rtol=0, atol=0)  # θ as float32 holds it
    with pytest.raises(ValueError, match="unknown audio task 'hum'"):
        Degradation.simulate("hum", 1, clean, RATE)


@pytest.mark.parametrize("task, level", [("gaps", 100), ("lowpass", 1000), ("clip", 3)])
def test_the_consistent_signal_is_the_nearest_one_the_operator_maps_to_the_observation(task, level):
    clean = _music(2.0)
    degradation = Degradation.simulate(task, level, clean, RATE, seed=1)
    observed = degradation.apply(clean[None])[0].astype(np.float64)
    estimate = clean + 0.3 * np.random.default_rng(2).standard_normal(clean.shape)
    consistent = degradation.consistent(estimate, observed)
    operator = degradation.operator()
    with torch.no_grad():
        np.testing.assert_allclose(operator(torch.from_numpy(consistent)).numpy(), observed, atol=1e-6)
    np.testing.assert_allclose(degradation.consistent(consistent, observed), consistent, atol=1e-9)  # idempotent
    # Nearer to the estimate than the clean signal, itself consistent (per sample where the set is a box).
    if task == "clip":
        assert np.all(np.abs(consistent - estimate) <= np.abs(clean - estimate) + 1e-6)
    else:
        assert np.linalg.norm(consistent - estimate) < np.linalg.norm(clean - estimate)
        # An orthogonal projection: the correction is orthogonal to every consistent direction.
        assert abs(np.dot(consistent - estimate, consistent - clean)) < 1e-6 * np.linalg.norm(estimate) ** 2


def test_the_codec_has_no_consistent_projection():
    clean = _music(1.0)
    codec = Degradation.simulate("codec", 6, clean, RATE)
    estimate = clean[::-1].copy()
    np.testing.assert_array_equal(codec.consistent(estimate, clean), estimate)


def test_scores_have_their_closed_forms():
    rng = np.random.default_rng(0)
    clean = rng.standard_normal((2, 16000))
    error = 0.1 * rng.standard_normal((2, 16000))
    assert sdr(clean + error, clean) == pytest.approx(10 * np.log10((clean**2).sum() / (error**2).sum()))
    assert si_sdr(3 * clean, clean) > 80  # a scaled copy is perfect up to scale
    # White noise has power in every bin: scaling it by g moves every log-power by log10(g²).
    assert log_spectral_distance(2 * clean, clean) == pytest.approx(2 * np.log10(2), rel=1e-6)
    assert log_spectral_distance(clean, clean) == 0
    assert set(restoration_scores(clean, clean)) == {"sdr", "si_sdr", "lsd"}


def test_a_restoration_keeps_the_observed_samples_and_sums_its_stems(prior_dir, separator_dir):
    clean = _music()
    pipeline = RestorationPipeline("gaps", 20, prior=prior_dir, separator=separator_dir, seed=3, **FAST)
    arrays, record = pipeline.restore(clean, RATE, return_record=True)
    assert set(arrays) == {"clean", "degraded", "restored", *STEMS} and arrays["restored"].shape == clean.shape
    np.testing.assert_allclose(arrays["restored"], sum(arrays[stem] for stem in STEMS), atol=1e-5)
    degradation = Degradation.simulate("gaps", 20, clean[None], RATE, seed=3)
    np.testing.assert_array_equal(arrays["degraded"], degradation.apply(clean[None])[0])
    keep = degradation.keep.numpy()
    np.testing.assert_allclose(arrays["restored"][keep], clean[keep], atol=1e-5)  # consistent with what is heard
    assert np.abs(arrays["restored"][~keep]).max() > 0  # the gap is filled
    assert record["scores"]["restored"] == restoration_scores(arrays["restored"][None], clean[None])
    assert record["degradation"]["missing_fraction"] == 160 / len(clean)  # one 20 ms gap in 1.25 s
    assert record["classical"] == "janssen" and record["denoiser_calls"]["forward"] > 0
    again = pipeline.restore(clean, RATE)
    np.testing.assert_array_equal(again["restored"], arrays["restored"])  # seeded
    raw = RestorationPipeline(
        "gaps", 20, prior=prior_dir, separator=separator_dir, seed=3, consistent=False, **FAST
    ).restore(clean, RATE)
    assert np.abs(raw["restored"][keep] - clean[keep]).max() > 1e-3  # what the projection does


def test_the_codec_is_restored_by_mgdm_without_a_gradient_and_refused_to_dps(prior_dir, separator_dir):
    clean = _music(1.0)
    pipeline = RestorationPipeline("codec", prior=prior_dir, separator=separator_dir, **FAST)
    assert pipeline.settings.sampling.overrides["intermediate_update"] == "auto"  # pCN on a black box
    restored = pipeline.restore(clean, RATE)["restored"]  # the codec's backward raises: no gradient was taken
    assert np.isfinite(restored).all() and np.abs(restored).max() > 0
    with pytest.raises(ValueError, match="sampler 'dps' needs the gradient of the forward model"):
        RestorationPipeline("codec", prior=prior_dir, separator=separator_dir, sampler="dps").restore(clean, RATE)


def test_the_command_restores_files_resumes_and_refuses_to_overwrite(prior_dir, separator_dir, tmp_path, capsys):
    song = tmp_path / "song.wav"
    soundfile.write(song, np.stack([_music(), _music(seed=1)], axis=1), RATE, subtype="FLOAT")
    before = song.read_bytes()
    out = tmp_path / "out"
    models = ["--prior", str(prior_dir), "--separator", str(separator_dir), "-o", str(out), "--steps", "5"]
    command = ["restore", str(song), "--task", "gaps", "--level", "20", *models, "--gibbs-reps", "1"]
    assert main(command) == 0
    folder = out / prior_dir.name / "gaps_20" / "song"
    record = json.loads((folder / "restore.json").read_text())
    restored, rate = soundfile.read(folder / "restored.wav", always_2d=True)
    assert rate == RATE and restored.shape == (len(_music()), 2)  # stereo kept, each channel restored
    stems = sum(soundfile.read(folder / f"{stem}.wav", always_2d=True)[0] for stem in STEMS)
    np.testing.assert_allclose(restored, stems, atol=1e-5)
    degraded = soundfile.read(folder / "degraded.wav", always_2d=True)[0]
    keep = Degradation.simulate("gaps", 20, degraded.T, RATE).keep.numpy()
    np.testing.assert_array_equal(degraded[keep], soundfile.read(song, always_2d=True)[0][keep])
    assert (degraded[~keep] == 0).all() and record["scores"]["degraded"]["sdr"] < 20
    assert record["settings"]["task"] == "gaps" and record["settings"]["input_sha256"]
    assert song.read_bytes() == before  # the input is never modified
    assert main([*command, "--resume"]) == 0
    assert "already restored" in capsys.readouterr().err
    assert main(command) == 1
    assert "holds an earlier restoration: --resume" in capsys.readouterr().err
    assert main(["restore", str(song), "--task", "codec", *models, "--sampler", "dps"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [
        "mgdm restore: error: sampler 'dps' needs the gradient of the forward model, and the task "
        "'codec' has none: use mgdm (its derivative-free update)"
    ]


def test_the_top_level_restore_is_the_pipelines(prior_dir, separator_dir):
    clean = _music(1.0)
    arrays = ma.restore(clean, RATE, "lowpass", 1000, prior=prior_dir, separator=separator_dir, **FAST)
    expected = RestorationPipeline("lowpass", 1000, prior=prior_dir, separator=separator_dir, **FAST).restore(
        clean, RATE
    )
    np.testing.assert_array_equal(arrays["restored"], expected["restored"])
    stereo = np.stack([clean, clean[::-1]], axis=1)  # [samples, channels], as soundfile reads it
    layout = ma.restore(stereo, RATE, "lowpass", 1000, prior=prior_dir, separator=separator_dir, **FAST)
    assert layout["restored"].shape == stereo.shape and layout["bass"].shape == stereo.shape


def test_the_benchmark_table_pairs_systems_on_their_shared_excerpts(tmp_path):
    from mgdm_audio.audio.evaluation.restoration import markdown_tables
    from mgdm_audio.common.stats import interval

    rows = []
    for excerpt, (degraded, mgdm) in enumerate([(10.0, 11.0), (12.0, 13.5), (8.0, 8.5), (9.0, 10.0)]):
        for system, value in (("degraded", degraded), ("mgdm", mgdm)):
            rows.append(
                dict(
                    excerpt=str(excerpt),
                    task="clip",
                    level="3",
                    system=system,
                    sdr=str(value),
                    si_sdr=str(value),
                    lsd="1",
                    stems_si_sdri="" if system == "degraded" else "2",
                    real_time_factor="0.5",
                )
            )
    rows.append(dict(rows[0], excerpt="9", system="mgdm", sdr="99"))  # an excerpt only MGDM ran: left unpaired
    table = markdown_tables(rows)
    mean, half = interval([1.0, 1.5, 0.5, 1.0])
    assert mean == 1.0 and half == pytest.approx(3.182446 * np.std([1, 1.5, 0.5, 1], ddof=1) / 2, rel=1e-5)
    assert f"| clip | 3 | degraded | 4 | +9.75 ± {interval([10, 12, 8, 9])[1]:.2f} |" in table
    assert f"**+1.00 ± {half:.2f}**" in table  # paired on the 4 shared excerpts, clear of zero: bold


def test_an_excerpt_is_the_window_whose_quietest_stem_is_loudest(tmp_path):
    from mgdm_audio.audio.corpora.kaldi import write_data_dir
    from mgdm_audio.audio.evaluation.restoration import excerpts

    stems = np.zeros((4, 6 * RATE))
    stems[:, :] = 0.01
    stems[:, 3 * RATE : 5 * RATE] = 0.2  # every stem loud in seconds 3 to 5 only
    paths = []
    for k, stem in enumerate(stems):
        soundfile.write(tmp_path / f"s{k}.wav", stem, RATE, subtype="FLOAT")
        paths.append({"t": str(tmp_path / f"s{k}.wav")})
    soundfile.write(tmp_path / "mix.wav", stems.sum(axis=0), RATE, subtype="FLOAT")
    write_data_dir(tmp_path / "data", {"t": str(tmp_path / "mix.wav")}, paths)
    [(excerpt, rate)] = list(excerpts(tmp_path / "data", 5, 2.0))
    assert rate == RATE and excerpt.start_s == 3.0 and excerpt.mixture.shape == (1, 2 * RATE)
    np.testing.assert_allclose(excerpt.mixture[0], excerpt.stems.sum(axis=0))
