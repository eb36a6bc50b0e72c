"""``mgdm separate`` end to end with a tiny random prior (8 kHz, 512-sample segments) on tiny files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.separation import track
from mgdm_audio.audio.separation.audio_io import resample
from mgdm_audio.audio.separation.output import StemFiles
from mgdm_audio.cli import main
from mgdm_audio.core.priors.loading import save_prior
from mgdm_audio.core.samplers.base import load_preset
from tests.audio.test_music_prior import tiny_prior

STEMS = ("bass", "drums", "guitar", "piano")
FAST = ["--quality", "paper", "--steps", "5", "--gibbs-reps", "1", "--grad-steps", "1", "--device", "cpu"]


@pytest.fixture(scope="module")
def prior_dir(tmp_path_factory) -> Path:
    return save_prior(tiny_prior(segment_length=512, sample_rate=8000), tmp_path_factory.mktemp("p") / "tiny")


def _write(path: Path, rate: int, seconds: float, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Noise [samples, channels] written to ``path`` (FLAC as 24-bit); returns the samples as stored."""
    audio = 0.2 * np.random.default_rng(seed).standard_normal((round(rate * seconds), channels)).astype(np.float32)
    soundfile.write(path, audio, rate, subtype="FLOAT" if path.suffix == ".wav" else "PCM_24")
    return soundfile.read(path, dtype="float32", always_2d=True)[0]


def _separate(prior_dir: Path, out: Path, *arguments: str) -> int:
    return main(["separate", "--prior", str(prior_dir), "-o", str(out), *FAST, *arguments])


def _stems(folder: Path, names=STEMS) -> tuple[np.ndarray, int]:
    """Stems [S, samples, channels] and their rate."""
    loaded = [soundfile.read(folder / f"{name}.wav", dtype="float64", always_2d=True) for name in names]
    assert len({rate for _, rate in loaded}) == 1
    return np.stack([audio for audio, _ in loaded]), loaded[0][1]


def test_mono_16k_and_stereo_44k_stems_at_input_rate_summing_to_the_mixture(prior_dir, tmp_path, capsys):
    mono = _write(tmp_path / "mono.wav", 16000, 0.12)
    stereo = _write(tmp_path / "stereo.flac", 44100, 0.12, channels=2)
    out = tmp_path / "separated"
    assert _separate(prior_dir, out, str(tmp_path / "mono.wav"), str(tmp_path / "stereo.flac"), "--clip", "none") == 0
    for name, audio, rate in (("mono", mono, 16000), ("stereo", stereo, 44100)):
        folder = out / "tiny" / name
        stems, stem_rate = _stems(folder)
        assert stem_rate == rate and stems.shape == (4, *audio.shape)  # stereo in, stereo out
        np.testing.assert_allclose(stems.sum(axis=0), audio, atol=1e-5)
        record = json.loads((folder / "separation.json").read_text())
        settings = record["settings"]
        assert settings["overrides"] == {"steps": 5, "gibbs_reps": 1, "grad_steps": 1} and settings["seed"] == 0
        assert settings["sampler"] == "mgdm" and settings["prior"] == str(prior_dir.resolve())
        assert record["input_sample_rate"] == rate and record["model_sample_rate"] == 8000
        assert record["band_limit_hz"] == 4000 and record["sampler_settings"]["steps"] == 5
        segments = record["segments"]
        channels = audio.shape[1]  # each channel separated, with seed + segment · channels + channel
        assert [s["seeds"] for s in segments] == [
            [i * channels + c for c in range(channels)] for i in range(len(segments))
        ]
        assert len(segments) >= 2
        assert all(s["residual_after_projection"]["max_abs"] < 1e-5 for s in segments)
        assert all(s["denoiser_calls"]["forward"] > 0 and s["denoiser_calls"]["forward_backward"] > 0 for s in segments)
        assert not (folder / ".partial").exists() and not list(folder.glob(".*tmp*"))
    capsys.readouterr()
    assert _separate(prior_dir, tmp_path / "mono", str(tmp_path / "stereo.flac"), "--mono", "--clip", "none") == 0
    assert "stereo.flac: 2 channels down-mixed to mono (--mono)" in capsys.readouterr().err
    stems, _ = _stems(tmp_path / "mono" / "tiny" / "stereo")
    assert stems.shape == (4, len(stereo), 1)
    np.testing.assert_allclose(stems.sum(axis=0)[:, 0], stereo.mean(axis=1), atol=1e-5)


