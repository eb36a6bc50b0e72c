"""MGDM and DPS against closed-form answers, reproducibility, settings and argument errors."""

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.core import bridge
from mgdm_audio.core.likelihoods import GaussianLikelihood
from mgdm_audio.core.samplers import intermediate
from mgdm_audio.core.samplers.base import counting, forward_model
from mgdm_audio.core.samplers.mgdm import squared_operator_norm
from mgdm_audio.samplers import DenoiserCalls, make_sampler, preset_names
from tests.conftest import random_covariance

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib


def gaussian_problem(dim, obs_dim, sigma_y, seed):
    """A single-Gaussian prior, a random A and y drawn from the model, with its exact posterior."""
    g = torch.Generator().manual_seed(seed)
    prior = ma.priors.GaussianMixture(
        [1.0], torch.randn(1, dim, generator=g, dtype=torch.float64), random_covariance(dim, g)[None]
    )
    matrix = torch.randn(obs_dim, dim, generator=g, dtype=torch.float64)
    y = matrix @ prior.sample(1, g)[0] + sigma_y * torch.randn(obs_dim, generator=g, dtype=torch.float64)
    return prior, ma.operators.Linear(matrix), y, prior.posterior(matrix, y, sigma_y)


def denoiser_gain(prior, index):
    """D_i(x) = μ + G (x − sqrt(ᾱ) μ) for a single-Gaussian prior N(μ, Σ): returns G = sqrt(ᾱ) Σ (ᾱ Σ + (1 − ᾱ) I)⁻¹
    (the Gaussian conditional mean E[x_0 | x_i = x]), [d, d], written out here independently of the prior's code."""
    alpha_bar = prior.alpha_bar(index)
    sigma = prior.covariances[0]
    identity = torch.eye(len(sigma), dtype=torch.float64)
    return math.sqrt(alpha_bar) * sigma @ torch.linalg.inv(alpha_bar * sigma + (1 - alpha_bar) * identity)


@dataclass
class IntermediateConditional:
    """x_s | x̂0, x_t ∝ N(y; A D_s(x_s), σ_y²) q(x_s | x̂0, x_t) for a Gaussian prior in R²: Gaussian, as D_s is
    affine. x0, x_t: [n, 2]; bridge_mean: [n, 2]; mean: the exact mean [2]; precision: [2, 2]."""

    prior: ma.priors.GaussianMixture
    operator: ma.operators.Linear
    likelihood: GaussianLikelihood
    x0: torch.Tensor
    x_t: torch.Tensor
    s: int
    t: int
    bridge_mean: torch.Tensor
    bridge_std: float
    mean: torch.Tensor
    precision: torch.Tensor

    def energy(self, x_s):
        """−log N(y; A D_s(x_s), σ_y²) up to a constant, [n]."""
        return self.likelihood.neg_log(self.operator(self.prior.x0(x_s, self.s)))


def gaussian_intermediate_conditional(seed, n, sigma_y=0.5):
    """The conditional at s = 300, t = 400 for the problem of ``gaussian_problem(2, 1, sigma_y, seed)``, n chains."""
    prior, operator, y, _ = gaussian_problem(2, 1, sigma_y, seed=seed)
    s, t = 300, 400
    x0 = prior.means.expand(n, 2).clone()
    x_t = torch.full((n, 2), 0.3, dtype=torch.float64)
    coefficients = bridge.bridge(prior.alphas_cumprod, 0, s, t)
    gain, mu = denoiser_gain(prior, s), prior.means[0]
    m = coefficients.mean(x0[0], x_t[0])
    AG = operator.matrix @ gain
    offset = y - operator.matrix @ (mu - math.sqrt(prior.alpha_bar(s)) * gain @ mu)
    precision = AG.T @ AG / sigma_y**2 + torch.eye(2, dtype=torch.float64) / coefficients.std**2
    mean = torch.linalg.solve(precision, AG.T @ offset / sigma_y**2 + m / coefficients.std**2)
    return IntermediateConditional(
        prior,
        operator,
        GaussianLikelihood(y, sigma_y),
        x0,
        x_t,
        s,
        t,
        coefficients.mean(x0, x_t),
        coefficients.std,
        mean,
        precision,
    )


