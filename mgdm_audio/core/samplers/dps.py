"""DPS: diffusion posterior sampling (Chung et al., ICLR 2023; docs/method.md#baselines)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..bridge import bridge
from ..likelihoods import GaussianLikelihood
from ..operators.base import Operator
from ..priors.base import Prior
from .base import Sampler, check_steps, forward_model
from .start import ColdStart


@dataclass
class DPSSettings:
    """steps: grid points K (K − 1 denoiser calls with gradient). zeta: step size ζ of the
    guidance x ← x − ζ ∇ₓ ‖y − A(D(x))‖. eta: η of the ancestral step (1: DDPM).
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I)."""

    steps: int = 1000
    zeta: float = 1.0
    eta: float = 1.0
    scale_initial_noise: bool = False

    def __post_init__(self):
        check_steps("DPS", self.steps)
        if not self.zeta >= 0:
            raise ValueError(f"zeta must be >= 0, got {self.zeta}")


class DPS(Sampler):
    """Ancestral steps on the prior, each followed by a gradient step on ‖y − A(D_t(x_t))‖ (the norm, not squared)."""

    name = "dps"
    Settings = DPSSettings

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
        observe = forward_model(prior, operator)
        grid = start.grid(prior, settings.steps)
        x = start.state(prior, num_samples, grid[-1], generator, settings.scale_initial_noise)
        for position in range(len(grid) - 1, 0, -1):
            t, t_prev = grid[position], grid[position - 1]
            x = x.detach().requires_grad_(True)
            with torch.enable_grad():
                x0 = prior.x0(x, t)
                distance = likelihood.residual_norm(observe(x0)).sum()
                (gradient,) = torch.autograd.grad(distance, x)
            with torch.no_grad():
                x0 = x0.detach()
                step = (
                    x0
                    if t_prev == 0
                    else bridge(prior.alphas_cumprod, 0, t_prev, t, settings.eta).sample(x0, x.detach(), generator)
                )
                x = step - settings.zeta * gradient
            record(x0)
        return x.detach()
