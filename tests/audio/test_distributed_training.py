"""Data-parallel training: the examples of a step do not depend on how the batch is shared, two processes
(torchrun, gloo) end with the weights of one process on the same batch, accumulation rounds and loader workers
change nothing but rounding, and bf16 autocast leaves the weights, optimizer state and average in float32."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from mgdm_audio.audio.training import TrainSettings, train_prior
from mgdm_audio.audio.training.checkpoint import CHECKPOINT_FILE
from mgdm_audio.audio.training.data import StemChunks
from mgdm_audio.audio.training.examples import MicroBatches, StepExamples
from tests.audio.test_music_prior import TINY_NET, tiny_prior
from tests.audio.test_training import RATE, SEGMENT, make_data_dir

MGDM = str(Path(sys.executable).with_name("mgdm"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return make_data_dir(tmp_path_factory.mktemp("corpus"))


def test_each_process_reads_its_share_of_the_same_examples():
    alone = [key for batch in MicroBatches(3, 4, 8, 0, 1, 1) for key in batch]
    shared = [
        [key for batch in MicroBatches(3, 4, 8, rank, 2, 2) for key in batch] for rank in range(2)
    ]  # 2 processes x 2 rounds of 2 examples
    assert sorted(shared[0] + shared[1]) == alone == [(step, i) for step in (3, 4) for i in range(8)]
    assert shared[0][:4] == [(3, 0), (3, 1), (3, 2), (3, 3)] and shared[1][:4] == [(3, 4), (3, 5), (3, 6), (3, 7)]
    with pytest.raises(ValueError, match="does not split over 2 process"):
        MicroBatches(1, 1, 6, 0, 2, 2)


def test_an_example_is_the_same_whatever_batch_it_is_in(data_dir):
    chunks = StemChunks(data_dir, 4, SEGMENT, RATE)
    examples = StepExamples(chunks, lambda data, size, rng: data.batch(size, rng), seed=3)
    first, again, other = examples[5, 2], examples[5, 2], examples[5, 3]
    assert np.array_equal(first[0], again[0]) and first[1] == again[1]
    assert not np.array_equal(first[0], other[0]) and first[1] != other[1]


def test_the_loss_with_per_example_draws_is_the_mean_of_its_parts():
    """Example i draws its σ and ε from generator i, so a batch's loss is the mean of its halves' losses."""
    denoiser = tiny_prior(SEGMENT, RATE).denoiser
    x0 = torch.randn(4, 4, SEGMENT, generator=torch.Generator().manual_seed(0)) * 0.1

    def generators(seeds):
        return [torch.Generator().manual_seed(seed) for seed in seeds]

    whole = denoiser.loss(x0, generators([10, 11, 12, 13]))
    halves = (denoiser.loss(x0[:2], generators([10, 11])) + denoiser.loss(x0[2:], generators([12, 13]))) / 2
    torch.testing.assert_close(whole, halves, rtol=1e-5, atol=0)
    assert not torch.allclose(whole, denoiser.loss(x0, generators([10, 11, 12, 14])))


def _train(data_dir, out: Path, **settings) -> dict[str, torch.Tensor]:
    settings = TrainSettings(**{"steps": STEPS, "batch_size": 4, "lr": LR, "ema_decay": 0.9, "seed": 2, **settings})
    torch.manual_seed(0)
    train_prior(tiny_prior(SEGMENT, RATE), data_dir, out, settings, progress=False)
    return torch.load(out / CHECKPOINT_FILE, weights_only=True)


#: Steps and learning rate of the runs compared.
STEPS, LR = 4, 1e-3


def assert_same_run(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], other: dict[str, torch.Tensor]) -> None:
    """Weights ``a`` and ``b`` differ by float rounding only: their distance is under 0.1 % of the distance to a run
    on other examples (``other``), and the median weight agrees to 1e-6. (Not every weight agrees to float
    precision: where a gradient is zero up to rounding, e.g. a bias a normalisation cancels, Adam scales that
    rounding to a step of up to a tenth of the learning rate.)"""

    def flat(weights):
        return torch.cat([tensor.flatten() for tensor in weights.values() if tensor.is_floating_point()])

    difference, elsewhere = flat(a) - flat(b), flat(a) - flat(other)
    assert difference.norm() < 1e-3 * elsewhere.norm(), (float(difference.norm()), float(elsewhere.norm()))
    assert difference.abs().median() < 1e-6


def test_accumulation_rounds_and_loader_workers_change_only_rounding(data_dir, tmp_path):
    one = _train(data_dir, tmp_path / "one")
    rounds = _train(data_dir, tmp_path / "rounds", accumulate=2)
    workers = _train(data_dir, tmp_path / "workers", workers=2)
    other = _train(data_dir, tmp_path / "other", seed=3)
    assert_same_run(one["model"], rounds["model"], other["model"])
    assert_same_run(one["average"], rounds["average"], other["average"])
    for name, tensor in one["model"].items():
        assert torch.equal(workers["model"][name], tensor), name  # the same examples in the same order


def test_bf16_autocast_keeps_weights_optimizer_and_average_in_float32(data_dir, tmp_path):
    state = _train(data_dir, tmp_path / "bf16", precision="bf16")  # CPU autocast: the same code path as on a GPU
    _train(data_dir, tmp_path / "fp32")
    assert all(t.dtype == torch.float32 for t in state["model"].values() if t.is_floating_point())
    assert all(t.dtype == torch.float32 for t in state["average"].values())
    moments = [t for s in state["optimizer"]["state"].values() for k, t in s.items() if k != "step"]
    assert moments and all(t.dtype == torch.float32 for t in moments)
    losses = [
        [float(r["loss"]) for r in csv.DictReader(open(tmp_path / run / "train_log.csv"))] for run in ("bf16", "fp32")
    ]
    assert losses[0] != losses[1] and np.allclose(losses[0], losses[1], rtol=0.05)  # bf16 arithmetic, same run


#: Each trainer's command and tiny network: a 4-stem UNet1d prior, a spectral-mask separator.
TRAINERS = {
    "prior": [
        "train-prior", "--segment-seconds", "0.0075",
        *(f"--{name.replace('_', '-')}={value}" for name, value in TINY_NET.items() if not isinstance(value, list)),
        "--multipliers", *map(str, TINY_NET["multipliers"]), "--factors", *map(str, TINY_NET["factors"]),
    ],
    "separator": [
        "train-separator", "--segment-seconds", "0.016", "--architecture", "spectral-mask",
        *(f"--net={item}" for item in ("n_fft=64", "hop_length=16", "channels=8", "num_blocks=2")),
    ],
}  # fmt: skip


def _cli(trainer: str, data_dir, out: Path, processes: int, seed: int = 2) -> subprocess.CompletedProcess:
    command, *network = TRAINERS[trainer]
    options = [
        command, data_dir, str(out), "--steps", str(STEPS), "--batch-size", "4", "--lr", str(LR), "--ema-decay", "0.9",
        "--sample-rate", str(RATE), "--device", "cpu", "--seed", str(seed), "--valid-dir", data_dir,
        "--validate-every", "2", *network,
    ]  # fmt: skip
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
    argv = [*launcher, "--no-python", MGDM, *options] if processes > 1 else [MGDM, *options]
    env = {"OMP_NUM_THREADS": "1", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_two_processes_end_with_the_weights_of_one(trainer, data_dir, tmp_path):
    runs = {n: _cli(trainer, data_dir, tmp_path / f"p{n}", n) for n in (1, 2)}
    runs["other"] = _cli(trainer, data_dir, tmp_path / "pother", 1, seed=3)
    for result in runs.values():
        assert result.returncode == 0, result.stderr[-3000:]
    assert runs[2].stdout.count(f"{trainer} written to") == 1  # one process writes and reports
    weights = [load_file(tmp_path / f"p{n}" / trainer / "model.safetensors") for n in (1, 2, "other")]
    assert weights[0].keys() == weights[1].keys()
    assert_same_run(*weights)
    for log in ("train_log.csv", "valid_log.csv"):  # each logged once, by the first process
        rows = [list(csv.DictReader(open(tmp_path / f"p{n}" / log))) for n in (1, 2)]
        assert [r["step"] for r in rows[1]] == [r["step"] for r in rows[0]]
        assert np.allclose([float(r["loss"]) for r in rows[1]], [float(r["loss"]) for r in rows[0]], rtol=1e-5)
