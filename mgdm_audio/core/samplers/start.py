"""Where a sampler starts: from noise at the top of its schedule (cold), or from an initial estimate at
a lower noise level (warm).

A warm start is the "initialise from a separator, then sample" idea of MSDM's Demucs + Gibbs row,
made generic: any prior, operator and estimate. At VE noise level σ (VP: ᾱ = 1 / (1 + σ²)) the
sampler's state is the estimate noised by the forward process, x = sqrt(ᾱ) x̂ + sqrt(1 − ᾱ) ε, and its
grid spans the table indices from 0 up to the one of σ. Started from an exact posterior draw, the
state is then an exact draw of the posterior's noised marginal; started high enough, the estimate is
forgotten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..noise import standard_normal
from ..priors.base import Prior
from ..schedules import sigmas_from_table, time_grid


class ColdStart:
    """Start from noise at the top of the schedule (the published samplers)."""

    def grid(self, prior: Prior, steps: int) -> list[int]:
        """The sampler's K table indices, increasing."""
        return prior.grid(steps)

    def state(
        self, prior: Prior, num_samples: int, index: int, generator: torch.Generator | None, scale: bool
    ) -> torch.Tensor:
        """x at table index ``index`` [num_samples, *event_shape]: N(0, I), or N(0, (1 − ᾱ) I) when ``scale``
        (that level's noise variance; its data part sqrt(ᾱ)·x_0 is negligible at the top)."""
        x = standard_normal((num_samples, *prior.event_shape), generator, prior.dtype, prior.device)
        return x * (1.0 - prior.alpha_bar(index)) ** 0.5 if scale else x

    def sigma_max(self, default: float) -> float:
        """The top VE noise level of a sampler with its own σ schedule (``default``: the schedule's)."""
        return default

    def estimate_like(self, x: torch.Tensor) -> torch.Tensor | None:
        """The initial estimate, one per sample of ``x`` (None for a cold start)."""
        return None


COLD = ColdStart()


@dataclass(frozen=True)
class WarmStart(ColdStart):
    """Start from ``estimate`` noised to VE level ``sigma``.

    Args:
        estimate: [1 or B, *event_shape] in the prior's space (latent priors: a latent), B = the number of samples.
        sigma: VE noise level (data units, x_σ = x̂ + σ ε); the grid's top is the largest table index whose σ is
            at most this.
    """

    estimate: torch.Tensor
    sigma: float

    def __post_init__(self):
        if not self.sigma > 0:
            raise ValueError(f"the start noise level must be > 0, got {self.sigma}")

    def top_index(self, prior: Prior) -> int:
        """The largest table index whose σ is ≤ ``sigma`` (at least 1).

        Raises:
            ValueError: ``sigma`` is below the prior's smallest noise level.
        """
        sigmas = sigmas_from_table(prior.alphas_cumprod)
        index = int(torch.searchsorted(sigmas, torch.tensor(self.sigma, dtype=sigmas.dtype), right=True)) - 1
        if index < 1:
            raise ValueError(f"start noise level {self.sigma:g} is below the prior's smallest, {float(sigmas[1]):.3g}")
        return index

    def grid(self, prior: Prior, steps: int) -> list[int]:
        """K = ``steps`` table indices spanning [0, top index]; every index up to the top when there are fewer."""
        top = self.top_index(prior)
        return time_grid(top + 1, min(steps, top + 1))

    def state(
        self, prior: Prior, num_samples: int, index: int, generator: torch.Generator | None, scale: bool
    ) -> torch.Tensor:
        """sqrt(ᾱ) x̂ + sqrt(1 − ᾱ) ε at table index ``index`` (``scale`` plays no part: the noise is the level's)."""
        noise = ColdStart.state(self, prior, num_samples, index, generator, scale=True)
        return math.sqrt(prior.alpha_bar(index)) * self.estimate_like(noise) + noise

    def sigma_max(self, default: float) -> float:
        return min(self.sigma, default)

    def estimate_like(self, x: torch.Tensor) -> torch.Tensor:
        estimate = self.estimate.to(dtype=x.dtype, device=x.device)
        if estimate.shape[1:] != x.shape[1:] or estimate.shape[0] not in (1, x.shape[0]):
            raise ValueError(
                f"initial estimate has shape {list(estimate.shape)}; expected [1 or {x.shape[0]}, "
                f"{', '.join(map(str, x.shape[1:]))}]"
            )
        return estimate.expand_as(x)
