"""Audio restoration operators against ground truth: exact adjoints (every linear one, alone and on the sum of
stems), projections, the gap layout, the pass band, a clip that is idempotent and meets its SDR, a codec that
refuses a gradient, and the exact Gaussian posterior that the core's linear steps reach through them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.audio.operators import (
    TASKS,
    CodecRoundTrip,
    HardClip,
    LowPass,
    SampleMask,
    clipping_threshold,
    gap_mask,
    make_degradation,
    on_mixture,
)
from mgdm_audio.core.likelihoods import GaussianLikelihood
from mgdm_audio.core.operators.base import LinearOperator
from mgdm_audio.core.samplers.linear_steps import sample_data_step, solve_observation_space

RATE, LENGTH = 8000, 8000 * 2


def _music(length: int = LENGTH, seed: int = 0) -> torch.Tensor:
    """A decaying chord with noise: something with a spectrum and peaks, [length] float64."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / RATE
    tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) for f in (110, 440, 1250, 3100))
    return torch.from_numpy(0.3 * tones * np.exp(-t % 0.5 * 3) + 0.02 * rng.standard_normal(length))


#: every linear degradation, by a name for the test ids
LINEAR = {
    "gaps": lambda: SampleMask(gap_mask(LENGTH, RATE, 50, seed=3)),
    "lowpass": lambda: LowPass(LENGTH, RATE, 2000),
}


@pytest.mark.parametrize("name", sorted(LINEAR))
@pytest.mark.parametrize("stems", [0, 3])
def test_adjoint_and_projection(name, stems, generator):
    inner = LINEAR[name]()
    op = inner if not stems else on_mixture(inner, stems)
    assert isinstance(op, LinearOperator)
    shape = (2, LENGTH) if not stems else (2, stems, LENGTH)
    x = torch.randn(shape, generator=generator, dtype=torch.float64)
    y = torch.randn(2, LENGTH, generator=generator, dtype=torch.float64)
    assert torch.allclose((op(x) * y).sum(), (x * op.adjoint(y)).sum(), rtol=1e-10)
    torch.testing.assert_close(inner(inner(y)), inner(y), rtol=0, atol=1e-12)  # an orthogonal projection
    if stems:
        torch.testing.assert_close(op(x), inner(x.sum(1)))


def test_gaps_are_one_per_second_of_the_asked_length_and_seeded():
    keep = gap_mask(5 * RATE, RATE, 50, seed=1)
    missing = (~keep).nonzero().flatten()
    runs = np.split(missing.numpy(), np.flatnonzero(np.diff(missing.numpy()) > 1) + 1)
    assert len(runs) == 5 and all(len(run) == 400 for run in runs)  # 50 ms at 8 kHz, one per second
    assert all(k * RATE <= run[0] and run[-1] < (k + 1) * RATE for k, run in enumerate(runs))
    assert torch.equal(keep, gap_mask(5 * RATE, RATE, 50, seed=1))
    assert not torch.equal(keep, gap_mask(5 * RATE, RATE, 50, seed=2))
    with pytest.raises(ValueError, match="shorter than the period"):
        gap_mask(RATE, RATE, 1000, seed=0)


def test_the_low_pass_keeps_the_band_below_its_cutoff_and_removes_the_rest():
    t = torch.arange(LENGTH, dtype=torch.float64) / RATE
    low, high = torch.sin(2 * math.pi * 1000 * t), torch.sin(2 * math.pi * 2500 * t)
    op = LowPass(LENGTH, RATE, 2000)
    torch.testing.assert_close(op(low + high), low, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="Nyquist"):
        LowPass(LENGTH, RATE, 4000)