def test_variational_update_fits_the_exact_gaussian_conditional():
    """The Adam fit must reach the conditional's mean and the mean-field variances 1 / diag(precision)."""
    n = 1000
    problem = gaussian_intermediate_conditional(3, n)
    mean, precision = problem.mean, problem.precision
    calls = DenoiserCalls()
    with counting(problem.prior, calls):  # the samplers' one call counter, as Sampler.__call__ holds it
        x_s = intermediate.variational(
            problem.energy,
            problem.bridge_mean,
            problem.bridge_std,
            steps=800,
            lr=0.004,
            generator=torch.Generator().manual_seed(0),
        )
    mean_field_sd = (1 / torch.diagonal(precision)).sqrt()
    assert torch.allclose(x_s.mean(0), mean, atol=4 * float(mean_field_sd.max()) / math.sqrt(n) + 2e-3)
    assert torch.allclose(x_s.std(0), mean_field_sd, rtol=0.08)
    assert (calls.forward, calls.forward_backward) == (0, 800)


@pytest.mark.parametrize("seed", [3, 13])
def test_pcn_update_samples_the_exact_gaussian_conditional(seed):
    """pCN Metropolis leaves the conditional itself invariant: its draws must match the exact mean and the
    full covariance (not only the mean-field variances)."""
    n = 4000
    problem = gaussian_intermediate_conditional(seed, n)
    calls = DenoiserCalls()
    with counting(problem.prior, calls):
        x_s = intermediate.pcn(
            problem.energy,
            problem.bridge_mean,
            problem.bridge_std,
            steps=100,
            generator=torch.Generator().manual_seed(0),
        )
    assert_gaussian_draws(x_s, problem.mean, torch.linalg.inv(problem.precision))
    assert (calls.forward, calls.forward_backward) == (101, 0)


def test_laplace_update_samples_a_sharp_gaussian_conditional():
    """σ_y = 0.02: the likelihood is ~30x sharper than the bridge (sd 0.62), where pCN's bridge proposals are
    nearly all rejected. The Gauss–Newton fit is exact here (D_s is affine), so its widened proposal plus
    Metropolis must give the exact mean and full covariance within a few steps; one backward pass per
    observed entry and fit step, one forward call per Metropolis step and per backtracking trial."""
    n = 4000
    problem = gaussian_intermediate_conditional(3, n, sigma_y=0.02)

    def residual(x_s):
        return (
            problem.likelihood.residual(problem.operator(problem.prior.x0(x_s, problem.s))) / problem.likelihood.sigma_y
        ).flatten(1)

    calls = DenoiserCalls()
    with counting(problem.prior, calls):
        x_s = intermediate.laplace(
            residual,
            problem.bridge_mean,
            problem.bridge_std,
            fit_steps=2,
            steps=10,
            generator=torch.Generator().manual_seed(0),
        )
    assert_gaussian_draws(x_s, problem.mean, torch.linalg.inv(problem.precision))
    assert calls.forward_backward == 2 and 11 + 2 <= calls.forward <= 11 + 2 * intermediate.BACKTRACK


def nonlinear_intermediate_conditional():
    """x_s | x̂0, x_t for a two-component prior in R¹ (means ±2, variance 0.3) at s = 200, t = 300 with y = 1,
    σ_y = 0.3: D_s is far from affine there (skewness 1.2), so a Gaussian fit is wrong. Returns the residual,
    bridge mean (scalar), bridge sd and the conditional's exact mean and sd by quadrature on 20,001 points."""
    prior = ma.priors.GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], [[[0.3]], [[0.3]]])
    s, t, y, sigma_y = 200, 300, torch.tensor([1.0], dtype=torch.float64), 0.3
    coefficients = bridge.bridge(prior.alphas_cumprod, 0, s, t)
    m = float(coefficients.mean(torch.tensor([[0.5]], dtype=torch.float64), torch.tensor([[0.2]], dtype=torch.float64)))
    points = torch.linspace(m - 8 * coefficients.std, m + 8 * coefficients.std, 20001, dtype=torch.float64)[:, None]
    log_density = (
        -0.5 * ((y - prior.x0(points, s)[:, 0]) / sigma_y) ** 2 - 0.5 * ((points[:, 0] - m) / coefficients.std) ** 2
    )
    weights = torch.softmax(log_density, 0)
    mean = float((weights * points[:, 0]).sum())
    sd = float((weights * (points[:, 0] - mean) ** 2).sum().sqrt())

    def residual(x_s):
        return ((y - prior.x0(x_s, s)) / sigma_y).flatten(1)

    return residual, m, coefficients.std, mean, sd


