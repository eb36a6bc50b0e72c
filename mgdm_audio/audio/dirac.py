"""MSDM's "Dirac" separator (Mariani et al., ICLR 2024; docs/method.md#baselines), over the core's contracts.

It integrates the EDM probability-flow equation of the stems in VE units (x_VE = x_0 + σ ε) with
first-order stochastic Euler steps, constraining the stems to the mixture: one stem is always the
residual y − Σ_{j≠k} x_j, so the others follow the score of p_σ(x_{−k}, x_k = residual).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from mgdm_audio.core.likelihoods import GaussianLikelihood
from mgdm_audio.core.noise import standard_normal, standard_normal_like
from mgdm_audio.core.operators.base import Operator
from mgdm_audio.core.priors.base import Prior
from mgdm_audio.core.priors.ve import VEDenoiserPrior
from mgdm_audio.core.samplers import register_sampler
from mgdm_audio.core.samplers.base import Sampler
from mgdm_audio.core.samplers.start import ColdStart
from mgdm_audio.core.schedules import karras_sigmas

from .mixing import Mixing

DIFFERENTIALS = ("dirac", "gaussian")


@dataclass
class DiracSettings:
    """Settings of :class:`Dirac` (published: 150 steps, s_churn 20, stem 0, 2 resamples; docs/method.md#baselines).

    steps: Euler steps, on Karras(sigma_min, sigma_max, rho) from σ_max down, then a final σ = 0.
    s_churn: churn; each step first raises σ to σ̂ = σ(1 + γ), γ = min(s_churn / steps, √2 − 1).
    num_resamples: passes per step (1 + corrections); between passes the state is re-noised from
        σ_{i+1} back to σ_i. Denoiser calls: steps · num_resamples.
    constrained_stem: k, the stem set to the residual of the mixture (``differential = "dirac"``).
    differential: ``"dirac"`` (the mixture as a hard constraint) or ``"gaussian"`` (a Gaussian
        likelihood of std γ_y = gaussian_gamma · σ̂ on the mixture, no constrained stem).
    sigma_min, sigma_max, rho: the Karras schedule, in data units (VE σ).
    """

    steps: int = 150
    s_churn: float = 20.0
    num_resamples: int = 2
    constrained_stem: int = 0
    sigma_min: float = 1e-4
    sigma_max: float = 1.0
    rho: float = 7.0
    differential: str = "dirac"
    gaussian_gamma: float = 0.75

    def __post_init__(self):
        if self.steps < 1 or self.num_resamples < 1:
            raise ValueError(f"steps and num_resamples must be >= 1, got {self.steps} and {self.num_resamples}")
        if self.s_churn < 0:
            raise ValueError(f"s_churn must be >= 0, got {self.s_churn}")
        if not 0 < self.sigma_min < self.sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_max, got {self.sigma_min} and {self.sigma_max}")
        if self.differential not in DIFFERENTIALS:
            raise ValueError(f"unknown differential {self.differential!r}; expected one of {DIFFERENTIALS}")
        if not self.gaussian_gamma > 0:
            raise ValueError(f"gaussian_gamma must be > 0, got {self.gaussian_gamma}")

    def sigmas(self, sigma_max: float | None = None) -> list[float]:
        """σ_0 = σ_max > … > σ_{steps−1} = σ_min, then σ_steps = 0 (steps + 1 levels, data units). ``sigma_max``:
        another top (a warm start's), above sigma_min."""
        top = self.sigma_max if sigma_max is None else sigma_max
        if not top > self.sigma_min:
            raise ValueError(f"the start noise level {top:g} must be above sigma_min {self.sigma_min:g}")
        return karras_sigmas(self.steps, self.sigma_min, top, self.rho).flip(0).tolist() + [0.0]

    def churn(self) -> float:
        """γ: MSDM divides s_churn by len(sigmas) − 1, i.e. by ``steps`` (the final 0 counted)."""
        return min(self.s_churn / self.steps, math.sqrt(2.0) - 1.0)


@register_sampler
class Dirac(Sampler):
    """Source separation of a mixture y = Σ_s g_s x_s by MSDM's constrained stochastic Euler sampler.

    Needs a prior with an EDM denoiser ``prior.denoise(x_VE, sigma: float)`` over stems [S, *rest]
    (e.g. :class:`mgdm_audio.priors.MultiSourcePrior`) and a :class:`mgdm_audio.operators.Mixing`
    operator. The likelihood supplies y; its σ_y is not used (the mixture is a hard constraint, or
    in the Gaussian variant has the schedule's own std). Returns clean stems [B, S, *rest].
    """

    name = "dirac"
    Settings = DiracSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        if not isinstance(operator, Mixing):
            raise TypeError(
                f"the Dirac separator only solves mixtures: the operator must be a Mixing, "
                f"got {type(operator).__name__}"
            )
        if not isinstance(prior, VEDenoiserPrior):
            raise TypeError(
                f"the Dirac separator needs a VE denoiser prior.denoise(x, sigma) "
                f"(a VEDenoiserPrior); {type(prior).__name__} has none"
            )

    def _run(
        self,
        prior: Prior,
        operator: Mixing,
        likelihood: GaussianLikelihood,
        num_samples: int,
        generator: torch.Generator | None,
        record: Callable[[torch.Tensor], None],
        start: ColdStart,
    ) -> torch.Tensor:
        settings = self.settings
        num_stems = prior.event_shape[0]
        stem_gains = _stem_gains(operator, num_stems)
        if settings.differential == "dirac" and not 0 <= settings.constrained_stem < num_stems:
            raise ValueError(f"constrained_stem must be in [0, {num_stems - 1}], got {settings.constrained_stem}")
        if settings.differential == "dirac" and float(stem_gains[settings.constrained_stem]) == 0.0:
            raise ValueError(f"the constrained stem {settings.constrained_stem} has gain 0 in the mixture")
        # Gains [1, S, 1, …] and y [*rest] or [B, *rest] → [·, 1, *rest], both broadcast against the stems.
        trailing = [1] * (len(prior.event_shape) - 1)
        gains = stem_gains.to(dtype=prior.dtype, device=prior.device).view(1, num_stems, *trailing)
        mixture = likelihood.y.to(dtype=prior.dtype, device=prior.device).unsqueeze(-len(prior.event_shape))

        differential = dict(dirac=self._dirac, gaussian=self._gaussian)[settings.differential]
        sigmas = settings.sigmas(start.sigma_max(settings.sigma_max))
        churn = settings.churn()
        with torch.no_grad():
            x = sigmas[0] * standard_normal((num_samples, *prior.event_shape), generator, prior.dtype, prior.device)
            estimate = start.estimate_like(x)
            if estimate is not None:
                x = x + estimate
            for sigma, sigma_next in zip(sigmas[:-1], sigmas[1:]):
                for attempt in range(settings.num_resamples):
                    sigma_hat = sigma * (1.0 + churn)
                    x = x + math.sqrt(sigma_hat**2 - sigma**2) * standard_normal_like(x, generator)
                    x, d, x0 = differential(x, sigma_hat, mixture, gains, prior.denoise)
                    x = x + d * (sigma_next - sigma_hat)
                    if attempt < settings.num_resamples - 1:
                        # The correction: back to σ_i, then the same step again.
                        x = x + math.sqrt(sigma**2 - sigma_next**2) * standard_normal_like(x, generator)
                record(x0)
        return x

    def _dirac(
        self,
        x: torch.Tensor,
        sigma: float,
        mixture: torch.Tensor,
        gains: torch.Tensor,
        denoise: Callable[[torch.Tensor, float], torch.Tensor],
    ) -> tuple[torch.Tensor, ...]:
        """Set stem k to the residual, then d_i = s_i − (g_i / g_k) s_k with s = (x − D(x, σ)) / σ.

        d is −σ times the score of p_σ(x_{−k}, x_k(x_{−k})) along the constraint, and d_k = 0 so stem k
        stays the residual of the other stems as they were before the update. Returns (x, d, D(x, σ)).
        """
        k = self.settings.constrained_stem
        x = x.clone()
        x[:, k] += (mixture - (x * gains).sum(1, keepdim=True))[:, 0] / gains[:, k]
        x0 = denoise(x, sigma)
        score = (x - x0) / sigma
        return x, score - gains / gains[:, k : k + 1] * score[:, k : k + 1], x0

    def _gaussian(
        self,
        x: torch.Tensor,
        sigma: float,
        mixture: torch.Tensor,
        gains: torch.Tensor,
        denoise: Callable[[torch.Tensor, float], torch.Tensor],
    ) -> tuple[torch.Tensor, ...]:
        """d = (x − D(x, σ)) / σ − σ / (2 γ_y²) · g (y − Σ g x), γ_y = gaussian_gamma · σ.

        Returns (x, d, D(x, σ)).
        """
        x0 = denoise(x, sigma)
        gamma = self.settings.gaussian_gamma * sigma
        residual = mixture - (x * gains).sum(1, keepdim=True)
        return x, (x - x0) / sigma - sigma / (2.0 * gamma**2) * gains * residual, x0


def _stem_gains(operator: Mixing, num_stems: int) -> torch.Tensor:
    """The mixing gains [S] (float64); unit gains when the operator has none."""
    if operator.gains is None:
        return torch.ones(num_stems, dtype=torch.float64)
    if len(operator.gains) != num_stems:
        raise ValueError(f"the Mixing has {len(operator.gains)} gains but the prior has {num_stems} stems")
    return operator.gains.detach().cpu()
