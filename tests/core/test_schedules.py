"""Noise tables, the sampler grid, the Gaussian bridge and the prediction conversions."""

import math

import pytest
import torch

from mgdm_audio.core import schedules
from mgdm_audio.core.bridge import bridge
from mgdm_audio.core.priors import parametrization

TABLES = {
    "linear_beta": schedules.linear_beta_table(),
    "gmm": schedules.gmm_benchmark_table(),
    "karras_ve": schedules.table_from_sigmas(schedules.karras_sigmas(1000, 5e-4, 20.0, 3.0)),
}


@pytest.mark.parametrize("name", TABLES)
def test_tables_start_clean_and_decrease(name):
    table = TABLES[name]
    assert table.dtype == torch.float64 and len(table) == 1001
    assert table[0] == 1.0
    assert (table[1:] <= table[:-1]).all() and table[-1] >= schedules.MIN_ALPHA_BAR


def test_diffusers_mapping_index_i_is_timestep_i_minus_1():
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear")
    table = schedules.table_from_alphas_cumprod(scheduler.alphas_cumprod)
    for index in (1, 2, 500, 1000):
        assert math.isclose(float(table[index]), float(scheduler.alphas_cumprod[index - 1]), rel_tol=1e-6)
    assert torch.allclose(table, schedules.linear_beta_table(), rtol=1e-5)


def test_sigma_table_round_trip():
    sigmas = schedules.karras_sigmas(1000, 5e-4, 20.0, 3.0)
    assert math.isclose(float(sigmas[0]), 5e-4, rel_tol=1e-9) and math.isclose(float(sigmas[-1]), 20.0, rel_tol=1e-9)
    table = schedules.table_from_sigmas(sigmas)
    assert torch.allclose(schedules.sigmas_from_table(table)[1:], sigmas, rtol=1e-9)


def test_time_grid_is_floor_of_linspace():
    assert schedules.time_grid(1000, 20)[:4] == [0, 52, 105, 157]
    grid = schedules.time_grid(1000, 1000)
    assert grid == list(range(1000))
    with pytest.raises(ValueError, match="number of steps"):
        schedules.time_grid(1000, 1)


def _triples(generator, count=25):
    for _ in range(count):
        s, t, upper = sorted(torch.randperm(1001, generator=generator)[:3].tolist())
        yield s, t, upper


@pytest.mark.parametrize("name", TABLES)
def test_exact_bridge_is_the_gaussian_conditional(name, generator):
    """η = 1: q(x_t | x_s, x_ℓ) from conditioning the joint Gaussian of (x_t, x_ℓ) given x_s."""
    table = TABLES[name]
    for s, t, upper in _triples(generator):
        a_s, a_t, a_u = (float(table[i]) for i in (s, t, upper))
        var_t, var_u = 1 - a_t / a_s, 1 - a_u / a_s
        cov_tu = math.sqrt(a_u / a_t) * var_t
        expected_upper = cov_tu / var_u
        expected_lower = math.sqrt(a_t / a_s) - expected_upper * math.sqrt(a_u / a_s)
        expected_std = math.sqrt(max(var_t - cov_tu**2 / var_u, 0.0))
        coefficients = bridge(table, s, t, upper)
        assert coefficients.coef_upper == pytest.approx(expected_upper, rel=1e-9, abs=1e-12)
        assert coefficients.coef_lower == pytest.approx(expected_lower, rel=1e-9, abs=1e-12)
        assert coefficients.std == pytest.approx(expected_std, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("eta", [0.0, 0.3, 1.0])
def test_bridge_keeps_the_marginal_for_any_eta(eta, generator):
    """x_ℓ ~ q(·|x_s), then x_t ~ bridge: x_t must have the law q(x_t | x_s) for every η."""
    table = TABLES["linear_beta"]
    for s, t, upper in _triples(generator):
        a_s, a_t, a_u = (float(table[i]) for i in (s, t, upper))
        c = bridge(table, s, t, upper, eta)
        mean_coefficient = c.coef_lower + c.coef_upper * math.sqrt(a_u / a_s)
        variance = c.coef_upper**2 * (1 - a_u / a_s) + c.std**2
        assert mean_coefficient == pytest.approx(math.sqrt(a_t / a_s), rel=1e-9)
        assert variance == pytest.approx(1 - a_t / a_s, rel=1e-7, abs=1e-12)
        # DDIM's interpolation (Song et al., 2021, eq. 16): η scales the exact bridge's standard deviation.
        assert c.std == pytest.approx(eta * bridge(table, s, t, upper).std, rel=1e-12, abs=0)


def test_bridge_rejects_bad_indices():
    with pytest.raises(ValueError, match="s < t < upper"):
        bridge(TABLES["gmm"], 5, 5, 10)


@pytest.mark.parametrize("prediction_type", parametrization.PREDICTION_TYPES)
def test_prediction_conversions_are_consistent(prediction_type, generator):
    alpha_bar = 0.37
    x0 = torch.randn(4, 6, generator=generator, dtype=torch.float64)
    eps = torch.randn(4, 6, generator=generator, dtype=torch.float64)
    x = math.sqrt(alpha_bar) * x0 + math.sqrt(1 - alpha_bar) * eps
    output = {"epsilon": eps, "sample": x0, "v_prediction": math.sqrt(alpha_bar) * eps - math.sqrt(1 - alpha_bar) * x0}[
        prediction_type
    ]
    assert torch.allclose(parametrization.to_x0(prediction_type, output, x, alpha_bar), x0)
    assert torch.allclose(parametrization.to_epsilon(prediction_type, output, x, alpha_bar), eps)


def test_unknown_prediction_type():
    with pytest.raises(ValueError, match="unknown prediction type"):
        parametrization.to_x0("score", torch.zeros(1), torch.zeros(1), 0.5)