def test_each_channel_model_rate_draws_and_plot(prior_dir, tmp_path):
    stereo = _write(tmp_path / "song.wav", 16000, 0.1, channels=2)
    out = tmp_path / "out"
    assert (
        _separate(
            prior_dir,
            out,
            str(tmp_path / "song.wav"),
            "--channels",
            "each",
            "--keep-model-rate",
            "-n",
            "2",
            "--batch-size",
            "1",
            "--save-samples",
            "--clip",
            "none",
            "--plot",
        )
        == 0
    )
    folder = out / "tiny" / "song"
    stems, rate = _stems(folder)
    expected = resample(stereo.T, 16000, 8000).T  # the mixture at the model rate
    assert rate == 8000 and stems.shape == (4, 800, 2)
    np.testing.assert_allclose(stems.sum(axis=0), expected, atol=1e-4)
    draws = [_stems(folder, [f"{stem}_sample{k}" for stem in STEMS])[0] for k in range(2)]
    np.testing.assert_allclose((draws[0] + draws[1]) / 2, stems, atol=1e-5)
    assert np.abs(draws[0] - draws[1]).max() > 1e-3  # one sampler call each (--batch-size 1): their own seeds
    record = json.loads((folder / "separation.json").read_text())
    assert record["output_channels"] == 2 and record["segments"][1]["seeds"] == [2, 3]
    assert (folder / "spectrogram.png").stat().st_size > 0


def test_resume_skips_a_finished_file_and_finished_segments(prior_dir, tmp_path, capsys, monkeypatch):
    _write(tmp_path / "a.wav", 16000, 0.12)
    out = tmp_path / "out"
    reference = tmp_path / "reference"
    assert _separate(prior_dir, reference, str(tmp_path / "a.wav")) == 0
    original = track.separate_segment
    done = []

    def crash_on_second(source, geometry, segment, sampler):
        if segment.index == 1 and -1 not in done:
            raise RuntimeError("simulated crash")
        done.append(segment.index)
        return original(source, geometry, segment, sampler)

    monkeypatch.setattr(track, "separate_segment", crash_on_second)
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume") == 1
    assert "simulated crash" in capsys.readouterr().err and (out / "tiny" / "a" / ".partial").is_dir()
    done.append(-1)  # no more crashes
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume") == 0
    assert done[:2] == [0, -1] and 0 not in done[2:]  # segment 0 came from .partial
    np.testing.assert_array_equal(_stems(out / "tiny" / "a")[0], _stems(reference / "tiny" / "a")[0])
    stamp = os.stat(out / "tiny" / "a" / "bass.wav").st_mtime_ns
    capsys.readouterr()
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume") == 0
    assert "a.wav: already separated" in capsys.readouterr().err
    assert os.stat(out / "tiny" / "a" / "bass.wav").st_mtime_ns == stamp


def test_each_bad_input_gets_one_line_and_good_files_are_still_written(prior_dir, tmp_path, capsys):
    _write(tmp_path / "good.wav", 16000, 0.1)
    (tmp_path / "text.wav").write_text("not audio")
    soundfile.write(tmp_path / "empty.wav", np.zeros((0, 1), dtype=np.float32), 16000)
    nan = np.zeros(1600, dtype=np.float32)
    nan[700] = np.nan
    soundfile.write(tmp_path / "nan.wav", nan, 16000, subtype="FLOAT")
    _write(tmp_path / "three.wav", 16000, 0.1, channels=3)
    _write(tmp_path / "short.wav", 16000, 0.05)
    _write(tmp_path / "blocked.wav", 16000, 0.1)
    out = tmp_path / "out"
    (out / "tiny").mkdir(parents=True)
    (out / "tiny" / "blocked").write_text("a file where the track folder should go")
    bad = ["missing.wav", "text.wav", "empty.wav", "nan.wav", "three.wav", "short.wav", "blocked.wav"]
    status = _separate(prior_dir, out, "--mono", *(str(tmp_path / name) for name in ["good.wav", *bad]))
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert status == 1 and len(errors) == len(bad)
    problems = [
        "no such file",
        "not a readable audio file",
        "empty file",
        "non-finite sample (NaN or inf) at sample 700",
        '3 channels; mono down-mixing (--mono, channels="mono") takes at most two',
        "too short",
        "not writable",
    ]
    for name, problem in zip(bad, problems):
        assert sum(str(tmp_path / name) in line and problem in line for line in errors) == 1, name
    assert (out / "tiny" / "good" / "separation.json").is_file()


