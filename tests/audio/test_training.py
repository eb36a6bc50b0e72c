"""Prior training: data chunks, loss going down, exact resume after a crash, clear errors, the CLI."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import soundfile
import torch

import mgdm_audio as ma
from mgdm_audio.audio.corpora.kaldi import DataDirError, write_data_dir
from mgdm_audio.audio.training import StemChunks, TrainSettings, train_prior
from mgdm_audio.audio.training.denoising import denoising, random_chunks
from mgdm_audio.audio.training.examples import StepExamples
from mgdm_audio.audio.training.snapshot import export_checkpoint
from mgdm_audio.cli import main
from tests.audio.test_music_prior import TINY_NET, tiny_prior

RATE = 8000
STEMS = 4
SEGMENT = 64


def make_data_dir(root, sample_rate: int = RATE, lengths=(2000, 1500, 40)) -> str:
    """Utterances of 4 mono stems (a sine per stem, its frequency per utterance, plus a little noise);
    the last one is shorter than a segment."""
    rng = np.random.default_rng(0)
    mixtures, sources = {}, [{} for _ in range(STEMS)]
    for number, length in enumerate(lengths):
        utt = f"utt{number}"
        time = np.arange(length) / sample_rate
        stems = [
            0.3 * np.sin(2 * np.pi * (110 * (stem + 1) + 37 * number) * time) + 0.01 * rng.normal(size=length)
            for stem in range(STEMS)
        ]
        folder = root / "audio" / utt
        folder.mkdir(parents=True)
        for stem, audio in enumerate(stems):
            soundfile.write(folder / f"s{stem}.wav", audio.astype(np.float32), sample_rate, subtype="FLOAT")
            sources[stem][utt] = str(folder / f"s{stem}.wav")
        soundfile.write(folder / "mix.wav", np.sum(stems, axis=0).astype(np.float32), sample_rate, subtype="FLOAT")
        mixtures[utt] = str(folder / "mix.wav")
    write_data_dir(root / "data", mixtures, sources)
    return str(root / "data")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_data_dir(tmp_path_factory.mktemp("corpus"))


def test_chunks_are_aligned_slices_with_one_gain_per_example(data_dir):
    chunks = StemChunks(data_dir, STEMS, SEGMENT, RATE)
    assert chunks.num_utterances == 2 and chunks.hours == pytest.approx(3500 / RATE / 3600)  # utt2 is too short
    batch = chunks.batch(16, np.random.default_rng(3), gain_range=(1.0, 1.0))
    assert batch.shape == (16, STEMS, SEGMENT) and batch.dtype == np.float32
    windows = [
        np.stack(
            [
                np.lib.stride_tricks.sliding_window_view(soundfile.read(path, dtype="float32")[0], SEGMENT)
                for path in paths
            ],
            axis=1,
        )
        for paths in chunks.paths
    ]  # [positions, S, L] per utterance
    for example in batch:  # every example is the S stems of one utterance at one offset
        assert sum(int((window == example).all(axis=(1, 2)).sum()) for window in windows) == 1
    gained = chunks.batch(16, np.random.default_rng(3))
    ratios = gained / np.where(batch == 0, 1, batch)
    assert np.allclose(ratios, ratios[:, :1, :1], atol=1e-5) and (0.5 <= ratios).all() and (ratios <= 1.5).all()


def test_standard_deviation_is_the_stems_rms(data_dir):
    """Sines of amplitude 0.3 plus noise of std 0.01: RMS √(0.3²/2 + 0.01²), up to the chunks' partial periods."""
    measured = StemChunks(data_dir, STEMS, SEGMENT, RATE).standard_deviation()
    assert measured == pytest.approx(np.sqrt(0.3**2 / 2 + 0.01**2), rel=0.03)


def _eval_loss(prior, data_dir) -> float:
    """EDM loss on a fixed batch with fixed σ and noise."""
    batch = torch.from_numpy(StemChunks(data_dir, STEMS, SEGMENT, RATE).batch(64, np.random.default_rng(99)))
    with torch.no_grad():
        return float(prior.denoiser.loss(batch, torch.Generator().manual_seed(99)))


