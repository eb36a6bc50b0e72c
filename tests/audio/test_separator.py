"""Discriminative separators: the network, the loss against a hand computation, saving and loading, training
(loss going down, exact resume, the weight average), remixed batches and exports."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import soundfile
import torch

from mgdm_audio.audio import separators
from mgdm_audio.audio.nets.spectral_mask import SpectralMask
from mgdm_audio.audio.nets.tasnet import ConvTasNet
from mgdm_audio.audio.separators.model import ERROR_FLOOR, MixtureSeparator
from mgdm_audio.audio.training import StemChunks, TrainSettings
from mgdm_audio.audio.training.loop import _WeightAverage
from mgdm_audio.audio.training.separator_trainer import train_separator
from mgdm_audio.audio.training.snapshot import export_checkpoint
from tests.audio.test_training import RATE, SEGMENT, STEMS, data_dir  # noqa: F401  (the data_dir fixture)

TINY_TASNET = dict(
    enc_kernel_size=4, enc_num_feats=8, msk_num_feats=8, msk_num_hidden_feats=8, msk_num_layers=2, msk_num_stacks=1
)
NAMES = ("bass", "drums", "guitar", "piano")


def tiny_separator(seed: int = 0, segment: int = SEGMENT, rate: int = RATE) -> MixtureSeparator:
    torch.manual_seed(seed)
    return MixtureSeparator(ConvTasNet(STEMS, **TINY_TASNET), rate, segment, NAMES)


class EqualShares(torch.nn.Module):
    """A 'network' giving every stem the same share of the mixture."""

    num_sources = 2

    def forward(self, mixture):
        return mixture.unsqueeze(1).expand(-1, 2, -1) / 2


def test_network_keeps_the_length_of_any_input():
    net = ConvTasNet(STEMS, **TINY_TASNET)
    for length in (37, 64, 1001):
        assert net(torch.randn(2, length)).shape == (2, STEMS, length)
    with pytest.raises(ValueError, match=r"expected a mixture \[B, L\]"):
        net(torch.randn(2, 1, 64))


def test_spectral_masks_give_sources_that_sum_to_the_mixture():
    net = SpectralMask(3, n_fft=64, hop_length=16, channels=8, num_blocks=2)
    for length in (1, 100, 1001):
        mixture = torch.randn(2, length)
        sources = net(mixture)
        assert sources.shape == (2, 3, length)
        assert torch.allclose(sources.sum(1), mixture, atol=1e-5)
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        SpectralMask(2, kernel_size=4)


def test_loss_is_the_thresholded_error_in_decibels():
    stems = torch.tensor([[[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]]])  # the second stem silent
    separator = MixtureSeparator(EqualShares(), RATE, 3, ("a", "b"))
    mixture = stems.sum(1)[0]
    estimate = mixture / 2
    floor = ERROR_FLOOR * float(mixture.pow(2).sum())
    expected = [10 * math.log10(float((estimate - stem).pow(2).sum()) + floor + 1e-8) for stem in stems[0]]
    assert float(separator.loss(stems)) == pytest.approx(sum(expected) / 2, rel=1e-6)


def test_save_and_load_give_the_same_separator(tmp_path):
    separator = tiny_separator()
    directory = separators.save_separator(separator, tmp_path / "sep", "card")
    loaded = separators.load(directory)
    assert loaded.stems == NAMES and loaded.sample_rate == RATE and loaded.segment_length == SEGMENT
    mixture = torch.randn(1, 300)
    with torch.no_grad():
        assert torch.equal(loaded(mixture), separator.eval()(mixture))
    (directory / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"sep/model\.safetensors: missing"):
        separators.load(directory)


def test_a_prior_directory_is_not_a_separator(tmp_path):
    from mgdm_audio.core.priors.loading import save_prior
    from tests.audio.test_music_prior import tiny_prior

    directory = save_prior(tiny_prior(), tmp_path / "prior")
    with pytest.raises(
        ValueError, match=r"config\.json: a prior folder \(its \"prior\" entry\), not a separator folder"
    ):
        separators.load(directory)


def test_remixed_batches_draw_each_stem_from_its_own_chunk(data_dir):  # noqa: F811
    chunks = StemChunks(data_dir, STEMS, SEGMENT, RATE)
    aligned = chunks.batch(6, np.random.default_rng(4), (1.0, 1.0))
    assert np.array_equal(chunks.remixed_batch(6, np.random.default_rng(4), (1.0, 1.0), probability=0.0), aligned)
    remixed = chunks.remixed_batch(40, np.random.default_rng(5), (1.0, 1.0), probability=1.0)
    # Where each stem's chunk comes from: (utterance, offset) of the window of that stem's file it equals.
    windows = [
        [np.lib.stride_tricks.sliding_window_view(_whole(chunks, u, stem), SEGMENT) for stem in range(STEMS)]
        for u in range(chunks.num_utterances)
    ]
    for example in remixed:
        origins = []
        for stem, audio in enumerate(example):
            found = [
                (u, int(o))
                for u in range(chunks.num_utterances)
                for o in np.flatnonzero((windows[u][stem] == audio).all(axis=1))
            ]
            assert len(found) == 1  # real audio of this very stem
            origins.append(found[0])
        assert len(set(origins)) > 1  # not one aligned chunk
    gained = chunks.remixed_batch(40, np.random.default_rng(5), (0.5, 1.5), probability=1.0)
    ratios = np.abs(gained).max(axis=2) / np.abs(remixed).max(axis=2)
    assert (ratios >= 0.5).all() and (ratios <= 1.5).all() and ratios.std(axis=1).min() > 0  # one gain per stem


def _whole(chunks: StemChunks, utterance: int, stem: int) -> np.ndarray:
    return soundfile.read(chunks.paths[utterance][stem], dtype="float32")[0]


def test_weight_average_follows_its_recursion():
    module = torch.nn.Linear(2, 1)
    average = _WeightAverage(module, decay=0.9)
    expected = module.weight.detach().clone()
    for step, value in enumerate((1.0, -2.0, 0.5, 3.0, 0.25), start=1):
        with torch.no_grad():
            module.weight.fill_(value)
        average.update(module, step * 40)  # steps 40, 80, …: the decay is min(0.9, 41 / 50, …)
        decay = min(0.9, (1 + step * 40) / (10 + step * 40))
        expected = decay * expected + (1 - decay) * value
    assert torch.allclose(average.tensors["weight"], expected)
    with average.swapped_in(module):
        assert torch.allclose(module.weight, expected)
    assert torch.all(module.weight == 0.25)


def test_learning_rate_schedule():
    settings = TrainSettings(steps=110, lr=1.0, lr_schedule="cosine", min_lr_ratio=0.1, warmup_steps=10)
    assert settings.lr_at(5) == pytest.approx(0.5) and settings.lr_at(10) == pytest.approx(1.0)
    assert settings.lr_at(60) == pytest.approx(0.55) and settings.lr_at(110) == pytest.approx(0.1)
    assert TrainSettings(lr=0.3).lr_at(1000) == 0.3
    assert "steps" in settings.fixed_fields() and "steps" not in TrainSettings().fixed_fields()


def test_training_lowers_the_loss_resumes_exactly_and_exports(data_dir, tmp_path):  # noqa: F811
    settings = TrainSettings(
        steps=12, batch_size=4, lr=3e-3, checkpoint_every=4, ema_decay=0.5, seed=2, validate_every=6
    )
    straight = tiny_separator()
    result = train_separator(straight, data_dir, tmp_path / "straight", settings, progress=False, valid_dir=data_dir)
    rows = list(csv.DictReader(open(tmp_path / "straight" / "train_log.csv")))
    losses = [float(row["loss"]) for row in rows]
    assert np.mean(losses[-4:]) < np.mean(losses[:4]) - 1.0, losses  # dB
    assert [row["step"] for row in csv.DictReader(open(tmp_path / "straight" / "valid_log.csv"))] == ["6", "12"]
    written = separators.load(result.model_dir)
    for name, tensor in straight.state_dict().items():
        assert torch.equal(written.state_dict()[name], tensor), name
    exported, step = export_checkpoint(tmp_path / "straight", tmp_path / "export")
    assert step == 12
    for name, tensor in straight.state_dict().items():
        assert torch.equal(separators.load(exported).state_dict()[name], tensor), name
    # Stop after 8 steps (a checkpoint), then continue with a fresh model: same weights as straight through.
    stopped = TrainSettings(**{**settings.__dict__, "lr_schedule": "constant"})
    first = tiny_separator()
    train_separator(
        first,
        data_dir,
        tmp_path / "two_part",
        TrainSettings(**{**stopped.__dict__, "steps": 8}),
        progress=False,
        valid_dir=data_dir,
    )
    second = tiny_separator(seed=9)
    train_separator(second, data_dir, tmp_path / "two_part", stopped, progress=False, valid_dir=data_dir)
    reference = tiny_separator()
    train_separator(reference, data_dir, tmp_path / "one_part", stopped, progress=False, valid_dir=data_dir)
    for name, tensor in reference.state_dict().items():
        assert torch.equal(second.state_dict()[name], tensor), name


def test_cli_trains_exports_and_refuses_bad_network_settings(data_dir, tmp_path, capsys):  # noqa: F811
    from mgdm_audio.cli import main

    tiny = [
        "--architecture",
        "spectral-mask",
        "--net",
        "n_fft=64",
        "--net",
        "hop_length=16",
        "--net",
        "channels=8",
        "--net",
        "num_blocks=2",
    ]
    status = main(
        [
            "train-separator",
            data_dir,
            str(tmp_path / "run"),
            "--steps",
            "3",
            "--batch-size",
            "2",
            "--segment-seconds",
            "0.016",
            "--sample-rate",
            str(RATE),
            "--device",
            "cpu",
            *tiny,
        ]
    )
    out = capsys.readouterr().out
    assert status == 0 and "segment 128 samples" in out and "separator written to" in out
    trained = separators.load(tmp_path / "run" / "separator")
    assert type(trained.net).__name__ == "SpectralMask" and trained.net.config["channels"] == 8
    assert main(["train-separator", data_dir, str(tmp_path / "run"), "--export", str(tmp_path / "snap")]) == 0
    assert "step 3 of" in capsys.readouterr().out
    snapshot = separators.load(tmp_path / "snap").state_dict()
    for name, tensor in trained.state_dict().items():
        assert torch.equal(snapshot[name], tensor), name
    assert (
        main(
            [
                "train-separator",
                data_dir,
                str(tmp_path / "again"),
                "--steps",
                "3",
                "--batch-size",
                "2",
                "--segment-seconds",
                "0.016",
                "--sample-rate",
                str(RATE),
                "--device",
                "cpu",
                *tiny,
            ]
        )
        == 0
    )
    again = separators.load(tmp_path / "again" / "separator").state_dict()  # --seed also seeds the initial weights
    for name, tensor in trained.state_dict().items():
        assert torch.equal(again[name], tensor), name
    assert main(["train-separator", data_dir, str(tmp_path / "bad"), "--net", "width=3", "--device", "cpu"]) == 1
    assert "--net width=3: expected NAME=VALUE with NAME one of enc_kernel_size" in capsys.readouterr().err


def test_cli_fine_tunes_from_a_separator(data_dir, tmp_path, capsys):  # noqa: F811
    from mgdm_audio.cli import main

    start = tiny_separator(seed=4)
    separators.save_separator(start, tmp_path / "start")
    # A vanishing learning rate: the fine-tune keeps the starting weights, not the seed's random ones.
    assert (
        main(
            [
                "train-separator",
                data_dir,
                str(tmp_path / "tuned"),
                "--init",
                str(tmp_path / "start"),
                "--steps",
                "1",
                "--batch-size",
                "2",
                "--lr",
                "1e-12",
                "--ema-decay",
                "0",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert f"segment {SEGMENT} samples" in capsys.readouterr().out
    tuned = separators.load(tmp_path / "tuned" / "separator")
    assert type(tuned.net).__name__ == "ConvTasNet" and tuned.segment_length == SEGMENT
    for name, tensor in start.state_dict().items():
        assert torch.allclose(tuned.state_dict()[name], tensor, atol=1e-8), name
    assert (
        f"started from {(tmp_path / 'start').resolve()}"
        in (tmp_path / "tuned" / "separator" / "MODEL_CARD.md").read_text()
    )
    assert (
        main(
            [
                "train-separator",
                data_dir,
                str(tmp_path / "other"),
                "--init",
                str(tmp_path / "start"),
                "--stems",
                "a",
                "b",
                "c",
                "d",
                "--device",
                "cpu",
            ]
        )
        == 1
    )
    assert "its stems are bass, drums, guitar, piano, not a, b, c, d" in capsys.readouterr().err