def test_sampler_options_must_exist_on_the_sampler_and_be_valid(prior_dir, tmp_path, capsys):
    status = main(
        [
            "separate",
            "--prior",
            str(prior_dir),
            "-o",
            str(tmp_path),
            "--sampler",
            "dps",
            "--gibbs-reps",
            "2",
            str(tmp_path / "x.wav"),
        ]
    )
    assert status == 2 and "--gibbs-reps: sampler dps has no setting 'gibbs_reps'" in capsys.readouterr().err
    status = main(["separate", "--prior", str(prior_dir), "-o", str(tmp_path), "--steps", "2", str(tmp_path / "x.wav")])
    assert status == 2 and "MGDM needs steps >= 4" in capsys.readouterr().err


def test_clipping_is_recorded_and_integer_formats_never_wrap(tmp_path):
    files = StemFiles(["loud", "quiet"], tmp_path / "work", 8000, 1)
    files.append(np.array([[[0.5, -2.0, 1.5]], [[0.1, -0.2, 0.3]]]))
    actions = files.finish(tmp_path, "int16", "clamp")
    assert actions == {"loud": {"peak": 2.0, "action": "clamped 2 samples"}, "quiet": {"peak": 0.3, "action": "none"}}
    loud, _ = soundfile.read(tmp_path / "loud.wav")
    np.testing.assert_allclose(loud, [0.5, -1.0, 1.0], atol=1e-4)
    files = StemFiles(["loud"], tmp_path / "work", 8000, 1)
    files.append(np.array([[[0.5, -2.0, 1.5]]]))
    assert files.finish(tmp_path, "float32", "rescale")["loud"]["action"] == "rescaled by 1/2.0000"
    np.testing.assert_allclose(soundfile.read(tmp_path / "loud.wav")[0], [0.25, -1.0, 0.75], atol=1e-7)


def test_an_output_folder_holding_an_input_is_refused(prior_dir, tmp_path, capsys):
    folder = tmp_path / "out" / "tiny" / "inside"
    folder.mkdir(parents=True)
    _write(folder / "inside.wav", 16000, 0.1)
    assert _separate(prior_dir, tmp_path / "out", str(folder / "inside.wav")) == 1
    assert "inside.wav: output folder" in capsys.readouterr().err and not (folder / "bass.wav").exists()


@pytest.fixture(scope="module")
def separator_dir(tmp_path_factory) -> Path:
    from mgdm_audio.audio.separators import save_separator
    from tests.audio.test_separator import tiny_separator

    return save_separator(tiny_separator(segment=512, rate=8000), tmp_path_factory.mktemp("s") / "tiny_sep")


def _with_separator(prior_dir: Path, separator_dir: Path, out: Path, *arguments: str) -> int:
    return main(
        [
            "separate",
            "--prior",
            str(prior_dir),
            "--separator",
            str(separator_dir),
            "-o",
            str(out),
            "--device",
            "cpu",
            *arguments,
        ]
    )