def test_laplace_update_corrects_its_fit_on_a_nonlinear_conditional():
    """The Metropolis ratio must correct the Gaussian fit: on a skewed conditional a draw of the (widened) fit
    alone, no Metropolis step, misses the exact mean by 0.56 sd; 300 steps must land within 4 standard errors
    of the mean and 4 % of the sd (quadrature; measured: −0.02 sd and −0.4 %)."""
    residual, m, bridge_std, mean, sd = nonlinear_intermediate_conditional()
    n = 4000
    start = torch.full((n, 1), m, dtype=torch.float64)
    fit_only = intermediate.laplace(
        residual, start, bridge_std, fit_steps=2, steps=0, generator=torch.Generator().manual_seed(0)
    )
    assert abs(float(fit_only.mean()) - mean) > 0.4 * sd
    x_s = intermediate.laplace(
        residual, start, bridge_std, fit_steps=2, steps=300, generator=torch.Generator().manual_seed(0)
    )
    assert float(x_s.mean()) == pytest.approx(mean, abs=4 * sd / math.sqrt(n))
    assert float(x_s.std()) == pytest.approx(sd, rel=0.04)


def assert_gaussian_draws(x, mean, covariance):
    """Draws x [n, d] match N(mean, covariance): mean within 4 standard errors, covariance within 0.1 max variance."""
    sd = covariance.diagonal().sqrt()
    assert torch.allclose(x.mean(0), mean, atol=float(4 * sd.max() / math.sqrt(len(x))))
    assert torch.allclose(torch.cov(x.T), covariance, atol=0.1 * float(sd.max()) ** 2)


def test_mgdm_draws_x_s_against_the_likelihood_of_its_denoised_estimate():
    """MGDM's x_s update targets N(y; A D_s(x_s), σ_y²) q(x_s | x̂0, x_t) (docs/method.md#the-x_s-update),
    not N(y; A x_s, σ_y²) q:
    drawn through the sampler's own wiring (pCN, exact in the limit), x_s must follow the exact conditional."""
    problem = gaussian_intermediate_conditional(3, 4000)
    sampler = make_sampler("mgdm", "gmm", intermediate_update="pcn")
    x_s = sampler._draw_intermediate(
        problem.prior,
        forward_model(problem.prior, problem.operator),
        problem.likelihood,
        problem.x0,
        problem.x_t,
        problem.s,
        problem.t,
        steps=100,
        lr=0.0,
        generator=torch.Generator().manual_seed(0),
    )
    assert_gaussian_draws(x_s, problem.mean, torch.linalg.inv(problem.precision))


def test_denoising_chain_samples_the_prior_posterior():
    """x̂0 | x_s with the full chain (M = s + 1): mean E[x_0 | x_s] and variance Var(x_0 | x_s)."""
    prior = ma.priors.GaussianMixture([1.0], [[1.0]], [[[0.8]]])
    sampler = make_sampler("mgdm", "gmm", denoising_steps=1000)
    s, n = 60, 20000
    x_s = torch.full((n, 1), 0.4, dtype=torch.float64)
    x0 = sampler._denoise(prior, x_s, s, torch.Generator().manual_seed(0))
    alpha_bar = prior.alpha_bar(s)
    posterior_var = 1 / (1 / 0.8 + alpha_bar / (1 - alpha_bar))
    posterior_mean = posterior_var * (1.0 / 0.8 + math.sqrt(alpha_bar) * 0.4 / (1 - alpha_bar))
    assert float(x0.mean()) == pytest.approx(posterior_mean, abs=4 * math.sqrt(posterior_var / n))
    assert float(x0.var()) == pytest.approx(posterior_var, rel=0.1)


def test_dps_without_guidance_samples_the_prior():
    """ζ = 0 leaves DPS's ancestral DDPM chain: its output must follow the prior."""
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=4)
    x = ma.sample(prior, operator, y, sigma_y=0.5, sampler="dps", num_samples=6000, seed=0, zeta=0.0, steps=200)
    sd = prior.covariances[0].diagonal().sqrt()
    assert torch.allclose(x.mean(0), prior.means[0], atol=float(4 * sd.max() / math.sqrt(6000)))
    assert torch.allclose(torch.cov(x.T), prior.covariances[0], atol=0.08 * float(sd.max()) ** 2)


