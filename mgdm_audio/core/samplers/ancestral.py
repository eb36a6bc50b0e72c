"""Unconditional sampling from a prior: the DDPM (η = 1) / DDIM (η = 0) ancestral chain."""

from __future__ import annotations

import torch
from tqdm import tqdm

from ..bridge import bridge
from ..priors.base import Prior
from .start import COLD


def sample_prior(
    prior: Prior,
    num_samples: int,
    steps: int,
    generator: torch.Generator | None = None,
    eta: float = 1.0,
    progress: bool = False,
) -> torch.Tensor:
    """``num_samples`` draws of p_0 [num_samples, *event_shape] (decoded for latent priors).

    On the grid t_0 = 0 < t_1 < … < t_{K−1} = ``prior.grid(steps)``: x ~ N(0, (1 − ᾱ) I) at the top
    (the noise part of the top marginal; its data part ᾱ·x_0 is negligible there), then for each
    grid point x ← bridge(t_prev | 0, t; x̂0 = D_t(x), x) with parameter ``eta``; the last step
    returns the clean estimate D_{t_1}(x). K − 1 denoiser calls. Noise is drawn from ``generator``
    (on its device), so a seed gives the same samples on every device.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    grid = prior.grid(steps)
    with torch.no_grad():
        x = COLD.state(prior, num_samples, grid[-1], generator, scale=True)
        for position in tqdm(range(len(grid) - 1, 0, -1), desc="sampling", unit="step", disable=not progress):
            t, t_prev = grid[position], grid[position - 1]
            x0 = prior.x0(x, t)
            x = x0 if t_prev == 0 else bridge(prior.alphas_cumprod, 0, t_prev, t, eta).sample(x0, x, generator)
        return prior.decode(x)