def test_fast_quality_writes_the_separators_estimate_projected_onto_the_mixture(prior_dir, separator_dir, tmp_path):
    import torch

    from mgdm_audio.audio.separators import load as load_separator
    from mgdm_audio.priors import load as load_prior

    mixture = _write(tmp_path / "m.wav", 8000, 0.1)[:, 0]  # 800 samples: one segment of 0.2 s, no resampling
    assert (
        _with_separator(
            prior_dir,
            separator_dir,
            tmp_path / "out",
            str(tmp_path / "m.wav"),
            "--quality",
            "fast",
            "--segment",
            "0.2",
            "--clip",
            "none",
        )
        == 0
    )
    folder = tmp_path / "out" / "tiny" / "m"
    stems, _ = _stems(folder)
    padded = np.pad(mixture, (0, load_prior(prior_dir).valid_length(800) - 800)).astype(np.float32)
    with torch.no_grad():
        estimate = load_separator(separator_dir)(torch.from_numpy(padded)[None])[0, :, :800].double().numpy()
    expected = estimate + (mixture - estimate.sum(axis=0)) / 4
    np.testing.assert_allclose(stems[..., 0], expected, atol=1e-5)
    record = json.loads((folder / "separation.json").read_text())
    assert record["quality"] == "fast" and record["settings"]["sampler"] == "none"
    assert record["settings"]["init"] == "separator" and record["settings"]["separator"] == str(separator_dir.resolve())
    assert record["denoiser_calls"] == {"forward": 0, "forward_backward": 0}


def test_refine_keeps_the_separators_estimate_for_the_other_stems(prior_dir, separator_dir, tmp_path, capsys):
    """With --refine bass, drums, guitar and piano are the separator's estimate exactly (no projection: the
    separator alone's unprojected stems), and bass is the sampler's."""
    _write(tmp_path / "r.wav", 8000, 0.1)
    common = [str(tmp_path / "r.wav"), "--segment", "0.2", "--no-project", "--clip", "none"]
    assert _with_separator(prior_dir, separator_dir, tmp_path / "fast", *common, "--quality", "fast") == 0
    warm = ["--sampler", "mgdm", "--steps", "4", "--gibbs-reps", "1", "--grad-steps", "1", "--start-sigma", "0.5"]
    assert _with_separator(prior_dir, separator_dir, tmp_path / "bass", *common, *warm, "--refine", "bass") == 0
    alone, _ = _stems(tmp_path / "fast" / "tiny" / "r")
    refined, _ = _stems(tmp_path / "bass" / "tiny" / "r")
    np.testing.assert_array_equal(refined[1:], alone[1:])
    assert np.abs(refined[0] - alone[0]).max() > 1e-3
    record = json.loads((tmp_path / "bass" / "tiny" / "r" / "separation.json").read_text())
    assert record["settings"]["refine"] == ["bass"]
    assert _with_separator(prior_dir, separator_dir, tmp_path / "x", *common, *warm, "--refine", "vocals") == 1
    assert "refine names vocals, not stems of the prior (bass, drums, guitar, piano)" in capsys.readouterr().err
    assert (
        _with_separator(prior_dir, separator_dir, tmp_path / "y", *common, "--quality", "fast", "--refine", "bass") == 2
    )
    assert (
        "refine (which stems the sampler refines) needs a sampler started from the separator" in capsys.readouterr().err
    )


def test_warm_started_mgdm_records_its_start_and_resume_tells_starts_apart(prior_dir, separator_dir, tmp_path):
    _write(tmp_path / "w.wav", 8000, 0.1)
    options = [
        "--sampler",
        "mgdm",
        "--init",
        "separator",
        "--steps",
        "4",
        "--gibbs-reps",
        "1",
        "--grad-steps",
        "1",
        "--set",
        "denoising_steps=2",
        "--segment",
        "0.2",
        "--resume",
    ]
    out = tmp_path / "out"
    assert (
        _with_separator(prior_dir, separator_dir, out, str(tmp_path / "w.wav"), *options, "--start-sigma", "0.05") == 0
    )
    record = json.loads((out / "tiny" / "w" / "separation.json").read_text())
    assert record["settings"]["start_sigma"] == 0.05 and record["sampler_settings"]["start_sigma"] == 0.05
    assert record["settings"]["overrides"] == {"steps": 4, "gibbs_reps": 1, "grad_steps": 1, "denoising_steps": 2}
    # 4 grid points below σ = 0.05, no first denoiser call: 1 outer step of 1 gradient step and a 2-point chain.
    assert record["denoiser_calls"] == {"forward": 1, "forward_backward": 1}
    stamp = os.stat(out / "tiny" / "w" / "bass.wav").st_mtime_ns
    assert (
        _with_separator(prior_dir, separator_dir, out, str(tmp_path / "w.wav"), *options, "--start-sigma", "0.1") == 0
    )
    assert os.stat(out / "tiny" / "w" / "bass.wav").st_mtime_ns != stamp  # another start: separated again


