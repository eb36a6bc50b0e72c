"""PnP-DM: plug-and-play diffusion priors by split Gibbs sampling (Wu, Sun, Chen, Zhang, Yue & Bouman,
NeurIPS 2024).

The target p_0(x) N(z; x, ρ² I) N(y; A z, σ_y² I) is sampled by alternating

    z ~ N(z; x, ρ_k² I) N(y; A z, σ_y² I)        (likelihood step: Gaussian, drawn exactly)
    x ~ p_0(x | z observed at VE level ρ_k)      (prior step: the prior's DDPM chain from x_t = sqrt(ᾱ) z,
                                                  ᾱ = 1 / (1 + ρ_k²), down to 0)

with ρ_k annealed geometrically from ``rho_start`` to ``rho_end`` over the iterations; the x-marginal at a
fixed ρ is p_0(x) N(y; A x, σ_y² I + ρ² AAᵀ), the posterior as ρ → 0. Each prior step costs
min(``denoising_steps``, t + 1) − 1 denoiser calls (t: the table index of ρ_k), none with gradient.
A warm start begins at x = the estimate with ρ capped at its level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..likelihoods import GaussianLikelihood
from ..noise import standard_normal
from ..operators.base import LinearOperator, Operator
from ..priors.base import Prior
from ..schedules import sigmas_from_table
from .base import ConjugateGradientSettings, Sampler
from .linear_steps import denoising_chain, require_linear_pixel, sample_data_step
from .start import ColdStart


@dataclass
class PnPDMSettings(ConjugateGradientSettings):
    """iterations: Gibbs sweeps (z then x). rho_start / rho_end: ρ of the first and last sweep (VE levels,
    data units; geometric in between). denoising_steps: the most grid points of each prior step's DDPM chain.
    cg_iterations / cg_tolerance: conjugate gradients of the likelihood step."""

    iterations: int = 100
    rho_start: float = 10.0
    rho_end: float = 0.1
    denoising_steps: int = 20

    def __post_init__(self):
        super().__post_init__()
        if self.iterations < 1 or self.denoising_steps < 2:
            raise ValueError("PnP-DM needs iterations >= 1 and denoising_steps >= 2")
        if not 0 < self.rho_end <= self.rho_start:
            raise ValueError(f"need 0 < rho_end <= rho_start, got {self.rho_end} and {self.rho_start}")


class PnPDM(Sampler):
    """Split Gibbs sampling with an exact likelihood step and a diffusion denoising-posterior step."""

    name = "pnpdm"
    Settings = PnPDMSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        require_linear_pixel("PnP-DM", prior, operator)

    def _run(
        self,
        prior: Prior,
        operator: LinearOperator,
        likelihood: GaussianLikelihood,
        num_samples: int,
        generator: torch.Generator | None,
        record: Callable[[torch.Tensor], None],
        start: ColdStart,
    ) -> torch.Tensor:
        settings = self.settings
        sigmas = sigmas_from_table(prior.alphas_cumprod)
        rho_start = start.sigma_max(settings.rho_start)
        rho_end = min(settings.rho_end, rho_start)
        x = standard_normal((num_samples, *prior.event_shape), generator, prior.dtype, prior.device)
        estimate = start.estimate_like(x)
        if estimate is not None:
            x = estimate
        ratio = (rho_end / rho_start) ** (1.0 / max(settings.iterations - 1, 1))
        with torch.no_grad():
            for k in range(settings.iterations):
                rho = rho_start * ratio**k
                z = sample_data_step(
                    operator, likelihood, x, rho**2, generator, settings.cg_iterations, settings.cg_tolerance
                )
                # The table index whose σ is nearest ρ (at least 1): z is x_0 seen at that level.
                index = max(1, min(int(torch.argmin((sigmas - rho).abs())), prior.num_levels))
                x_t = prior.alpha_bar(index) ** 0.5 * z
                x = denoising_chain(prior, x_t, index, settings.denoising_steps, 1.0, generator)
                record(x)
        return x
