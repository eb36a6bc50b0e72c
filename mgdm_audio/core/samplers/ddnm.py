"""DDNM+: zero-shot restoration by range-null space decomposition (Wang, Yu & Zhang, ICLR 2023), noisy form.

With A = U diag(s) Vᵀ, each step replaces the range-space part of the clean estimate by the observation's:
in the coordinates c = Vᵀ x̂0 and ȳ = Uᵀ y / s (ȳ's noise has std σ_y / s_i),

    c_i ← c_i − λ_i (c_i − ȳ_i),

then takes the DDPM / DDIM bridge step x_{t'} = a x̂0 + b x_t + σ ε. The correction carries noise
a λ_i σ_y / s_i into x_{t'}; DDNM+ picks λ_i = min(1, σ s_i / (a σ_y)) so that it never exceeds the step's
own σ, and draws only the remainder sqrt(σ² − (a λ_i σ_y / s_i)²) fresh along v_i. Noiseless (σ_y → 0),
λ = 1: for a Gaussian prior with identity covariance the range part is y's and the null-space part follows
the prior's own chain, the exact posterior. One denoiser call, no gradient, per step; the SVD is the
operator's (dense factors: for small problems).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..bridge import BridgeCoefficients, bridge
from ..likelihoods import GaussianLikelihood
from ..noise import standard_normal_like
from ..operators.base import LinearOperator, Operator
from ..priors.base import Prior
from .base import Sampler, check_steps
from .linear_steps import observation, require_linear_pixel
from .start import ColdStart


@dataclass
class DDNMSettings:
    """steps: grid points K (K − 1 denoiser calls, none with gradient). eta: η of the bridge (1: DDPM).
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I)."""

    steps: int = 100
    eta: float = 1.0
    scale_initial_noise: bool = False

    def __post_init__(self):
        check_steps("DDNM", self.steps)
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {self.eta}")


class DDNM(Sampler):
    """Range-null space decomposition with noise-aware range steps (DDNM+), through the operator's SVD."""

    name = "ddnm"
    Settings = DDNMSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        require_linear_pixel("DDNM", prior, operator)

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
        try:
            factors = operator.svd()
        except NotImplementedError as error:
            raise ValueError(f"DDNM needs the operator's SVD: {error}") from None
        u, s, v = (factor.to(dtype=x.dtype, device=x.device) for factor in factors)
        kept = s > s.max() * torch.finfo(x.dtype).eps * max(u.shape[0], v.shape[0])  # numerical rank
        u, s, v = u[:, kept], s[kept], v[:, kept]
        # ȳ = Uᵀ y / s and its noise std σ_y / s, per range coordinate: [1 or B, r] and [r].
        y_bar = observation(likelihood, x).flatten(1) @ u / s
        y_noise = likelihood.sigma_y / s
        with torch.no_grad():
            for position in range(len(grid) - 1, 0, -1):
                t, t_prev = grid[position], grid[position - 1]
                x0 = prior.x0(x, t)
                # The last step returns the clean estimate itself: a = 1, σ = 0.
                step = (
                    bridge(prior.alphas_cumprod, 0, t_prev, t, settings.eta)
                    if t_prev > 0
                    else BridgeCoefficients(1.0, 0.0, 0.0)
                )
                # λ_i = 1 where the step's noise covers the correction's, else σ / (a σ_y / s_i).
                carried = step.coef_lower * y_noise
                lam = torch.where(carried <= step.std, torch.ones_like(s), step.std / carried.clamp_min(1e-300))
                flat = x0.flatten(1)
                coordinates = flat @ v
                x0 = (flat - (lam * (coordinates - y_bar)) @ v.T).view_as(x0)
                record(x0)
                if t_prev == 0:
                    return x0
                noise = standard_normal_like(x0, generator).flatten(1)
                # Fresh noise σ along the null space, sqrt(σ² − (a λ σ_y / s)²) along each v_i.
                fresh = (step.std**2 - (lam * carried).square()).clamp_min(0).sqrt()
                noise = step.std * noise + ((fresh - step.std) * (noise @ v)) @ v.T
                x = step.mean(x0, x) + noise.view_as(x0)
        return x0