def test_dps_first_step_descends_the_residual_norm_by_its_closed_form_gradient():
    """K = 2: DPS makes one step, x = D_T(x_T) − ζ ∇ₓ ‖y − A D_T(x)‖ at x_T. For a Gaussian prior D_T(x) = μ +
    G (x − sqrt(ᾱ) μ), so ∇ = −Gᵀ Aᵀ r / ‖r‖ with r = y − A D_T(x_T): the guided output minus the unguided one
    (same seed, so the same x_T) is ζ Gᵀ Aᵀ r / ‖r‖, a step that lowers every sample's residual."""
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=4)
    zeta = 3.0
    kwargs = dict(sigma_y=0.5, sampler="dps", num_samples=6, seed=0, steps=2)
    unguided = ma.sample(prior, operator, y, zeta=0.0, **kwargs)
    guided = ma.sample(prior, operator, y, zeta=zeta, **kwargs)
    residual = y - unguided @ operator.matrix.T  # [6, 1]
    expected = (
        zeta * residual @ operator.matrix @ denoiser_gain(prior, prior.grid(2)[-1]) / residual.norm(dim=1, keepdim=True)
    )
    assert torch.allclose(guided - unguided, expected, rtol=1e-9, atol=0)
    assert ((y - guided @ operator.matrix.T).norm(dim=1) < residual.norm(dim=1)).all()


def test_mgdm_recovers_a_gaussian_posterior_far_from_its_prior():
    """MGDM (pixel-image preset, R = 2) on a single Gaussian whose posterior standard deviations are 2.2 to 4.8
    times smaller than the prior's on every axis, so the tolerances below separate the two.

    MGDM is an approximate sampler (its surrogate likelihood g(y | D_s(x_s)) ignores the denoiser's
    uncertainty), so the tolerances are those measured on this kind of problem, with margin: posterior mean
    within 0.35 posterior standard deviations, standard deviations within 25 % (measured: 0.27 and 13 %), and
    much closer to the posterior than the prior is.
    """
    prior, operator, y, posterior = gaussian_problem(3, 3, 0.3, seed=5)
    x = ma.sample(prior, operator, y, sigma_y=0.3, num_samples=1500, seed=0, preset="image_pixel", gibbs_reps=2)
    sd = posterior.covariances[0].diagonal().sqrt()
    assert (prior.covariances[0].diagonal().sqrt() / sd).min() > 2  # the test can tell posterior from prior
    assert float(((x.mean(0) - posterior.means[0]) / sd).abs().max()) < 0.35
    assert torch.allclose(x.std(0) / sd, torch.ones(3, dtype=torch.float64), atol=0.25)
    exact = posterior.sample(1500, torch.Generator().manual_seed(1))
    projections = torch.Generator().manual_seed(2)
    distance = ma.metrics.sliced_wasserstein(x, exact, generator=projections)
    prior_distance = ma.metrics.sliced_wasserstein(
        prior.sample(1500, torch.Generator().manual_seed(3)), exact, generator=projections
    )
    assert distance < 0.25 * prior_distance


class NumpyMatrix(ma.operators.Operator):
    """y = A x computed in NumPy: a black-box forward model that no gradient passes through."""

    def __init__(self, matrix):
        super().__init__()
        self.matrix = matrix.numpy()

    def forward(self, x):
        return torch.from_numpy(x.detach().numpy() @ self.matrix.T)


def test_mgdm_with_pcn_needs_no_gradients():
    """The pCN x_s update through a non-differentiable forward model, on the problem above: no
    forward+backward calls, and posterior moments as close as the variational update's (measured: mean
    within 0.31 posterior standard deviations, standard deviations within 10 %)."""
    prior, operator, y, posterior = gaussian_problem(3, 2, 0.3, seed=5)
    result = ma.sample(
        prior,
        NumpyMatrix(operator.matrix),
        y,
        sigma_y=0.3,
        num_samples=1500,
        seed=0,
        preset="gmm",
        intermediate_update="pcn",
        metropolis_steps=20,
        return_result=True,
    )
    x, sd = result.samples, posterior.covariances[0].diagonal().sqrt()
    assert result.calls.forward_backward == 0
    assert float(((x.mean(0) - posterior.means[0]) / sd).abs().max()) < 0.35
    assert torch.allclose(x.std(0) / sd, torch.ones(3, dtype=torch.float64), atol=0.25)


def bridge_variance(prior, s, t):
    """Var(x_s | x_0, x_t) of the DDPM forward process, (1 − ᾱ_s)(1 − ᾱ_t / ᾱ_s) / (1 − ᾱ_t), written out here."""
    a_s, a_t = prior.alpha_bar(s), prior.alpha_bar(t)
    return (1 - a_s) * (1 - a_t / a_s) / (1 - a_t)


