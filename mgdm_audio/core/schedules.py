"""Noise schedules in the variance-preserving (VP) view, and the sampler's time grid.

Every prior exposes a table ``alphas_cumprod`` of N + 1 entries (float64): index 0 is clean data
(ᾱ = 1) and index N the noisiest level, so that q(x_i | x_0) = N(sqrt(ᾱ_i) x_0, (1 − ᾱ_i) I).
"""

from __future__ import annotations

import torch

#: Smallest ᾱ kept in a table, so that sqrt(ᾱ) and 1/sqrt(ᾱ) stay finite.
MIN_ALPHA_BAR = 1e-6


def table_from_alphas(alphas: torch.Tensor) -> torch.Tensor:
    """ᾱ table [N + 1] from per-step α_1..α_N [N]: 1 prepended, then cumulative products."""
    alphas = torch.as_tensor(alphas, dtype=torch.float64)
    return _finish(torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(alphas, 0)]))


def table_from_alphas_cumprod(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """ᾱ table [N + 1] from a diffusers scheduler's ``alphas_cumprod`` [N].

    Convention: table index i ≥ 1 is the level after i noising steps, i.e. the network's
    (diffusers) timestep argument is ``i − 1``.
    """
    alphas_cumprod = torch.as_tensor(alphas_cumprod, dtype=torch.float64)
    return _finish(torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod]))


def linear_beta_table(num_levels: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """The DDPM linear-β schedule as an ᾱ table [num_levels + 1]."""
    betas = torch.linspace(beta_start, beta_end, num_levels, dtype=torch.float64)
    return table_from_alphas(1.0 - betas)


def gmm_benchmark_table(num_levels: int = 1000) -> torch.Tensor:
    """The Gaussian-mixture benchmark's table: ᾱ = cumprod(linspace(0.9999, 0.98, N))
    (docs/method.md#gaussian-mixture-benchmark)."""
    return table_from_alphas(torch.linspace(0.9999, 0.98, num_levels, dtype=torch.float64))


def karras_sigmas(num_levels: int, sigma_min: float, sigma_max: float, rho: float) -> torch.Tensor:
    """Karras et al. (2022) noise levels [num_levels], increasing from sigma_min to sigma_max."""
    ramp = torch.linspace(0.0, 1.0, num_levels, dtype=torch.float64)
    inv_rho = 1.0 / rho
    return (sigma_min**inv_rho + ramp * (sigma_max**inv_rho - sigma_min**inv_rho)) ** rho


def table_from_sigmas(sigmas: torch.Tensor) -> torch.Tensor:
    """ᾱ table [N + 1] of a variance-exploding prior with increasing noise levels σ_1..σ_N [N].

    ᾱ = 1 / (1 + σ²): x_VP = sqrt(ᾱ) x_VE (see :mod:`mgdm_audio.core.priors.parametrization`).
    """
    sigmas = torch.as_tensor(sigmas, dtype=torch.float64)
    if (sigmas[1:] < sigmas[:-1]).any():
        raise ValueError("noise levels must be increasing (level 1 the smallest)")
    return _finish(torch.cat([torch.ones(1, dtype=torch.float64), 1.0 / (1.0 + sigmas**2)]))


def sigmas_from_table(alphas_cumprod: torch.Tensor) -> torch.Tensor:
    """VE noise levels σ_i = sqrt((1 − ᾱ_i) / ᾱ_i) of a table [N + 1] (σ_0 = 0)."""
    return torch.sqrt((1.0 - alphas_cumprod) / alphas_cumprod)


def time_grid(num_levels: int, num_steps: int) -> list[int]:
    """The sampler's K table indices: linspace(0, N − 1, K) rounded down, increasing, distinct."""
    if not 2 <= num_steps <= num_levels:
        raise ValueError(f"number of steps must be in [2, {num_levels}], got {num_steps}")
    grid = torch.linspace(0, num_levels - 1, num_steps, dtype=torch.float64).floor().long().tolist()
    return grid


def _finish(table: torch.Tensor) -> torch.Tensor:
    if (table[1:] > table[:-1]).any():
        raise ValueError("ᾱ must not increase with the noise level")
    return table.clamp(min=MIN_ALPHA_BAR)