@pytest.mark.parametrize("sdr_db", TASKS["clip"][1])
def test_clipping_meets_its_input_sdr_and_is_idempotent(sdr_db):
    clean = _music()
    op = make_degradation("clip", sdr_db, clean, RATE)
    clipped = op(clean)
    sdr = 10 * torch.log10(clean.pow(2).sum() / (clean - clipped).pow(2).sum())
    assert float(sdr) == pytest.approx(sdr_db, abs=0.01)
    assert torch.equal(op(clipped), clipped) and clipped.abs().max() <= op.threshold
    assert 0 < (clipped.abs() == op.threshold).float().mean() < 1  # 1 dB clips most samples, 7 dB few


def test_clipping_has_the_gradient_of_its_unclipped_samples():
    x = torch.tensor([-2.0, -0.5, 0.2, 1.5], requires_grad=True)
    HardClip(1.0)(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="silent"):
        clipping_threshold(torch.zeros(10), 3)


def test_the_codec_is_an_aligned_black_box_with_no_gradient():
    pytest.importorskip("pedalboard")
    clean = _music().float()[None]
    op = CodecRoundTrip(RATE, quality=6)
    coded = op(clean)
    assert coded.shape == clean.shape and torch.equal(op(clean), coded)  # deterministic
    error = 10 * torch.log10(clean.pow(2).sum() / (clean - coded).pow(2).sum())
    assert float(error) > 5  # aligned: a delayed output would leave the chord's error near its energy
    assert not op.differentiable and not on_mixture(op, 4).differentiable
    x = clean.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="no gradient"):
        op(x).sum().backward()


def test_the_core_reaches_the_exact_gaussian_posterior_through_each_linear_operator(generator):
    """For x ~ N(m, r² I) and y = A x + σ ε, the matrix-free solve of the core's linear steps (forward and adjoint
    only) gives the posterior mean of the dense closed form, and its perturb-and-solve draws average to it."""
    length, r, sigma = 64, 0.5, 0.05
    for op in (SampleMask(gap_mask(length, 32, 200, seed=0)), LowPass(length, 32, 6)):
        dense = op(torch.eye(length, dtype=torch.float64))  # row i: A e_i, so dense.T is A (A is symmetric here)
        m = torch.randn(length, generator=generator, dtype=torch.float64)
        prior = ma.priors.GaussianMixture([1.0], m[None], (r**2 * torch.eye(length, dtype=torch.float64))[None])
        y = op(torch.randn(1, length, generator=generator, dtype=torch.float64))[0]
        exact = prior.posterior(dense.T, y, sigma)
        residual = (y - op(m[None])[0])[None]
        mean = m + r**2 * op.adjoint(solve_observation_space(op, residual, r**2, sigma**2, 200, 1e-12))[0]
        torch.testing.assert_close(mean, exact.means[0], rtol=0, atol=1e-8)
        likelihood = GaussianLikelihood(y, sigma)
        draws = sample_data_step(op, likelihood, m.expand(4000, length), r**2, generator, 200, 1e-12)
        assert (draws.mean(0) - exact.means[0]).abs().max() < 4 * r / math.sqrt(4000)


def test_mgdm_restores_through_the_codec_with_forward_calls_only():
    """The codec's backward raises, so a run that ends took no gradient through it; samplers that need one refuse
    it up front with one line."""
    pytest.importorskip("pedalboard")
    length = 1152  # one MP3 frame at any rate
    op = CodecRoundTrip(RATE, quality=6)
    prior = ma.priors.GaussianMixture([1.0], torch.zeros(1, length), (0.01 * torch.eye(length))[None])
    y = op(_music(length).float()[None])[0]
    draws = ma.sample(prior, op, y, sigma_y=0.05, sampler="mgdm", num_samples=2, seed=0, steps=6)
    assert draws.shape == (2, length) and torch.isfinite(draws).all()
    for sampler, settings in (("dps", {}), ("mgdm", {"intermediate_update": "variational"})):
        with pytest.raises(ValueError, match="CodecRoundTrip is a black box"):
            ma.sample(prior, op, y, sigma_y=0.05, sampler=sampler, num_samples=2, seed=0, steps=6, **settings)
