"""The Gaussian-mixture prior: exact ε-net and denoiser, exact posterior, sampling."""

import math

import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.core.schedules import karras_sigmas
from tests.conftest import random_covariance


def make_mixture(dim, num_components, generator, full=True):
    weights = torch.rand(num_components, generator=generator, dtype=torch.float64) + 0.1
    means = 3 * torch.randn(num_components, dim, generator=generator, dtype=torch.float64)
    if full:
        covariances = torch.stack([random_covariance(dim, generator) for _ in range(num_components)])
    else:
        covariances = torch.rand(num_components, dim, generator=generator, dtype=torch.float64) + 0.2
    return ma.priors.GaussianMixture(weights, means, covariances)


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("index", [1, 10, 300, 999])
def test_epsilon_net_is_the_scaled_score(full, index, generator):
    """ε̂(x) = −sqrt(1 − ᾱ) ∇ log p_index(x), with the gradient from autograd."""
    prior = make_mixture(3, 4, generator, full)
    x = (2 * torch.randn(16, 3, generator=generator, dtype=torch.float64)).requires_grad_(True)
    (grad,) = torch.autograd.grad(prior.log_prob(x, index).sum(), x)
    expected = -math.sqrt(1 - prior.alpha_bar(index)) * grad
    assert torch.allclose(prior.eps(x.detach(), index), expected, atol=1e-8, rtol=1e-6)
    assert torch.allclose(prior.score(x.detach(), index), grad, atol=1e-8, rtol=1e-6)


def test_denoiser_is_the_posterior_mean_by_monte_carlo(generator):
    """E[x_0 | x_i] against self-normalised importance sampling over prior draws."""
    prior = make_mixture(2, 3, generator)
    index = 400
    a = prior.alpha_bar(index)
    x0 = prior.sample(200_000, generator)
    x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    log_w = -0.5 * ((x - math.sqrt(a) * x0) ** 2).sum(1) / (1 - a)
    w = torch.softmax(log_w, 0)
    assert torch.allclose(prior.x0(x, index)[0], (w[:, None] * x0).sum(0), atol=0.03)


def test_index_zero_is_identity(generator):
    prior = make_mixture(2, 2, generator)
    x = torch.randn(5, 2, generator=generator, dtype=torch.float64)
    assert torch.equal(prior.x0(x, 0), x)


def test_samples_have_the_mixture_moments(generator):
    prior = make_mixture(3, 2, generator)
    x = prior.sample(200_000, generator)
    w, mu, cov = prior.weights, prior.means, prior.covariances
    mean = (w[:, None] * mu).sum(0)
    second = (w[:, None, None] * (cov + mu[:, :, None] * mu[:, None, :])).sum(0)
    assert torch.allclose(x.mean(0), mean, atol=0.05)
    assert torch.allclose(torch.cov(x.T), second - torch.outer(mean, mean), atol=0.1)


def _grid_posterior_check(prior, matrix, y, sigma_y, axes):
    """Compare the exact posterior's density with prior × likelihood normalised on a grid."""
    points = torch.cartesian_prod(*axes) if len(axes) > 1 else axes[0][:, None]
    cell = math.prod(float(a[1] - a[0]) for a in axes)
    log_joint = prior.log_prob(points) - 0.5 * (((points @ matrix.T) - y) ** 2).sum(1) / sigma_y**2
    numeric = torch.softmax(log_joint, 0) / cell
    posterior = prior.posterior(matrix, y, sigma_y)
    exact = posterior.log_prob(points).exp()
    assert float((numeric - exact).abs().sum() * cell) < 2e-3  # total variation-like error on the grid
    numeric_mean = (torch.softmax(log_joint, 0)[:, None] * points).sum(0)
    component_means = (posterior.weights[:, None] * posterior.means).sum(0)
    assert torch.allclose(numeric_mean, component_means, atol=1e-3)


def test_exact_posterior_1d_against_numerical_integration():
    prior = ma.priors.GaussianMixture([0.3, 0.7], [[-2.0], [1.5]], [[[0.5]], [[1.2]]])
    axis = torch.linspace(-8, 8, 20001, dtype=torch.float64)
    _grid_posterior_check(
        prior, torch.tensor([[0.8]], dtype=torch.float64), torch.tensor([0.4], dtype=torch.float64), 0.6, [axis]
    )


def test_exact_posterior_2d_against_numerical_integration(generator):
    prior = make_mixture(2, 3, generator)
    axes = [torch.linspace(-14, 14, 701, dtype=torch.float64)] * 2
    matrix = torch.tensor([[1.0, -0.5]], dtype=torch.float64)
    _grid_posterior_check(prior, matrix, torch.tensor([0.7], dtype=torch.float64), 0.8, axes)


def test_ve_denoiser_prior_matches_the_vp_view(generator):
    """An EDM denoiser D(x_VE, σ) wrapped by VEDenoiserPrior equals the VP mixture's denoiser."""
    sigmas = karras_sigmas(1000, 5e-4, 20.0, 3.0)
    table = ma.schedules.table_from_sigmas(sigmas)
    vp = make_mixture(2, 3, generator)
    vp = ma.priors.GaussianMixture(vp.weights, vp.means, vp.covariances, alphas_cumprod=table)

    def ve_denoiser(x_ve, sigma):
        """Closed-form E[x_0 | x_0 + σ n = x_ve]: a mixture whose level 1 has ᾱ = 1 / (1 + σ²)."""
        alpha_bar = 1.0 / (1.0 + sigma**2)
        single_level = torch.tensor([1.0, alpha_bar, alpha_bar], dtype=torch.float64)
        mixture = ma.priors.GaussianMixture(vp.weights, vp.means, vp.covariances, alphas_cumprod=single_level)
        return mixture.x0(x_ve * math.sqrt(alpha_bar), 1)

    prior = ma.priors.VEDenoiserPrior(ve_denoiser, sigmas, (2,), default_preset="gmm")
    x = torch.randn(8, 2, generator=generator, dtype=torch.float64)
    for index in (1, 500, 1000):
        assert torch.allclose(prior.x0(x, index), vp.x0(x, index))


@pytest.mark.parametrize(
    "bad",
    [
        dict(weights=[1.0], means=[[0.0, 0.0]], covariances=[[[1.0, 2.0], [0.0, 1.0]]]),
        dict(weights=[1.0, 1.0], means=[[0.0, 0.0]], covariances=[[1.0, 1.0]]),
        dict(weights=[-1.0], means=[[0.0]], covariances=[[1.0]]),
        dict(weights=[1.0], means=[[0.0, 0.0]], covariances=[[[1.0, 0.0], [0.0, -1.0]]]),
    ],
)
def test_bad_mixture_arguments(bad):
    with pytest.raises(ValueError):
        ma.priors.GaussianMixture(**bad)
