"""DiffPIR: denoising diffusion models for plug-and-play image restoration (Zhu et al., CVPR 2023;
docs/method.md#baselines).

Each step denoises, pulls the clean estimate towards the data by a proximal step, and re-noises it:

    x̂0 = D_t(x_t)
    x̂0 ← argmin_x ‖y − A x‖² + ρ_t ‖x − x̂0‖²,   ρ_t = λ σ_y² / σ̄_t²,  σ̄_t² = (1 − ᾱ_t) / ᾱ_t
    ε̂ = (x_t − sqrt(ᾱ_t) x̂0) / sqrt(1 − ᾱ_t)
    x_{t'} = sqrt(ᾱ_{t'}) x̂0 + sqrt(1 − ᾱ_{t'}) (sqrt(1 − ζ) ε̂ + sqrt(ζ) ε),   ε ~ N(0, I)

The proximal step solves (AᵀA + ρ_t I) x = Aᵀy + ρ_t x̂0 by conjugate gradients started at x̂0, so
any :class:`LinearOperator` with an adjoint works, no SVD needed and no gradient through the
denoiser. Non-linear operators and latent priors (where A ∘ decode is not linear) are refused.
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
from .base import ConjugateGradientSettings, Sampler, check_steps
from .start import ColdStart


@dataclass
class DiffPIRSettings(ConjugateGradientSettings):
    """steps: grid points K (K − 1 denoiser calls, none with gradient). lam: λ, the weight of the
    prior's estimate in ρ_t = λ σ_y² / σ̄_t². zeta: ζ in [0, 1], the share of fresh noise when
    re-noising (0: deterministic, 1: all fresh). cg_iterations / cg_tolerance: the most conjugate-gradient
    iterations of a proximal step, and the relative residual ‖r‖ / ‖b‖ that stops them earlier.
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I)."""

    steps: int = 100
    lam: float = 1.0
    zeta: float = 1.0
    scale_initial_noise: bool = False

    def __post_init__(self):
        super().__post_init__()
        check_steps("DiffPIR", self.steps)
        if not self.lam > 0:
            raise ValueError(f"lam must be > 0, got {self.lam}")
        if not 0.0 <= self.zeta <= 1.0:
            raise ValueError(f"zeta must be in [0, 1], got {self.zeta}")


def conjugate_gradient(
    apply: Callable[[torch.Tensor], torch.Tensor],
    rhs: torch.Tensor,
    start: torch.Tensor,
    iterations: int,
    tolerance: float,
) -> torch.Tensor:
    """Solve apply(x) = rhs for a symmetric positive (semi-)definite ``apply``, one system per batch row.

    Args:
        rhs, start: [B, *shape]. Stops after ``iterations`` or once every row's residual norm is at
            most ``tolerance`` times its right-hand side's norm.
    """

    def dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (a * b).flatten(1).sum(1).view(-1, *[1] * (a.ndim - 1))

    tiny = torch.finfo(start.dtype).tiny
    x = start.clone()
    residual = rhs - apply(x)
    direction = residual.clone()
    squared = dot(residual, residual)
    threshold = tolerance**2 * dot(rhs, rhs)
    for _ in range(iterations):
        if bool((squared <= threshold).all()):
            break
        image = apply(direction)
        curvature = dot(direction, image)
        # Rows that have converged exactly have a zero direction: leave them where they are.
        step = torch.where(curvature > 0, squared / curvature.clamp_min(tiny), 0.0)
        x = x + step * direction
        residual = residual - step * image
        new_squared = dot(residual, residual)
        direction = residual + torch.where(squared > 0, new_squared / squared.clamp_min(tiny), 0.0) * direction
        squared = new_squared
    return x


class DiffPIR(Sampler):
    """Plug-and-play restoration with a diffusion denoiser and an exact proximal data step (linear A only)."""

    name = "diffpir"
    Settings = DiffPIRSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        if not isinstance(operator, LinearOperator):
            raise ValueError(f"DiffPIR needs a linear operator with an adjoint, got {type(operator).__name__}")
        if type(prior).decode is not Prior.decode:
            raise ValueError("DiffPIR needs a pixel-space prior: its proximal step is linear in the prior's space")

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
        observed = likelihood.y if likelihood.y.ndim == x.ndim else likelihood.y.unsqueeze(0)
        back_projected = operator.adjoint(observed.to(x.dtype))  # Aᵀy, [1 or B, *event_shape]
        for position in range(len(grid) - 1, 0, -1):
            t, t_prev = grid[position], grid[position - 1]
            alpha_bar, alpha_bar_prev = prior.alpha_bar(t), prior.alpha_bar(t_prev)
            x0 = prior.x0(x, t)
            rho = settings.lam * likelihood.sigma_y**2 * alpha_bar / (1.0 - alpha_bar)
            x0 = conjugate_gradient(
                lambda v, rho=rho: operator.adjoint(operator(v)) + rho * v,
                back_projected + rho * x0,
                x0,
                settings.cg_iterations,
                settings.cg_tolerance,
            )
            record(x0)
            if t_prev > 0:
                eps = (x - math.sqrt(alpha_bar) * x0) / math.sqrt(1.0 - alpha_bar)
                fresh = standard_normal_like(x, generator)
                noise = math.sqrt(1.0 - settings.zeta) * eps + math.sqrt(settings.zeta) * fresh
                x = math.sqrt(alpha_bar_prev) * x0 + math.sqrt(1.0 - alpha_bar_prev) * noise
        return x0  # the last step (to index 0) returns its clean estimate
