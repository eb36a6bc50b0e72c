"""Unconditional sampling: the ancestral chain against closed-form moments, and ``mgdm generate``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import torch

from mgdm_audio.cli import main
from mgdm_audio.core.priors.loading import save_prior
from mgdm_audio.core.samplers.ancestral import sample_prior
from mgdm_audio.priors import GaussianMixture
from tests.audio.test_music_prior import tiny_prior


def _mixture() -> GaussianMixture:
    weights = torch.tensor([0.3, 0.7])
    means = torch.tensor([[2.0, -1.0], [-1.0, 1.5]])
    covariances = torch.tensor([[[1.0, 0.6], [0.6, 0.8]], [[0.5, -0.2], [-0.2, 1.2]]])
    return GaussianMixture(weights, means, covariances)


@pytest.mark.parametrize("eta", [1.0, 0.0])
def test_ancestral_chain_matches_the_mixture_moments(eta):
    prior = _mixture()
    # Every level of the table: DDPM's step drops c_0² Var(x_0 | x_t) of the true reverse variance, which
    # shrinks with the step size (measured: 200 steps give a variance ≈ 2 % low, 1,000 steps none).
    samples = sample_prior(prior, 8000, steps=1000, generator=torch.Generator().manual_seed(0), eta=eta)
    weights, means, covariances = prior.weights, prior.means, prior.covariances
    mean = weights @ means
    second_moment = torch.einsum("k,kij->ij", weights, covariances + means[:, :, None] * means[:, None, :])
    covariance = second_moment - torch.outer(mean, mean)
    # Monte-Carlo standard errors with 8,000 samples: ≈ 0.018 (mean), ≈ 0.04 (covariance).
    assert torch.allclose(samples.mean(0), mean, atol=0.06)
    assert torch.allclose(torch.cov(samples.T), covariance, atol=0.15)


def test_same_seed_same_samples_and_shape():
    prior = tiny_prior()
    first = sample_prior(prior, 2, steps=5, generator=torch.Generator().manual_seed(7))
    again = sample_prior(prior, 2, steps=5, generator=torch.Generator().manual_seed(7))
    assert first.shape == (2, 4, 64) and torch.equal(first, again)
    assert first.abs().max() <= 1.0  # the denoiser's clamp


def test_generate_cli_writes_stems_mix_and_record(tmp_path, capsys):
    prior_dir = save_prior(tiny_prior(sample_rate=8000), tmp_path / "prior")
    out = tmp_path / "out"
    status = main(
        [
            "generate",
            "--prior",
            str(prior_dir),
            "-n",
            "2",
            "--seconds",
            "0.0095",
            "--steps",
            "4",
            "--seed",
            "3",
            "--device",
            "cpu",
            "-o",
            str(out),
        ]
    )
    assert status == 0 and "wrote 2 samples" in capsys.readouterr().out
    for index in range(2):
        folder = out / f"sample_{index}"
        stems = {}
        for name in ("bass", "drums", "guitar", "piano", "mix"):
            stems[name], rate = soundfile.read(folder / f"{name}.wav", dtype="float32")
            assert rate == 8000 and stems[name].shape == (76,)  # generated at 80 samples
        np.testing.assert_allclose(
            stems["mix"], sum(stems[name] for name in ("bass", "drums", "guitar", "piano")), atol=1e-6
        )
    record = json.loads((out / "generation.json").read_text())
    assert record["seed"] == 3 and record["prior"] == str(prior_dir.resolve()) and record["samples_generated"] == 80
    assert set(record["timings"]) == {"load_s", "sample_s", "write_s"}
    assert not list(out.rglob("*.tmp*"))


def test_generate_cli_error_names_the_missing_prior(tmp_path, capsys):
    status = main(["generate", "--prior", str(tmp_path / "none"), "--device", "cpu", "-o", str(tmp_path / "out")])
    assert status == 1 and f"{tmp_path / 'none'}: prior directory not found" in capsys.readouterr().err
