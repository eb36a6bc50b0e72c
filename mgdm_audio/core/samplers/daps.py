"""DAPS: decoupled annealing posterior sampling (Zhang et al., 2024).

On a decreasing grid of noise levels, each step decouples x_{t'} from x_t through a clean sample:

    x̂0 = the prior's probability-flow ODE from x_t to 0 (``ode_steps`` grid points; 2: one denoiser call)
    x_0 ~ N(x_0; x̂0, r_t² I) N(y; A x_0, σ_y² I)
    x_{t'} = sqrt(ᾱ_{t'}) x_0 + sqrt(1 − ᾱ_{t'}) ε

The paper draws x_0 by Langevin steps; with a linear A and a Gaussian likelihood that conditional is
Gaussian, so it is drawn exactly here (perturb, then solve by conjugate gradients). r_t: the paper's VE
level σ_t = sqrt((1 − ᾱ_t) / ᾱ_t) ("ve"), or sqrt(1 − ᾱ_t) ("vp"), the exact std of x_0 | x_t for a prior
with identity covariance: with it and one-call estimates, every step is an exact posterior draw for such a
prior. ``ode_steps`` − 1 denoiser calls, none with gradient, per step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..likelihoods import GaussianLikelihood
from ..noise import standard_normal_like
from ..operators.base import LinearOperator, Operator
from ..priors.base import Prior
from .base import ConjugateGradientSettings, Sampler
from .linear_steps import denoising_chain, require_linear_pixel, sample_data_step
from .start import ColdStart

#: How r_t follows the noise level (see the module docstring).
POSTERIOR_STDS = ("ve", "vp")


@dataclass
class DAPSSettings(ConjugateGradientSettings):
    """steps: annealing grid points K (K − 1 steps). ode_steps: grid points of each step's ODE estimate x̂0
    (2: the one-call estimate D_t(x_t)). posterior_std: "ve" (r_t = σ_t, the paper's) or "vp"
    (r_t = sqrt(1 − ᾱ_t)). cg_iterations / cg_tolerance: conjugate gradients of the x_0 draw.
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I)."""

    steps: int = 200
    ode_steps: int = 5
    posterior_std: str = "ve"
    scale_initial_noise: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.steps < 2 or self.ode_steps < 2:
            raise ValueError(f"DAPS needs steps >= 2 and ode_steps >= 2, got {self.steps} and {self.ode_steps}")
        if self.posterior_std not in POSTERIOR_STDS:
            raise ValueError(f"posterior_std must be one of {POSTERIOR_STDS}, got {self.posterior_std!r}")


class DAPS(Sampler):
    """Annealed x_t → x̂0 → x_0 | y → x_{t'} steps (linear A, pixel-space priors)."""

    name = "daps"
    Settings = DAPSSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        require_linear_pixel("DAPS", prior, operator)

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
        grid = start.grid(prior, settings.steps)
        x = start.state(prior, num_samples, grid[-1], generator, settings.scale_initial_noise)
        with torch.no_grad():
            for position in range(len(grid) - 1, 0, -1):
                t, t_prev = grid[position], grid[position - 1]
                alpha_bar = prior.alpha_bar(t)
                x0 = denoising_chain(prior, x, t, settings.ode_steps, 0.0, generator)
                r2 = (1.0 - alpha_bar) / (alpha_bar if settings.posterior_std == "ve" else 1.0)
                x0 = sample_data_step(
                    operator, likelihood, x0, r2, generator, settings.cg_iterations, settings.cg_tolerance
                )
                record(x0)
                alpha_bar_prev = prior.alpha_bar(t_prev)
                x = math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1.0 - alpha_bar_prev) * standard_normal_like(
                    x0, generator
                )
        return x0