def test_start_options_are_checked_and_an_unsuited_separator_falls_back_to_paper(
    prior_dir, separator_dir, tmp_path, capsys
):
    _write(tmp_path / "e.wav", 8000, 0.1)
    for arguments, message in (
        (["--sampler", "none", "--init", "none"], "it needs init 'separator'"),
        (["--init", "none", "--start-sigma", "0.1"], "start_sigma needs a sampler started"),
        (["--quality", "fast", "-n", "2"], "sampler 'none' has no draws"),
    ):
        assert _with_separator(prior_dir, separator_dir, tmp_path / "x", str(tmp_path / "e.wav"), *arguments) == 2
        assert message in capsys.readouterr().err
    # The packaged separator (22,050 Hz) does not suit the 8 kHz test prior: the published settings instead.
    assert _separate(prior_dir, tmp_path / "y", str(tmp_path / "e.wav")) == 0
    record = json.loads((tmp_path / "y" / "tiny" / "e" / "separation.json").read_text())
    assert record["quality"] == "paper" and record["settings"]["init"] == "none"


# MGDM runs in every other test here; Dirac has its own (tests/audio/test_mixing_and_dirac.py) and diverges on this
# random prior.
@pytest.mark.parametrize("sampler", [name for name in load_preset("audio") if name not in ("mgdm", "dirac")])
def test_every_sampler_of_the_audio_preset_separates(prior_dir, tmp_path, sampler):
    """Each sampler with audio settings runs through ``mgdm separate`` on the mixing operator (ΠGDM, DAPS, …
    use its adjoint, which needs the prior's number of stems) and its projected stems sum to the mixture."""
    mixture = _write(tmp_path / "song.wav", 8000, 0.1)
    cheap = "--iterations" if "iterations" in load_preset("audio")[sampler] else "--steps"
    assert (
        main(
            [
                "separate",
                str(tmp_path / "song.wav"),
                "--prior",
                str(prior_dir),
                "-o",
                str(tmp_path / "out"),
                "--quality",
                "paper",
                "--sampler",
                sampler,
                "--set",
                f"{cheap[2:]}=3",
                "--device",
                "cpu",
                "--clip",
                "none",
            ]
        )
        == 0
    )
    stems, _ = _stems(tmp_path / "out" / "tiny" / "song")
    np.testing.assert_allclose(stems.sum(axis=0)[:, 0], mixture[:, 0], atol=1e-5)


def test_resume_redoes_a_track_whose_prior_was_replaced_in_the_same_folder(tmp_path, capsys):
    """The resume key holds the prior's files' digest: a prior retrained into the same folder is another model, and
    --resume separates the track again (as a fresh run with the new prior does)."""
    prior = save_prior(tiny_prior(segment_length=512, sample_rate=8000), tmp_path / "prior")
    _write(tmp_path / "a.wav", 8000, 0.1)
    assert _separate(prior, tmp_path / "out", str(tmp_path / "a.wav"), "--resume") == 0
    before = _stems(tmp_path / "out" / "prior" / "a")[0]
    save_prior(tiny_prior(segment_length=512, sample_rate=8000, seed=1), prior)  # retrained: same folder
    capsys.readouterr()
    assert _separate(prior, tmp_path / "out", str(tmp_path / "a.wav"), "--resume") == 0
    assert "already separated" not in capsys.readouterr().err
    after = _stems(tmp_path / "out" / "prior" / "a")[0]
    assert _separate(prior, tmp_path / "fresh", str(tmp_path / "a.wav")) == 0
    np.testing.assert_array_equal(after, _stems(tmp_path / "fresh" / "prior" / "a")[0])
    assert np.abs(after - before).max() > 1e-4