def test_auto_rule_picks_laplace_exactly_where_the_likelihood_is_sharp_against_the_bridge():
    """ "auto": laplace iff ρ_s = σ² ᾱ_s ‖A‖² / σ_y² > the threshold (σ² the bridge variance), else pcn; other
    settings pass through. ‖A‖² by hand so that ρ_s = 0.9 and 1.1 × the threshold."""
    prior = ma.priors.GaussianMixture([1.0], [[0.0]], [[[1.0]]])
    s, t, sigma_y = 300, 310, 0.5
    unit = bridge_variance(prior, s, t) * prior.alpha_bar(s) / sigma_y**2  # ρ_s per unit of ‖A‖²
    for threshold in (1.0, 4.0):
        sampler = make_sampler("mgdm", "gmm", intermediate_update="auto", sharpness_threshold=threshold)
        assert sampler.choose_update(prior, s, t, 0.9 * threshold / unit, sigma_y) == "pcn"
        assert sampler.choose_update(prior, s, t, 1.1 * threshold / unit, sigma_y) == "laplace"
    for update in ("pcn", "variational", "laplace"):
        assert make_sampler("mgdm", "gmm", intermediate_update=update).choose_update(prior, s, t, 1e9, 0.01) == update


def test_squared_operator_norm_is_the_largest_squared_singular_value():
    matrix = torch.randn(4, 80, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    operator = ma.operators.Linear(matrix)
    estimate = squared_operator_norm(operator, torch.zeros(1, 80, dtype=torch.float64))
    assert estimate == pytest.approx(float(torch.linalg.matrix_norm(matrix, 2)) ** 2, rel=1e-6)


def sharpness(prior, grid, norm_squared, sigma_y):
    """ρ_s = σ² ᾱ_s ‖A‖² / σ_y² at each outer step of ``grid`` (s = t_prev), written out here."""
    return [
        bridge_variance(prior, grid[p - 1], grid[p]) * prior.alpha_bar(grid[p - 1]) * norm_squared / sigma_y**2
        for p in range(len(grid) - 2, 1, -1)
    ]


def test_auto_rule_is_pcn_on_an_uninformative_observation_and_fits_on_a_sharp_one():
    """‖A‖ = 1 and σ_y = 0.5 (the MCGdiff construction's scale): ρ_s < 1 at every step of a 20-point grid, so
    "auto" (threshold 1) must give pcn's samples bit for bit; on the gmm preset's own grid ρ_s <= 0.11, below its
    threshold. σ_y = 0.2: laplace must run at exactly the outer steps where the hand-computed ρ_s exceeds 1,
    each with fit_steps × d_y backward passes."""
    prior, operator, y, _ = gaussian_problem(3, 2, 0.5, seed=5)
    preset = make_sampler("mgdm", "gmm").settings
    assert max(sharpness(prior, prior.grid(preset.steps), 1.0, 0.5)) < preset.sharpness_threshold  # 0.11 < 0.2
    small = ma.operators.Linear(operator.matrix / torch.linalg.matrix_norm(operator.matrix, 2))
    kwargs = dict(num_samples=64, seed=0, preset="gmm", steps=20, sharpness_threshold=1.0, return_result=True)
    assert max(sharpness(prior, prior.grid(20), 1.0, 0.5)) < 1
    auto = ma.sample(prior, small, y, sigma_y=0.5, intermediate_update="auto", **kwargs)
    assert torch.equal(
        auto.samples, ma.sample(prior, small, y, sigma_y=0.5, intermediate_update="pcn", **kwargs).samples
    )
    assert auto.calls.forward_backward == 0
    sharp = ma.sample(prior, operator, y, sigma_y=0.2, intermediate_update="auto", **kwargs)
    norm_squared = float(torch.linalg.matrix_norm(operator.matrix, 2)) ** 2
    sharp_steps = sum(rho > 1 for rho in sharpness(prior, prior.grid(20), norm_squared, 0.2))
    assert 0 < sharp_steps < 17  # 10 of 17
    assert sharp.calls.forward_backward == sharp_steps * 2 * len(y)


@pytest.mark.parametrize("sampler", ["mgdm", "dps"])
def test_same_seed_same_samples(sampler):
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=6)
    kwargs = dict(sigma_y=0.5, sampler=sampler, num_samples=8, steps=12)
    first = ma.sample(prior, operator, y, seed=11, **kwargs)
    assert torch.equal(first, ma.sample(prior, operator, y, seed=11, **kwargs))
    assert not torch.equal(first, ma.sample(prior, operator, y, seed=12, **kwargs))


