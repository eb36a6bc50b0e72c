"""Updates of MGDM's x_s | x̂0, x_t: the one Gibbs conditional that sees the observation.

Its target is π(x_s) ∝ exp(−energy(x_s)) N(x_s; m, σ² I), where energy(x_s) = −log ĝ_s(y | x_s) and
N(m, σ² I) is the bridge q(x_s | x̂0, x_t). Each update takes the energy (batched: [B, *shape] → [B]),
the bridge mean m [B, *shape] and scalar std σ, and returns one draw per sample, [B, *shape].

- ``variational`` (published): a diagonal Gaussian fitted by reparameterised KL and Adam; needs
  gradients through the denoiser and the forward model.
- ``pcn``: preconditioned Crank–Nicolson Metropolis with the bridge Gaussian as reference measure
  (docs/method.md#the-method): forward calls only, so it serves non-differentiable forward models, and it leaves
  the conditional itself invariant instead of fitting a Gaussian to it. Each of its proposals has to
  land where the likelihood is, so it suits moderate observation noise, not σ_y → 0.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..noise import standard_normal_like, uniform_like

Energy = Callable[[torch.Tensor], torch.Tensor]

#: Adaptation of the pCN step: ×ADAPT after an acceptance, ÷ADAPT after a rejection (acceptance → 1/2).
ADAPT = 1.3


def variational(energy: Energy, mean: torch.Tensor, std: float, steps: int, lr: float,
                generator: torch.Generator | None) -> torch.Tensor:
    """x_s ~ N(μ, diag e^{2λ}), (μ, λ) from (m, log σ) by ``steps`` single-draw Adam steps at ``lr``."""
    mean = mean.detach()
    fitted_mean = mean.clone().requires_grad_(True)
    log_std = torch.full_like(mean, math.log(std)).requires_grad_(True)
    optimizer = torch.optim.Adam([fitted_mean, log_std], lr=lr)
    for _ in range(steps):
        noise = standard_normal_like(mean, generator)
        with torch.enable_grad():
            x_s = fitted_mean + log_std.exp() * noise
            bridge_fit = 0.5 * ((x_s - mean) / std).pow(2).flatten(1).sum(1)
            entropy = log_std.flatten(1).sum(1)
            # Adam is elementwise, so summing over the batch keeps the samples independent.
            (energy(x_s) + bridge_fit - entropy).sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        return fitted_mean + log_std.exp() * standard_normal_like(mean, generator)


@torch.no_grad()
def pcn(energy: Energy, mean: torch.Tensor, std: float, steps: int, generator: torch.Generator | None) -> torch.Tensor:
    """``steps`` pCN Metropolis steps per sample, started from a draw of the bridge N(m, σ² I).

    Proposal x' = m + sqrt(1 − β²)(x − m) + β σ ξ keeps the bridge Gaussian invariant, so the
    acceptance probability is min(1, exp(energy(x) − energy(x'))). β starts at 1 (independent draws
    from the bridge) and adapts per sample: ×1.3 after an acceptance, ÷1.3 after a rejection.
    """
    batch = mean.shape[0]
    as_column = (batch,) + (1,) * (mean.dim() - 1)
    x = mean + std * standard_normal_like(mean, generator)
    current = energy(x)
    beta = torch.ones(as_column, dtype=mean.dtype, device=mean.device)
    for _ in range(steps):
        proposal = mean + (1 - beta.square()).sqrt() * (x - mean) + beta * std * standard_normal_like(mean, generator)
        proposed = energy(proposal)
        accept = uniform_like(mean, (batch,), generator).log() < current - proposed
        x = torch.where(accept.view(as_column), proposal, x)
        current = torch.where(accept, proposed, current)
        beta = torch.where(accept.view(as_column), (beta * ADAPT).clamp(max=1.0), beta / ADAPT)
    return x


#: Names accepted by MGDM's ``intermediate_update`` setting.
INTERMEDIATE_UPDATES = ("variational", "pcn")
