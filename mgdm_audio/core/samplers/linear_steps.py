"""Steps the SVD- and solve-based baselines share (ΠGDM, DDNM+, RED-diff, DAPS, PnP-DM).

All of them need a linear A with its adjoint, acting in the prior's own space (a pixel-space prior),
and solve small linear systems by the conjugate gradients of :mod:`.diffpir`, so that no dense matrix
is formed; DDNM+ alone uses the operator's SVD (:meth:`LinearOperator.svd`).
"""

from __future__ import annotations

import torch

from ..bridge import bridge
from ..likelihoods import GaussianLikelihood
from ..noise import standard_normal_like
from ..operators.base import LinearOperator, Operator
from ..priors.base import Prior
from .diffpir import conjugate_gradient


def require_linear_pixel(name: str, prior: Prior, operator: Operator) -> None:
    """Raise a clear error unless ``operator`` is linear with an adjoint and ``prior`` is pixel-space."""
    if not isinstance(operator, LinearOperator):
        raise ValueError(f"{name} needs a linear operator with an adjoint, got {type(operator).__name__}")
    if type(prior).decode is not Prior.decode:
        raise ValueError(f"{name} needs a pixel-space prior: its data step is linear in the prior's space")


def observation(likelihood: GaussianLikelihood, like: torch.Tensor) -> torch.Tensor:
    """y as [1 or B, *out_shape] in ``like``'s dtype, for broadcasting against a batch."""
    y = likelihood.y.to(like.dtype)
    return y if y.ndim == like.ndim else y.unsqueeze(0)


def solve_observation_space(
    operator: LinearOperator, rhs: torch.Tensor, r2: float, sigma2: float, iterations: int, tolerance: float
) -> torch.Tensor:
    """(r² A Aᵀ + σ² I)⁻¹ rhs for rhs [B, *out_shape], by conjugate gradients from zero."""

    def apply(v: torch.Tensor) -> torch.Tensor:
        return r2 * operator(operator.adjoint(v)) + sigma2 * v

    return conjugate_gradient(apply, rhs, torch.zeros_like(rhs), iterations, tolerance)


def sample_data_step(
    operator: LinearOperator,
    likelihood: GaussianLikelihood,
    center: torch.Tensor,
    r2: float,
    generator: torch.Generator | None,
    iterations: int,
    tolerance: float,
) -> torch.Tensor:
    """One exact draw per row of p(x) ∝ N(x; center, r² I) N(y; A x, σ_y² I), [B, *shape].

    Perturb, then optimise: with x̃ = center + r ξ and ỹ = y + σ_y η, the solution of
    (AᵀA + (σ_y² / r²) I) x = Aᵀỹ + (σ_y² / r²) x̃ is an exact draw of that Gaussian (Papandreou & Yuille,
    2010). Solved by conjugate gradients started at x̃.
    """
    ratio = likelihood.sigma_y**2 / r2
    perturbed = center + r2**0.5 * standard_normal_like(center, generator)
    y = observation(likelihood, center)
    noisy_y = y.expand(center.shape[0], *y.shape[1:]) + likelihood.sigma_y * standard_normal_like(
        y.expand(center.shape[0], *y.shape[1:]), generator
    )
    return conjugate_gradient(
        lambda v: operator.adjoint(operator(v)) + ratio * v,
        operator.adjoint(noisy_y) + ratio * perturbed,
        perturbed,
        iterations,
        tolerance,
    )


def denoising_chain(
    prior: Prior, x: torch.Tensor, index: int, points: int, eta: float, generator: torch.Generator | None
) -> torch.Tensor:
    """x̂0 from x at table index ``index`` by the prior's own chain on min(points, index + 1) grid points
    down to 0: η = 0 follows the probability-flow ODE (DDIM), η = 1 draws from p(x_0 | x_index) (DDPM).
    One point or index 0: the denoiser's single estimate D_index(x)."""
    num_points = min(points, index + 1)
    if num_points < 3:
        return prior.x0(x, index)
    grid = torch.linspace(0, index, num_points, dtype=torch.float64).round().long().tolist()
    for j in range(num_points - 1, 1, -1):
        x0 = prior.x0(x, grid[j])
        x = bridge(prior.alphas_cumprod, 0, grid[j - 1], grid[j], eta).sample(x0, x, generator)
    return prior.x0(x, grid[1])
