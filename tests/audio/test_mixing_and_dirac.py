"""The Mixing operator, and MGDM and MSDM's Dirac separator on a 2-stem Gaussian toy with an exact posterior.

Stems x_s ~ N(0, v_s I_L), independent; mixture y = Σ_s g_s x_s (noiseless). The posterior mean is
the Wiener estimate x̂_s = g_s v_s / (Σ_j g_j² v_j) · y, and the posterior variance per coordinate
is v_s − g_s² v_s² / Σ_j g_j² v_j. Tolerances below were measured at 256 samples (on 5 seeds for
the unit-gain runs, on one for the others) and given about 1.7x margin.
"""

from __future__ import annotations

import math

import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.audio.priors.music import SigmaSchedule
from mgdm_audio.operators import Mixing
from mgdm_audio.priors import VEDenoiserPrior

VARIANCES = (0.04, 0.01)  # stem standard deviations 0.2 and 0.1: audio-like scale
LENGTH = 64
NUM_SAMPLES = 256


class GaussianStemsDenoiser(torch.nn.Module):
    """The exact EDM denoiser of independent N(0, v_s I) stems: D(x, σ) = x · v_s / (v_s + σ²), x [B, S, L]."""

    def __init__(self, variances: tuple[float, ...]):
        super().__init__()
        # float64 buffer: the prior (and so the sampler) runs in float64.
        self.register_buffer("variances", torch.tensor(variances, dtype=torch.float64).view(-1, 1))

    def forward(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        return x * self.variances / (self.variances + sigma**2)


class GaussianStems(VEDenoiserPrior):
    """p_0 over stems [S, L] with the published audio σ table, like a MultiSourcePrior."""

    def __init__(self, variances: tuple[float, ...] = VARIANCES, length: int = LENGTH):
        super().__init__(
            GaussianStemsDenoiser(variances), SigmaSchedule().sigmas(), (len(variances), length), default_preset="audio"
        )


def mixture_problem(gains: tuple[float, ...] = (1.0, 1.0), seed: int = 100):
    """(prior, y [L], exact posterior mean [S, L], exact posterior std [S]) for one draw of the stems."""
    variances = torch.tensor(VARIANCES, dtype=torch.float64)
    g = torch.tensor(gains, dtype=torch.float64)
    stems = torch.randn(len(VARIANCES), LENGTH, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    y = (g.view(-1, 1) * variances.sqrt().view(-1, 1) * stems).sum(0)
    total = float((g**2 * variances).sum())
    wiener = (g * variances / total).view(-1, 1) * y
    posterior_std = (variances - g**2 * variances**2 / total).sqrt()
    return GaussianStems(), y, wiener, posterior_std


def relative_error(estimate: torch.Tensor, reference: torch.Tensor) -> float:
    return float((estimate - reference).norm() / reference.norm())


def mixing_residual(samples: torch.Tensor, y: torch.Tensor, gains: tuple[float, ...] = (1.0, 1.0)) -> float:
    """max over samples of ‖y − Σ g_s x_s‖ / ‖y‖."""
    mixed = Mixing(gains)(samples)
    return float(((y - mixed).norm(dim=-1) / y.norm()).max())


@pytest.fixture(scope="module")
def dirac_run():
    """One run of the published Dirac configuration (preset "audio") on the unit-gain toy."""
    prior, y, wiener, posterior_std = mixture_problem()
    result = ma.sample(
        prior,
        Mixing(),
        y,
        sigma_y=1e-4,
        sampler="dirac",
        preset="audio",
        num_samples=NUM_SAMPLES,
        seed=0,
        return_result=True,
    )
    return result, y, wiener, posterior_std


def test_mixing_sums_stems_and_broadcasts_back():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    assert torch.allclose(Mixing()(x), x.sum(1))
    assert torch.allclose(Mixing([1.0, 0.5, -2.0])(x), x[:, 0] + 0.5 * x[:, 1] - 2.0 * x[:, 2])
    y = torch.randn(2, 4, 5, dtype=torch.float64)
    assert torch.equal(Mixing(num_stems=3).adjoint(y), y.unsqueeze(1).expand(2, 3, 4, 5))
    U, S, V = Mixing(num_stems=3, stem_shape=(4, 5)).svd()
    assert U.shape == (20, 20) and torch.allclose(S, torch.full((20,), math.sqrt(3.0), dtype=torch.float64))
    assert V.shape == (60, 20)


def test_mixing_rejects_what_it_cannot_do():
    with pytest.raises(ValueError, match="needs the number of stems"):
        Mixing().adjoint(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="needs stem_shape"):
        Mixing(num_stems=2).svd()
    with pytest.raises(ValueError, match="2 gains but the input has 3 stems"):
        Mixing([1.0, 1.0])(torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="not all zero"):
        Mixing([0.0, 0.0])
    with pytest.raises(ValueError, match="2 gains given for num_stems=3"):
        Mixing([1.0, 1.0], num_stems=3)


def test_mgdm_posterior_mean_is_the_wiener_estimate():
    """Measured: relative error of the mean 0.098–0.122 (a bias: the stems' shares are pulled towards
    equal, mean ≈ 0.93 / 1.27 × Wiener), std 0.957 × the exact one; ‖y − Σ x‖/‖y‖ ≈ 0.1, since MGDM
    returns the unconditional chain's estimate and the mixture is only matched up to that chain's noise."""
    prior, y, wiener, posterior_std = mixture_problem()
    samples = ma.sample(prior, Mixing(), y, sigma_y=1e-4, preset="audio", num_samples=NUM_SAMPLES, seed=0)
    assert samples.shape == (NUM_SAMPLES, 2, LENGTH)
    assert relative_error(samples.mean(0), wiener) < 0.2
    assert torch.allclose(samples.std(0).mean(-1), posterior_std, rtol=0.15)


def test_dirac_stems_sum_to_the_mixture(dirac_run):
    """Not exactly: stem k is the residual of the others *before* the last Euler update moves them by
    −(x_j − D_j) + (x_k − D_k), which is O(σ_min² / v) relative (measured ≤ 8.3e-7 in float64)."""
    result, y, _, _ = dirac_run
    assert mixing_residual(result.samples, y) < 1e-5


def test_dirac_posterior_mean_is_near_the_wiener_estimate(dirac_run):
    """Measured: relative error 0.057–0.073 (a bias, as MGDM's: mean ≈ 0.965 / 1.14 × Wiener); std 0.93 × exact."""
    result, _, wiener, posterior_std = dirac_run
    assert relative_error(result.samples.mean(0), wiener) < 0.12
    assert torch.allclose(result.samples.std(0).mean(-1), posterior_std, rtol=0.15)


def test_dirac_published_configuration_costs_300_denoiser_calls(dirac_run):
    result, _, _, _ = dirac_run
    assert result.calls.forward == 300 and result.calls.forward_backward == 0
    settings = result.settings
    assert (settings["steps"], settings["s_churn"], settings["num_resamples"], settings["constrained_stem"]) == (
        150,
        20.0,
        2,
        0,
    )
    assert (settings["sigma_min"], settings["sigma_max"], settings["rho"]) == (1e-4, 1.0, 7.0)


def test_dirac_is_msdm_separate_mixture():
    """The sampler against a direct transcription of MSDM's loop (main/separation.py), same noise."""
    prior, y, _, _ = mixture_problem()
    steps, s_churn, resamples = 6, 2.0, 2
    got = ma.sample(
        prior,
        Mixing(),
        y,
        sigma_y=1e-4,
        sampler="dirac",
        preset="audio",
        num_samples=3,
        seed=5,
        steps=steps,
        s_churn=s_churn,
    )
    generator = torch.Generator().manual_seed(5)
    ramp = torch.arange(steps, dtype=torch.float64) / (steps - 1)
    sigmas = (1.0 + ramp * (1e-4 ** (1 / 7) - 1.0)) ** 7  # KarrasSchedule(1e-4, 1.0, 7), σ_max first
    sigmas = sigmas.tolist() + [0.0]
    gamma = min(s_churn / (len(sigmas) - 1), 2**0.5 - 1)
    x = sigmas[0] * torch.randn(3, 2, LENGTH, generator=generator, dtype=torch.float64)
    for sigma, sigma_next in zip(sigmas[:-1], sigmas[1:]):
        for r in range(resamples):
            sigma_hat = sigma * (gamma + 1)
            churn = torch.randn(x.shape, generator=generator, dtype=torch.float64)
            x = x + churn * (sigma_hat**2 - sigma**2) ** 0.5
            x[:, [0]] = y - (x.sum(1, keepdim=True) - x[:, [0]])
            score = (x - prior.denoiser(x, sigma_hat)) / sigma_hat
            x = x + (score - score[:, [0]]) * (sigma_next - sigma_hat)
            if r < resamples - 1:
                x = x + (sigma**2 - sigma_next**2) ** 0.5 * torch.randn(
                    x.shape, generator=generator, dtype=torch.float64
                )
    assert torch.allclose(got, x, rtol=1e-9, atol=1e-12)


def test_dirac_with_gains_solves_the_weighted_mixture():
    """Measured: relative mean error 0.040, residual 3.7e-7."""
    gains = (1.0, 0.5)
    prior, y, wiener, _ = mixture_problem(gains)
    samples = ma.sample(
        prior, Mixing(gains), y, sigma_y=1e-4, sampler="dirac", preset="audio", num_samples=NUM_SAMPLES, seed=0
    )
    assert mixing_residual(samples, y, gains) < 1e-5
    assert relative_error(samples.mean(0), wiener) < 0.1


def test_dirac_gaussian_variant_fits_the_mixture_loosely():
    """A soft constraint (γ_y = 0.75 σ): measured residual 7.6e-4, relative mean error 0.136."""
    prior, y, wiener, _ = mixture_problem()
    samples = ma.sample(
        prior,
        Mixing(),
        y,
        sigma_y=1e-4,
        sampler="dirac",
        preset="audio",
        num_samples=NUM_SAMPLES,
        seed=0,
        differential="gaussian",
    )
    assert mixing_residual(samples, y) < 5e-3
    assert relative_error(samples.mean(0), wiener) < 0.25


def test_dirac_same_seed_same_output():
    prior, y, _, _ = mixture_problem()
    kwargs = dict(sigma_y=1e-4, sampler="dirac", preset="audio", num_samples=4, steps=10)
    first = ma.sample(prior, Mixing(), y, seed=3, **kwargs)
    assert torch.equal(first, ma.sample(prior, Mixing(), y, seed=3, **kwargs))
    assert not torch.equal(first, ma.sample(prior, Mixing(), y, seed=4, **kwargs))


def test_dirac_rejects_other_operators_and_priors():
    prior, y, _, _ = mixture_problem()
    not_mixing = ma.operators.Linear(torch.ones(1, LENGTH, dtype=torch.float64))
    with pytest.raises(TypeError, match="only solves mixtures"):
        ma.sample(prior, not_mixing, torch.zeros(2, 1), sigma_y=1e-4, sampler="dirac", preset="audio")
    gaussian = ma.priors.GaussianMixture([1.0], [[0.0, 0.0]], [[1.0, 1.0]])
    with pytest.raises(TypeError, match="needs a VE denoiser"):
        ma.sample(gaussian, Mixing(), torch.tensor(0.5), sigma_y=1e-4, sampler="dirac", preset="audio")
    with pytest.raises(ValueError, match=r"constrained_stem must be in \[0, 1\]"):
        ma.sample(prior, Mixing(), y, sigma_y=1e-4, sampler="dirac", preset="audio", constrained_stem=2)
    with pytest.raises(ValueError, match="gain 0"):
        ma.sample(prior, Mixing([0.0, 1.0]), y, sigma_y=1e-4, sampler="dirac", preset="audio")
    with pytest.raises(ValueError, match="unknown differential"):
        ma.sample(prior, Mixing(), y, sigma_y=1e-4, sampler="dirac", preset="audio", differential="laplace")