@pytest.mark.parametrize("preset, forward_backward", [("image_pixel", 890), ("image_latent", 869), ("audio", 1020)])
def test_published_presets_cost_what_the_paper_says(preset, forward_backward):
    """Gradient calls are set by the presets' schedules; forward calls with the deterministic rule
    are 1 + (K − 3) · R · (min(M, t_prev + 1) − 1) (audio ≈ 1,430, images ≈ 1,830:
    docs/method.md#published-settings)."""
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=7)
    result = ma.sample(
        prior,
        operator,
        y,
        sigma_y=0.5,
        preset=preset,
        num_samples=1,
        seed=0,
        return_result=True,
        index_rule="deterministic",
    )
    settings = result.settings
    grid = prior.grid(settings["steps"])
    expected_forward = 1 + sum(
        settings["gibbs_reps"] * (min(settings["denoising_steps"], grid[i - 1] + 1) - 1)
        for i in range(len(grid) - 2, 1, -1)
    )
    assert result.calls.forward_backward == forward_backward
    assert result.calls.forward == expected_forward
    assert abs(expected_forward - {"image_pixel": 1830, "image_latent": 1830, "audio": 1430}[preset]) < 25


def test_trace_keeps_one_estimate_per_outer_step():
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=8)
    result = ma.sample(prior, operator, y, sigma_y=0.5, num_samples=3, seed=0, steps=10, trace=True, return_result=True)
    assert len(result.trace) == 10 - 2 and result.trace[-1].shape == (3, 2)
    assert torch.equal(result.trace[-1], result.samples)
    assert result.settings["seed"] == 0 and result.settings["steps"] == 10


def test_progress_is_called_once_per_outer_step():
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=8)
    calls = []
    result = ma.sample(
        prior,
        operator,
        y,
        sigma_y=0.5,
        seed=0,
        steps=10,
        trace=True,
        return_result=True,
        progress=lambda: calls.append(1),
    )
    assert len(calls) == len(result.trace) == 10 - 2
    assert make_sampler("mgdm", "gmm", steps=10).outer_steps() == 10
    assert make_sampler("pnpdm", "gmm", iterations=7).outer_steps() == 7


#: Every preset file the package ships, by name: the core's and the plug-ins' ``presets/`` folders.
PRESET_FILES = {path.stem: path for path in Path(ma.__file__).parent.glob("**/presets/*.toml")}


def test_preset_names_are_the_shipped_files():
    assert preset_names() == sorted(PRESET_FILES) and len(PRESET_FILES) == 5


@pytest.mark.parametrize("preset", preset_names())
def test_every_shipped_preset_builds_with_the_values_its_file_holds(preset):
    """Each table of ``presets/<preset>.toml``, read here with tomllib, builds its sampler with exactly those
    values; per-step expressions give, at every outer step k of K = steps, what Python itself evaluates."""
    with open(PRESET_FILES[preset], "rb") as handle:
        tables = tomllib.load(handle)
    assert {"mgdm", "dps"} <= set(tables)
    for sampler, table in tables.items():
        settings = make_sampler(sampler, preset).settings
        for name, value in table.items():
            built = getattr(settings, name)
            if isinstance(value, str) and hasattr(built, "spec"):
                steps = table["steps"]
                assert [built(k, steps) for k in range(steps)] == [
                    eval(value, {"__builtins__": {}}, {"k": k, "K": steps}) for k in range(steps)
                ], (sampler, name)
            else:
                assert getattr(built, "spec", built) == value, (preset, sampler, name)


