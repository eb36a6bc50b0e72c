"""DiffPIR: its proximal solver, its samples against an exact Gaussian posterior, and its refusals."""

import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.core.samplers.diffpir import conjugate_gradient
from mgdm_audio.image.operators import make_task
from mgdm_audio.samplers import make_sampler
from tests.images.gaussian_image import inpainting_problem, smooth_image_prior

SHAPE = (1, 8, 8)


@pytest.mark.parametrize("name", ["sr4_bicubic", "gaussian_blur", "random70"])
def test_proximal_step_solves_its_linear_system(name, generator):
    """(AᵀA + ρ I) x = Aᵀy + ρ x̂0 against a dense solve, one system per batch row."""
    operator = make_task(name, (1, 16, 16), seed=1)
    rhs = torch.randn(3, 1, 16, 16, generator=generator, dtype=torch.float64)
    rho = 0.05
    dense = operator.adjoint(operator(torch.eye(256, dtype=torch.float64).view(256, 1, 16, 16))).flatten(1).T
    expected = torch.linalg.solve(dense + rho * torch.eye(256, dtype=torch.float64), rhs.flatten(1).T).T
    solved = conjugate_gradient(
        lambda v: operator.adjoint(operator(v)) + rho * v, rhs, torch.zeros_like(rhs), iterations=300, tolerance=1e-12
    )
    assert torch.allclose(solved.flatten(1), expected, atol=1e-9)


def test_diffpir_approaches_the_exact_posterior_mean():
    """Box inpainting of an 8×8 image with a smooth Gaussian prior (σ_y 0.05, preset settings, 100 steps).

    DiffPIR is approximate; measured over problem seeds 0–2: mean error 0.35–0.49 posterior sd
    (RMS over pixels), worst pixel 0.8–1.4 sd, while the prior's mean is up to 21 sd away.
    """
    operator = make_task("box", SHAPE)
    prior, y, mean, sd = inpainting_problem(operator, SHAPE, 0.05, seed=0)
    x = ma.sample(prior, operator, y, sigma_y=0.05, sampler="diffpir", preset="image_pixel", num_samples=300, seed=0)
    error = (x.mean(0) - mean) / sd
    assert float(error.pow(2).mean().sqrt()) < 0.7 and float(error.abs().max()) < 2.0
    assert float((x.mean(0) - mean).abs().max()) < 0.35 * float((prior.mixture.means[0].view(SHAPE) - mean).abs().max())


def test_diffpir_is_reproducible_and_refuses_what_it_cannot_do():
    operator = make_task("half", SHAPE)
    prior, y, _, _ = inpainting_problem(operator, SHAPE, 0.05, seed=1)
    kwargs = dict(sigma_y=0.05, sampler="diffpir", preset="image_pixel", num_samples=4, steps=10)
    assert torch.equal(ma.sample(prior, operator, y, seed=3, **kwargs), ma.sample(prior, operator, y, seed=3, **kwargs))
    with pytest.raises(ValueError, match="DiffPIR needs a linear operator"):
        ma.sample(smooth_image_prior(SHAPE), make_task("hdr", SHAPE), y, **kwargs)
    with pytest.raises(ValueError, match="zeta must be in"):
        make_sampler("diffpir", "image_pixel", zeta=1.5)
    assert make_sampler("diffpir", "image_pixel_imagenet").settings.steps == 100
