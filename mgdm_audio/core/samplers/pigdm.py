"""ΠGDM: pseudoinverse-guided diffusion models (Song, Vahdat, Mardani & Kautz, ICLR 2023).

p(x_0 | x_t) is approximated by N(D_t(x_t), r_t² I) with r_t² = 1 − ᾱ_t, so that
p(y | x_t) ≈ N(y; A D_t(x_t), r_t² AAᵀ + σ_y² I) and its score is the vector-Jacobian product

    g = (∂D_t / ∂x_t)ᵀ Aᵀ (r_t² AAᵀ + σ_y² I)⁻¹ (y − A D_t(x_t)).

By Tweedie's formula the conditional denoiser is then D_t(x_t) + (1 − ᾱ_t) / sqrt(ᾱ_t) · g, and each step
is the DDPM / DDIM bridge from it. (The paper's Algorithm 1 adds sqrt(ᾱ_t) g to x_{t−1} instead, a guidance
weight that grows with the number of steps; ``guidance_scale`` multiplies the Tweedie correction.) For a
Gaussian prior with identity covariance the approximation is exact, and so are the steps as the grid refines.
One denoiser call with a backward pass per step; the solve is by conjugate gradients in y's space.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..bridge import bridge
from ..likelihoods import GaussianLikelihood
from ..operators.base import Operator
from ..priors.base import Prior
from .base import ConjugateGradientSettings, Sampler, check_steps
from .linear_steps import observation, require_linear_pixel, solve_observation_space
from .start import ColdStart


@dataclass
class PiGDMSettings(ConjugateGradientSettings):
    """steps: grid points K (K − 1 denoiser calls with gradient). eta: η of the bridge (1: DDPM, 0: DDIM).
    guidance_scale: weight of the Tweedie correction (1: the approximate posterior's own).
    cg_iterations / cg_tolerance: conjugate gradients of the (r_t² AAᵀ + σ_y² I) solve.
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I)."""

    steps: int = 100
    eta: float = 1.0
    guidance_scale: float = 1.0
    scale_initial_noise: bool = False

    def __post_init__(self):
        super().__post_init__()
        check_steps("ΠGDM", self.steps)
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {self.eta}")
        if not self.guidance_scale >= 0:
            raise ValueError(f"guidance_scale must be >= 0, got {self.guidance_scale}")


class PiGDM(Sampler):
    """Ancestral steps from the ΠGDM-guided clean estimate (linear A, pixel-space priors)."""

    name = "pigdm"
    Settings = PiGDMSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        require_linear_pixel("ΠGDM", prior, operator)

    def _run(
        self,
        prior: Prior,
        operator: Operator,
        likelihood: GaussianLikelihood,
        num_samples: int,
        generator: torch.Generator | None,
        record: Callable[[torch.Tensor], None],
        start: ColdStart,
    ) -> torch.Tensor:
        settings = self.settings
        grid = start.grid(prior, settings.steps)
        x = start.state(prior, num_samples, grid[-1], generator, settings.scale_initial_noise)
        y = observation(likelihood, x)
        for position in range(len(grid) - 1, 0, -1):
            t, t_prev = grid[position], grid[position - 1]
            alpha_bar = prior.alpha_bar(t)
            x = x.detach().requires_grad_(True)
            with torch.enable_grad():
                x0 = prior.x0(x, t)
                with torch.no_grad():
                    weights = operator.adjoint(
                        solve_observation_space(
                            operator,
                            y - operator(x0),
                            1.0 - alpha_bar,
                            likelihood.sigma_y**2,
                            settings.cg_iterations,
                            settings.cg_tolerance,
                        )
                    )
                (score,) = torch.autograd.grad((x0 * weights).sum(), x)
            with torch.no_grad():
                x0 = x0.detach() + settings.guidance_scale * (1.0 - alpha_bar) / math.sqrt(alpha_bar) * score
                record(x0)
                x = (
                    x0
                    if t_prev == 0
                    else bridge(prior.alphas_cumprod, 0, t_prev, t, settings.eta).sample(x0, x.detach(), generator)
                )
        return x.detach()