def test_samplers_build_from_settings_with_working_defaults_and_presets_on_top(tmp_path):
    """Every sampler builds with no preset (its published defaults) and runs; ``from_preset`` is the preset's
    table over those defaults (what ``make_sampler`` builds); settings and single overrides combine."""
    from mgdm_audio.core.samplers import MGDM, MGDMSettings, sampler_class, sampler_names

    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=3)
    for name in sampler_names():
        sampler = sampler_class(name)()
        assert sampler.preset is None and isinstance(sampler.settings, sampler.Settings)
    assert MGDM().settings.steps == 100 and MGDM().settings.lr(0, 100) == 0.01 and MGDM().settings.lr(11, 100) == 0.03
    custom = MGDM(MGDMSettings(steps=6, gibbs_reps=2), denoising_steps=3)
    assert (custom.settings.steps, custom.settings.gibbs_reps, custom.settings.denoising_steps) == (6, 2, 3)
    result = ma.sample(prior, operator, y, sigma_y=0.5, sampler=custom, num_samples=3, seed=0, return_result=True)
    assert result.samples.shape == (3, 2) and result.settings["preset"] is None
    preset = MGDM.from_preset("gmm", steps=8)
    assert preset.preset == "gmm" and preset.settings_dict() == make_sampler("mgdm", "gmm", steps=8).settings_dict()
    assert preset.settings.intermediate_update == "auto" and MGDM().settings.intermediate_update == "variational"
    with pytest.raises(ValueError, match="unknown mgdm setting"):
        MGDM(gibs_reps=2)
    with pytest.raises(TypeError, match="mgdm takes MGDMSettings"):
        MGDM(sampler_class("dps").Settings())
    with pytest.raises(ValueError, match="MGDM needs steps >= 4"):
        MGDM(steps=3)


def test_bad_arguments_raise_clear_errors():
    prior, operator, y, _ = gaussian_problem(3, 2, 0.5, seed=9)
    with pytest.raises(ValueError, match=r"observation y has shape \(3,\).*\(2,\)"):
        ma.sample(prior, operator, torch.zeros(3), sigma_y=0.5)
    with pytest.raises(ValueError, match="sigma_y must be > 0"):
        ma.sample(prior, operator, y, sigma_y=0.0)
    with pytest.raises(ValueError, match="unknown sampler 'ddrm'"):
        ma.sample(prior, operator, y, sigma_y=0.5, sampler="ddrm")
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        ma.sample(prior, operator, y, sigma_y=0.5, preset="nope")
    with pytest.raises(ValueError, match="unknown mgdm setting"):
        ma.sample(prior, operator, y, sigma_y=0.5, gibs_reps=2)
    with pytest.raises(ValueError, match="num_samples must be >= 1"):
        ma.sample(prior, operator, y, sigma_y=0.5, num_samples=0)
    with pytest.raises(ValueError, match="unknown index rule"):
        ma.sample(prior, operator, y, sigma_y=0.5, index_rule="random")
    with pytest.raises(ValueError, match="unknown intermediate_update 'langevin'"):
        ma.sample(prior, operator, y, sigma_y=0.5, intermediate_update="langevin")
    with pytest.raises(ValueError, match="NaN"):
        ma.sample(prior, operator, torch.tensor([0.0, float("nan")]), sigma_y=0.5)


def test_a_built_sampler_and_one_observation_per_sample_go_through_the_same_entry():
    """``ma.sample`` with a sampler built once (as separation and restoration pass it) draws what the sampler's
    name draws; y repeated once per sample gives the same draws as y itself; a built sampler takes no settings."""
    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=4)
    by_name = ma.sample(prior, operator, y, sigma_y=0.5, num_samples=3, seed=5, preset="gmm", steps=12)
    runner = make_sampler("mgdm", "gmm", steps=12)
    assert torch.equal(ma.sample(prior, operator, y, sigma_y=0.5, sampler=runner, num_samples=3, seed=5), by_name)
    rows = y.expand(3, *y.shape)
    assert torch.equal(ma.sample(prior, operator, rows, sigma_y=0.5, sampler=runner, num_samples=3, seed=5), by_name)
    with pytest.raises(ValueError, match="a built sampler has its preset and settings"):
        ma.sample(prior, operator, y, sigma_y=0.5, sampler=runner, steps=5)
    with pytest.raises(ValueError, match=r"observation y has shape \(2, 1\)"):
        ma.sample(prior, operator, y.expand(2, *y.shape), sigma_y=0.5, sampler=runner, num_samples=3)


