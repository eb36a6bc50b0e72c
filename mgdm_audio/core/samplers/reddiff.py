"""RED-diff: a variational view of diffusion posterior sampling (Mardani, Song, Kautz & Vahdat, ICLR 2024).

One point estimate μ per sample is fitted by Adam over a decreasing grid of noise levels t, with the loss

    ½ ‖(y − A μ) / σ_y‖² + λ_t ⟨sg(ε̂(x_t, t) − ε), μ⟩,   x_t = sqrt(ᾱ_t) μ + sqrt(1 − ᾱ_t) ε,
    λ_t = λ sqrt((1 − ᾱ_t) / ᾱ_t)   (the paper's SNR⁻¹ᐟ² weighting),

whose regulariser is score distillation: no gradient through the denoiser. The output is μ, a mode-seeking
estimate, not a posterior draw; its spread across samples comes only from the ε's. μ starts at A⁺y (a cold
start; conjugate gradients in y's space) or at a warm start's estimate. One denoiser call, no gradient,
per step; the backward pass runs through A only.
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
from .linear_steps import observation, require_linear_pixel, solve_observation_space
from .start import ColdStart


@dataclass
class REDDiffSettings(ConjugateGradientSettings):
    """steps: grid points K (K − 1 Adam steps, one denoiser call each, no gradient through it). lr: Adam's
    learning rate (data units). lam: λ, the regulariser's weight. cg_iterations / cg_tolerance: conjugate
    gradients of the A⁺y start."""

    steps: int = 1000
    lr: float = 0.1
    lam: float = 0.25

    def __post_init__(self):
        super().__post_init__()
        check_steps("RED-diff", self.steps)
        if not self.lr > 0 or not self.lam >= 0:
            raise ValueError(f"need lr > 0 and lam >= 0, got {self.lr} and {self.lam}")


class REDDiff(Sampler):
    """Regularisation by denoising diffusion: Adam on μ with a score-distillation regulariser."""

    name = "reddiff"
    Settings = REDDiffSettings

    def check(self, prior: Prior, operator: Operator) -> None:
        require_linear_pixel("RED-diff", prior, operator)

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
        shape = (num_samples, *prior.event_shape)
        mu = start.estimate_like(torch.zeros(shape, dtype=prior.dtype, device=prior.device))
        if mu is None:
            y = observation(likelihood, torch.zeros(shape, dtype=prior.dtype, device=prior.device))
            # A⁺y = Aᵀ (AAᵀ)⁻¹ y; a tiny ridge keeps a rank-deficient AAᵀ solvable.
            mu = operator.adjoint(
                solve_observation_space(operator, y, 1.0, 1e-8, settings.cg_iterations, settings.cg_tolerance)
            ).expand(shape)
        mu = mu.detach().clone().requires_grad_(True)
        optimizer = torch.optim.Adam([mu], lr=settings.lr)
        for position in range(len(grid) - 1, 0, -1):
            t = grid[position]
            alpha_bar = prior.alpha_bar(t)
            with torch.no_grad():
                noise = standard_normal_like(mu, generator)
                x_t = math.sqrt(alpha_bar) * mu + math.sqrt(1.0 - alpha_bar) * noise
                distillation = prior.eps(x_t, t) - noise
            weight = settings.lam * math.sqrt((1.0 - alpha_bar) / alpha_bar)
            with torch.enable_grad():
                loss = likelihood.neg_log(operator(mu)).sum() + weight * (distillation * mu).sum()
                loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            record(mu.detach().clone())
        return mu.detach()
