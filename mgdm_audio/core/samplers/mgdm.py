"""MGDM: the mixture-guided Gibbs sampler (Janati et al., ICML 2025; docs/method.md#the-method, #the-sampler)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..bridge import bridge
from ..likelihoods import GaussianLikelihood
from ..operators.base import Operator
from ..priors.base import Prior
from ..schedules import time_grid
from . import intermediate
from .base import Sampler, forward_model
from .index_rules import INDEX_RULES, choose_index
from .start import ColdStart
from .step_schedule import StepSchedule


@dataclass
class MGDMSettings:
    """Settings of :class:`MGDM` (names follow docs/method.md#published-settings; the defaults are the published
    pixel-image row).

    steps: K grid points (K − 3 outer steps). gibbs_reps: R Gibbs sweeps per outer step.
    denoising_steps: M, the most grid points of the unconditional x̂0 | x_s chain.
    eta: η of the DDIM-style bridges (the x_t initialisation and the x̂0 chain).
    index_rule / mix_threshold / min_index: how s is chosen (see :mod:`.index_rules`).
    intermediate_update: how x_s | x̂0, x_t is drawn: "variational" (published: Gaussian fit by Adam),
        "pcn" (derivative-free Metropolis), "laplace" (Metropolis from a Gauss–Newton fit; see
        :mod:`.intermediate`) or "auto": per outer step, laplace where the observation is sharp against
        the bridge, pcn elsewhere (:meth:`MGDM.choose_update`).
    grad_steps / lr: Adam steps and learning rate of the variational update, per outer step k
        (expressions in k, K).
    metropolis_steps: Metropolis steps of the pcn and laplace updates, per outer step k.
    fit_steps: Gauss–Newton iterations of the laplace update (each: one backward pass per observed entry).
    sharpness_threshold: the "auto" rule's threshold on ρ_s (see :meth:`MGDM.choose_update`).
    scale_initial_noise: start from N(0, (1 − ᾱ_top) I) instead of N(0, I).
    """

    steps: int = 100
    gibbs_reps: int = 1
    denoising_steps: int = 20
    eta: float = 1.0
    index_rule: str = "mix"
    mix_threshold: int = 70
    min_index: int = 10
    grad_steps: StepSchedule | int | str = "20 if k >= K - 30 else 5"
    lr: StepSchedule | float | str = "0.01 if k <= 10 else 0.03"
    intermediate_update: str = "variational"
    metropolis_steps: StepSchedule | int | str = 20
    fit_steps: int = 2
    sharpness_threshold: float = 1.0
    scale_initial_noise: bool = False

    def __post_init__(self):
        if not isinstance(self.grad_steps, StepSchedule):
            self.grad_steps = StepSchedule(self.grad_steps, "grad_steps")
        if not isinstance(self.lr, StepSchedule):
            self.lr = StepSchedule(self.lr, "lr")
        if not isinstance(self.metropolis_steps, StepSchedule):
            self.metropolis_steps = StepSchedule(self.metropolis_steps, "metropolis_steps")
        if self.steps < 4:
            raise ValueError(f"MGDM needs steps >= 4 (K − 3 outer steps), got {self.steps}")
        if self.fit_steps < 0:
            raise ValueError(f"fit_steps must be >= 0, got {self.fit_steps}")
        if self.gibbs_reps < 1 or self.denoising_steps < 1:
            raise ValueError("gibbs_reps and denoising_steps must be >= 1")
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta must be in [0, 1], got {self.eta}")
        if self.index_rule not in INDEX_RULES:
            raise ValueError(f"unknown index rule {self.index_rule!r}; expected one of {INDEX_RULES}")
        if self.intermediate_update not in intermediate.INTERMEDIATE_UPDATES:
            raise ValueError(
                f"unknown intermediate_update {self.intermediate_update!r}; "
                f"expected one of {intermediate.INTERMEDIATE_UPDATES}"
            )


def squared_operator_norm(
    observe: Callable[[torch.Tensor], torch.Tensor], at: torch.Tensor, iterations: int = 100
) -> float:
    """‖A‖²: the largest eigenvalue of JᵀJ, J the forward model's Jacobian at ``at`` [1, *shape] (A itself for
    a linear A), by power iteration on JᵀJ through autograd, from a fixed start (the sampler's generator is
    not touched). No denoiser calls."""
    vector = torch.randn(at.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(at)
    point = at.detach()
    estimate = 0.0
    for _ in range(iterations):
        vector = vector / vector.norm()
        with torch.enable_grad():
            _, product = torch.autograd.functional.vjp(
                observe, point, torch.autograd.functional.jvp(observe, point, vector)[1]
            )
        estimate = float((vector * product).sum())
        vector = product
    return estimate


class MGDM(Sampler):
    """Mixture-guided Gibbs sampling: per outer step, draw s, then R sweeps of
    x_s | x̂0, x_t (the Gaussian variational fit, pCN Metropolis, or laplace: a Gauss–Newton fit corrected by
    Metropolis; "auto" picks pCN or laplace per step) → x̂0 | x_s (prior chain) → x_t | x_s, x_next (bridge)."""

    name = "mgdm"
    Settings = MGDMSettings

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
        num_grid = len(grid)
        table = prior.alphas_cumprod
        update_schedule = (
            settings.grad_steps if settings.intermediate_update == "variational" else settings.metropolis_steps
        )
        norm_squared = None
        with torch.no_grad():
            x_next = start.state(prior, num_samples, grid[-1], generator, settings.scale_initial_noise)
            # A warm start's estimate is the first x̂0: x_next was drawn from it, so the pair is one draw of
            # the forward process, as the bridge to x_t assumes.
            x0 = start.estimate_like(x_next)
            if x0 is None:
                x0 = prior.x0(x_next, grid[-1])
        if settings.intermediate_update == "auto" and operator.differentiable:
            norm_squared = squared_operator_norm(observe, x0[:1])
        record(x0)
        for k, position in enumerate(range(num_grid - 2, 1, -1)):
            t_prev, t, t_next = grid[position - 1], grid[position], grid[position + 1]
            s = choose_index(settings.index_rule, k, t, t_prev, settings.min_index, settings.mix_threshold, generator)
            update_steps = int(update_schedule(k, num_grid))
            lr = float(settings.lr(k, num_grid))
            with torch.no_grad():
                x_t = bridge(table, 0, t, t_next, settings.eta).sample(x0, x_next, generator)
            update = self.choose_update(prior, s, t, norm_squared, likelihood.sigma_y)
            for _ in range(settings.gibbs_reps):
                x_s = self._draw_intermediate(
                    prior, observe, likelihood, x0, x_t, s, t, update_steps, lr, generator, update
                )
                with torch.no_grad():
                    x0 = self._denoise(prior, x_s, s, generator)
                    x_t = bridge(table, s, t, t_next).sample(x_s, x_next, generator)
            x_next = x_t
            record(x0)
        return x0

    def differentiates_operator(self) -> bool:
        """pCN, and "auto" on a black box (it then picks pCN), need forward calls only."""
        return self.settings.intermediate_update in ("variational", "laplace")

    def choose_update(self, prior: Prior, s: int, t: int, norm_squared: float | None, sigma_y: float) -> str:
        """The x_s update of an outer step: the ``intermediate_update`` setting, or for "auto" "laplace" where
        ρ_s = σ² ᾱ_s ‖A‖² / σ_y² > ``sharpness_threshold``, else "pcn".

        σ² is the bridge q(x_s | x̂0, x_t)'s variance and ᾱ_s ‖A‖² / σ_y² the largest curvature of
        −log ĝ_s(y | x_s) in x_s for data of unit variance (the denoiser's gain is then sqrt(ᾱ_s)): ρ_s ≫ 1
        means the likelihood is much narrower than the bridge, so pCN's bridge proposals rarely land in it.
        ``norm_squared``: ‖A‖², the largest eigenvalue of AᵀA (:func:`squared_operator_norm`); None for a
        black-box operator, which gets "pcn".
        """
        if self.settings.intermediate_update != "auto":
            return self.settings.intermediate_update
        if norm_squared is None:  # a black-box forward model: pCN, which needs forward calls only
            return "pcn"
        variance = bridge(prior.alphas_cumprod, 0, s, t).std ** 2
        sharpness = variance * prior.alpha_bar(s) * norm_squared / sigma_y**2
        return "laplace" if sharpness > self.settings.sharpness_threshold else "pcn"

    def _draw_intermediate(
        self,
        prior: Prior,
        observe: Callable[[torch.Tensor], torch.Tensor],
        likelihood: GaussianLikelihood,
        x0: torch.Tensor,
        x_t: torch.Tensor,
        s: int,
        t: int,
        steps: int,
        lr: float,
        generator: torch.Generator | None,
        update: str | None = None,
    ) -> torch.Tensor:
        """x_s ∝ ĝ_s(y | x_s) q(x_s | x̂0, x_t), drawn by ``update`` (default: the ``intermediate_update``
        setting; "auto" is resolved by :meth:`choose_update` before)."""
        update = update or self.settings.intermediate_update
        coefficients = bridge(prior.alphas_cumprod, 0, s, t)
        bridge_mean = coefficients.mean(x0, x_t)

        def energy(x_s: torch.Tensor) -> torch.Tensor:  # −log ĝ_s(y | x_s), [B]
            return likelihood.neg_log(observe(prior.x0(x_s, s)))

        if update == "pcn":
            return intermediate.pcn(energy, bridge_mean, coefficients.std, steps, generator)
        if update == "laplace":

            def residual(x_s: torch.Tensor) -> torch.Tensor:  # (y − A D_s(x_s)) / σ_y, [B, n]
                return (likelihood.residual(observe(prior.x0(x_s, s))) / likelihood.sigma_y).flatten(1)

            return intermediate.laplace(
                residual, bridge_mean, coefficients.std, self.settings.fit_steps, steps, generator
            )
        return intermediate.variational(energy, bridge_mean, coefficients.std, steps, lr, generator)

    def _denoise(self, prior: Prior, x_s: torch.Tensor, s: int, generator: torch.Generator | None) -> torch.Tensor:
        """x̂0 | x_s: the unconditional chain on min(M, s + 1) grid points from s down to 0."""
        num_points = min(self.settings.denoising_steps, s + 1)
        if num_points < 2:
            return prior.x0(x_s, s)
        points = time_grid(s + 1, num_points)
        x = x_s
        for j in range(num_points - 1, 1, -1):
            x0 = prior.x0(x, points[j])
            x = bridge(prior.alphas_cumprod, 0, points[j - 1], points[j], self.settings.eta).sample(x0, x, generator)
        return prior.x0(x, points[1])