def _first_outer_step(monkeypatch, eta, num_samples, seed=0):
    """MGDM's first outer step on a 2-d Gaussian problem: (x_next, x̂0, x_t, t, t_next), x_t as it enters the first
    x_s update (the sampler is stopped there)."""
    from mgdm_audio.core.samplers import start as start_module
    from mgdm_audio.core.samplers.mgdm import MGDM

    prior, operator, y, _ = gaussian_problem(2, 1, 0.5, seed=3)
    seen = {}
    original_state = start_module.ColdStart.state

    def state(self, *args, **kwargs):
        seen["x_next"] = original_state(self, *args, **kwargs)
        return seen["x_next"]

    class Stop(Exception):
        pass

    def draw_intermediate(self, prior, observe, likelihood, x0, x_t, s, t, *rest, **kwargs):
        seen.update(x0=x0, x_t=x_t, t=t)
        raise Stop

    monkeypatch.setattr(start_module.ColdStart, "state", state)
    monkeypatch.setattr(MGDM, "_draw_intermediate", draw_intermediate)
    with pytest.raises(Stop):
        ma.sample(prior, operator, y, sigma_y=0.5, num_samples=num_samples, seed=seed, steps=10, eta=eta)
    grid = start_module.COLD.grid(prior, 10)
    assert seen["t"] == grid[-2]
    return prior, seen["x_next"], seen["x0"], seen["x_t"], grid[-2], grid[-1]


@pytest.mark.parametrize("eta", [0.0, 0.5])
def test_mgdm_draws_x_t_from_the_bridge_with_its_eta(monkeypatch, eta):
    """x_t ~ q(x_t | x̂0, x_{t_next}) with the DDIM-style η: mean c_u x_next + c_0 x̂0 and standard deviation
    η · sqrt((1 − ᾱ_u/ᾱ_t)(1 − ᾱ_t) / (1 − ᾱ_u)), c_u = sqrt((1 − ᾱ_t − std²) / (1 − ᾱ_u)), c_0 = sqrt(ᾱ_t) − c_u
    sqrt(ᾱ_u) (docs/method.md#gaussian-bridge, s = 0), worked out here from the table. η = 0 is deterministic."""
    prior, x_next, x0, x_t, t, upper = _first_outer_step(monkeypatch, eta, num_samples=4000)
    a_t, a_u = float(prior.alphas_cumprod[t]), float(prior.alphas_cumprod[upper])
    std = eta * math.sqrt((1 - a_u / a_t) * (1 - a_t) / (1 - a_u))
    c_u = math.sqrt((1 - a_t - std**2) / (1 - a_u))
    mean = c_u * x_next + (math.sqrt(a_t) - c_u * math.sqrt(a_u)) * x0
    residual = (x_t - mean).double()
    if eta == 0.0:
        assert float(residual.abs().max()) < 1e-6
    else:
        assert float(residual.std()) == pytest.approx(std, rel=0.05) and abs(float(residual.mean())) < 0.1 * std


def test_index_rules_draw_each_step_as_documented():
    """On a grid of outer steps: "mix" draws s uniformly from {min_index, …, t_prev − 1} while k < mix_threshold
    (the draws a fresh generator with the same seed makes) and is t_prev from k = mix_threshold on; "uniform" keeps
    drawing; "deterministic" is t_prev; "midpoint" t // 2; a low t_prev narrows or ends the draw."""
    from mgdm_audio.core.samplers.index_rules import choose_index

    steps = [(k, 100 - 10 * k, 90 - 10 * k) for k in range(6)]  # (k, t, t_prev)
    generator, replay = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    drawn = [choose_index("mix", k, t, t_prev, 20, 3, generator) for k, t, t_prev in steps]
    expected = [int(torch.randint(20, t_prev, (1,), generator=replay)) for k, t, t_prev in steps[:3]]
    assert drawn == expected + [t_prev for _, _, t_prev in steps[3:]]
    assert all(20 <= s < t_prev for s, (_, _, t_prev) in zip(drawn[:3], steps))
    generator, replay = torch.Generator().manual_seed(6), torch.Generator().manual_seed(6)
    uniform = [choose_index("uniform", k, t, t_prev, 20, 3, generator) for k, t, t_prev in steps]
    assert uniform == [int(torch.randint(20, t_prev, (1,), generator=replay)) for _, _, t_prev in steps]
    assert [choose_index("deterministic", k, t, t_prev, 20, 3, None) for k, t, t_prev in steps] == [
        90,
        80,
        70,
        60,
        50,
        40,
    ]
    assert [choose_index("midpoint", k, t, t_prev, 20, 3, None) for k, t, t_prev in steps] == [50, 45, 40, 35, 30, 25]
    assert choose_index("uniform", 0, 12, 6, 20, 3, torch.Generator().manual_seed(0)) in range(5, 6)  # t_prev − 1 < min
    assert choose_index("mix", 0, 2, 1, 20, 3, torch.Generator().manual_seed(0)) == 1  # nothing to draw below t_prev