def test_training_lowers_the_loss_and_writes_the_prior(data_dir, tmp_path):
    prior = tiny_prior(SEGMENT, RATE)
    before = _eval_loss(prior, data_dir)
    settings = TrainSettings(steps=30, batch_size=8, lr=3e-3, checkpoint_every=10, seed=1)
    result = train_prior(prior, data_dir, tmp_path / "run", settings, progress=False)
    after = _eval_loss(prior, data_dir)
    assert after < 0.8 * before, (before, after)  # measured: 2.31 → 1.34
    with open(tmp_path / "run" / "train_log.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == list(range(1, 31))
    assert result.facts.final_loss == pytest.approx(np.mean([float(row["loss"]) for row in rows]))
    loaded = ma.priors.load(result.model_dir)
    assert loaded.config == prior.config
    card = (result.model_dir / "MODEL_CARD.md").read_text()
    assert "30 steps" in card and f"{RATE} Hz" in card and f"{SEGMENT} samples" in card and "CPU" in card


class _FixedDenoiserPrior:
    """A prior stand-in whose denoiser is a fixed map of (x, σ)."""

    def __init__(self, denoise, segment_length: int = SEGMENT):
        self.denoiser, self.stems, self.segment_length = denoise, ("a", "b", "c", "d"), segment_length


def test_denoising_measures_mse_and_sdr_against_closed_forms(data_dir):
    """The identity's error is the noise (MSE σ², SDR 10 log10(‖x_0‖² / (Lσ²)) per chunk); returning zero scores
    0 dB exactly, with MSE the stems' mean power."""
    clean = random_chunks(data_dir, STEMS, 256, 32, seed=1)
    power = clean.pow(2).mean(dim=(0, 2))
    mse, sdr = denoising(_FixedDenoiserPrior(lambda x, sigma: x), clean, 0.05, torch.Generator().manual_seed(0))
    torch.testing.assert_close(mse, torch.full((STEMS,), 0.05**2), rtol=0.05, atol=0)
    expected = (10 * torch.log10(clean.pow(2).sum(dim=2) / (256 * 0.05**2))).median(dim=0).values
    torch.testing.assert_close(sdr, expected, atol=0.3, rtol=0)
    mse, sdr = denoising(
        _FixedDenoiserPrior(lambda x, sigma: torch.zeros_like(x)), clean, 0.3, torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(mse, power)
    assert torch.equal(sdr, torch.zeros(STEMS))


def test_exported_prior_has_the_finished_runs_card_with_loss_curve_and_denoising(data_dir, tmp_path):
    settings = TrainSettings(steps=4, batch_size=2, lr=1e-3, checkpoint_every=2, validate_every=2, seed=0)
    result = train_prior(
        tiny_prior(SEGMENT, RATE), data_dir, tmp_path / "run", settings, progress=False, valid_dir=data_dir
    )
    exported, step = export_checkpoint(tmp_path / "run", tmp_path / "export", denoising_dir=data_dir)
    assert step == 4
    weights = ma.priors.load(exported).state_dict()
    for name, tensor in ma.priors.load(result.model_dir).state_dict().items():
        assert torch.equal(weights[name], tensor), name
    finished, snapshot = ((path / "MODEL_CARD.md").read_text() for path in (result.model_dir, exported))
    section = snapshot[snapshot.index("## Loss curve") : snapshot.index("## To complete")]
    assert section == finished[finished.index("## Loss curve") : finished.index("## To complete")]
    assert "| 1–1 |" in section and "| 4–4 |" in section  # 4 steps in spans of one
    assert "| 2 |" in section and "| 4 |" in section  # the validation losses at steps 2 and 4
    identity_column = [
        line.split(" | ")[1] for line in section.splitlines() if line.startswith("| 0.") or line.startswith("| 1 |")
    ]
    assert identity_column == ["1.00e-04", "1.00e-02", "9.00e-02", "2.50e-01", "1.00e+00"]
    assert "4 steps" in snapshot and "(2 utterances, 0.00 h)" in snapshot


def test_resume_after_a_crash_gives_the_uninterrupted_result(data_dir, tmp_path, monkeypatch):
    settings = TrainSettings(steps=8, batch_size=4, lr=1e-3, checkpoint_every=3, seed=5)
    reference = tiny_prior(SEGMENT, RATE)
    train_prior(reference, data_dir, tmp_path / "straight", settings, progress=False)

    original = StepExamples.__getitem__

    def crash_in_step_six(self, key):
        if key[0] == 6:
            raise KeyboardInterrupt
        return original(self, key)

    monkeypatch.setattr(StepExamples, "__getitem__", crash_in_step_six)
    with pytest.raises(KeyboardInterrupt):  # after the checkpoint at step 3 and two logged steps
        train_prior(tiny_prior(SEGMENT, RATE), data_dir, tmp_path / "resumed", settings, progress=False)
    monkeypatch.setattr(StepExamples, "__getitem__", original)
    resumed = tiny_prior(SEGMENT, RATE, seed=123)  # different initial weights: they come from the checkpoint
    result = train_prior(resumed, data_dir, tmp_path / "resumed", settings, progress=False)

    assert result.start_step == 3
    for name, tensor in reference.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name
    logs = [list(csv.DictReader(open(tmp_path / run / "train_log.csv"))) for run in ("straight", "resumed")]
    assert [row["step"] for row in logs[1]] == [str(step) for step in range(1, 9)]
    assert [row["loss"] for row in logs[1]] == [row["loss"] for row in logs[0]]


def test_resume_refuses_other_settings(data_dir, tmp_path):
    train_prior(tiny_prior(SEGMENT, RATE), data_dir, tmp_path, TrainSettings(steps=2, seed=0), progress=False)
    with pytest.raises(ValueError, match="checkpoint.pt: made with seed = 0, this run has 1"):
        train_prior(tiny_prior(SEGMENT, RATE), data_dir, tmp_path, TrainSettings(steps=4, seed=1), progress=False)
    with pytest.raises(ValueError, match="already at step 2, beyond the 1 steps"):
        train_prior(tiny_prior(SEGMENT, RATE), data_dir, tmp_path, TrainSettings(steps=1, seed=0), progress=False)


def test_wrong_sample_rate_is_a_clear_error(data_dir, tmp_path):
    with pytest.raises(DataDirError, match=r"utt0: .*\.wav has sample rate 8000, expected 16000"):
        train_prior(tiny_prior(SEGMENT, 16000), data_dir, tmp_path, TrainSettings(steps=1), progress=False)


def test_stereo_stems_are_refused(tmp_path):
    data_dir = make_data_dir(tmp_path)
    stereo = str(tmp_path / "audio" / "utt0" / "s1.wav")
    audio, _ = soundfile.read(stereo)
    soundfile.write(stereo, np.stack([audio, audio], axis=1), RATE)
    with pytest.raises(DataDirError, match=r"s1\.wav: 2 channels"):
        StemChunks(data_dir, STEMS, SEGMENT, RATE)


def test_cli_trains_a_tiny_prior(data_dir, tmp_path, capsys):
    net = TINY_NET
    options = [
        "--channels",
        str(net["channels"]),
        "--patch-factor",
        str(net["patch_factor"]),
        "--multipliers",
        *map(str, net["multipliers"]),
        "--factors",
        *map(str, net["factors"]),
        "--blocks",
        str(net["blocks"]),
        "--attention-levels",
        str(net["attention_levels"]),
        "--attention-heads",
        str(net["attention_heads"]),
        "--attention-features",
        str(net["attention_features"]),
        "--resnet-groups",
        str(net["resnet_groups"]),
    ]
    status = main(
        [
            "train-prior",
            data_dir,
            str(tmp_path / "run"),
            "--steps",
            "3",
            "--batch-size",
            "2",
            "--segment-seconds",
            "0.0075",
            "--sample-rate",
            str(RATE),
            "--device",
            "cpu",
            *options,
        ]
    )
    out = capsys.readouterr().out
    assert status == 0 and "segment 64 samples" in out and "prior written to" in out
    prior = ma.priors.load(tmp_path / "run" / "prior")
    assert prior.segment_length == SEGMENT  # 60 samples rounded to 64
    assert prior.denoiser.sigma_data == pytest.approx(
        np.sqrt(0.3**2 / 2 + 0.01**2), rel=0.03
    )  # by default ('auto'): the stems' RMS
    status = main(
        [
            "train-prior",
            data_dir,
            str(tmp_path / "bad"),
            "--sample-rate",
            "16000",
            "--device",
            "cpu",
            "--segment-seconds",
            "0.004",
            *options,
        ]
    )
    assert status == 1 and "expected 16000" in capsys.readouterr().err


def test_a_data_dir_with_other_stems_is_a_clear_error(data_dir, tmp_path):
    prior = tiny_prior(SEGMENT, RATE)
    three = tmp_path / "three"
    three.mkdir()
    for name in ("wav.scp", "spk1.scp", "spk2.scp", "spk3.scp"):
        (three / name).write_text(open(f"{data_dir}/{name}").read())
    with pytest.raises(DataDirError, match=r"three: 3 stems \(spk1.scp … spk3.scp\) but the model has 4 \(bass, drums"):
        train_prior(prior, three, tmp_path / "run", TrainSettings(steps=1), progress=False)