def test_version_and_threads(capsys):
    import torch

    import mgdm_audio

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"mgdm {mgdm_audio.__version__}"
    assert main(["prior-info", "default", "stems", "--threads", "1"]) == 0 and torch.get_num_threads() == 1
    assert main(["prior-info", "default", "stems", "--threads", "0"]) == 2
    assert "--threads must be >= 1, got 0" in capsys.readouterr().err


def test_a_wrong_prior_or_separator_is_named_in_the_users_terms(prior_dir, separator_dir, tmp_path, capsys):
    """An image prior, a misspelt name, a folder that holds no model and a separator given as the prior each get one
    line saying what is wrong, in those words."""
    _write(tmp_path / "a.wav", 8000, 0.1)
    (tmp_path / "empty").mkdir()
    cases = [
        (["--prior", "image_default"], "image_default: a DiffusersPixelPrior (an image prior), not a music prior"),
        (
            ["--prior", "defualt"],
            "defualt: prior directory not found (a folder with config.json and model.safetensors, "
            "or a packaged name: default, image_default, image_photos32)",
        ),
        (["--prior", str(tmp_path / "empty")], f"{tmp_path / 'empty'}: not a prior folder"),
        (
            ["--prior", str(separator_dir)],
            f'{separator_dir / "config.json"}: a separator folder (its "separator" entry), not a prior folder',
        ),
        (["--prior", str(prior_dir), "--separator", "nope"], "nope: separator directory not found"),
    ]
    for options, message in cases:
        status = main(["separate", str(tmp_path / "a.wav"), "-o", str(tmp_path / "out"), "--quality", "fast", *options])
        errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
        assert status == 1 and len(errors) == 1 and message in errors[0], (options, errors)


def test_a_folder_holding_an_earlier_separation_is_refused_unless_resume_or_force(prior_dir, tmp_path, capsys):
    """A second run with other settings into the same track folder neither overwrites nor discards it silently: it
    is refused (one line naming --resume and --force) and the first run's files stay byte for byte; --force replaces
    them; an interrupted run's .partial is kept the same way."""
    _write(tmp_path / "a.wav", 8000, 0.1)
    out = tmp_path / "out"
    folder = out / "tiny" / "a"
    assert _separate(prior_dir, out, str(tmp_path / "a.wav")) == 0
    first = {path.name: path.read_bytes() for path in folder.iterdir()}
    capsys.readouterr()
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--seed", "1") == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert errors == [
        f"mgdm separate: error: {tmp_path / 'a.wav'}: {folder} holds an earlier separation: --resume reuses what "
        "these settings share with it, --force replaces it"
    ]
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == first
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--seed", "1", "--force") == 0
    assert json.loads((folder / "separation.json").read_text())["settings"]["seed"] == 1
    (folder / "separation.json").unlink()
    (folder / ".partial").mkdir()  # what an interrupted run leaves
    assert _separate(prior_dir, out, str(tmp_path / "a.wav")) == 1 and (folder / ".partial").is_dir()


def test_subfolders_are_searched_with_recursive_and_named_without(prior_dir, tmp_path, capsys):
    music = tmp_path / "music"
    (music / "live").mkdir(parents=True)
    _write(music / "a.wav", 8000, 0.1)
    _write(music / "live" / "b.wav", 8000, 0.1, seed=1)
    assert _separate(prior_dir, tmp_path / "out", str(music)) == 0
    captured = capsys.readouterr()
    assert f"{music}: 1 audio file(s) in subfolders not searched (--recursive)" in captured.err
    assert "separated 1 of 1 file(s)" in captured.out
    assert _separate(prior_dir, tmp_path / "all", str(music), "--recursive") == 0
    assert "separated 2 of 2 file(s)" in capsys.readouterr().out
    assert (tmp_path / "all" / "tiny" / "b" / "separation.json").is_file()
