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
- ``laplace``: a Gaussian fitted to the conditional by damped Gauss–Newton (the forward model through the
  denoiser linearised: one backward pass per observed entry and iteration), then independence Metropolis–
  Hastings with that Gaussian, widened, as proposal; the Metropolis ratio corrects the fit, so the update
  still leaves the conditional invariant. Where the observation is sharp against the bridge (an
  informative A, small σ_y) pCN's bridge proposals rarely land in the likelihood; the fit's do. For small
  observations (the benchmark's d_y ≤ 50), not images or audio.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..noise import standard_normal, standard_normal_like, uniform_like

Energy = Callable[[torch.Tensor], torch.Tensor]
#: x_s [B, *shape] -> whitened residual (y − A D_s(x_s)) / σ_y, [B, n].
Residual = Callable[[torch.Tensor], torch.Tensor]

#: Adaptation of the pCN step: ×ADAPT after an acceptance, ÷ADAPT after a rejection (acceptance → 1/2).
ADAPT = 1.3
#: The laplace update's proposal tempers the fitted likelihood by this factor (2x its sd along the
#: directions the observation pins): importance weights of a proposal narrower than the target's tails
#: are unbounded and the chain then converges slowly (measured on the 1-D test of tests/core).
WIDEN = 0.25
BACKTRACK = 6


def variational(
    energy: Energy, mean: torch.Tensor, std: float, steps: int, lr: float, generator: torch.Generator | None
) -> torch.Tensor:
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
    return _metropolis(
        lambda x: -energy(x), mean, lambda beta: beta * std * standard_normal_like(mean, generator), steps, generator
    )


def laplace(
    residual: Residual, mean: torch.Tensor, std: float, fit_steps: int, steps: int, generator: torch.Generator | None
) -> torch.Tensor:
    """A Gauss–Newton fit of the conditional, then ``steps`` independence Metropolis–Hastings steps from it.

    ``residual`` maps x_s [B, *shape] to the whitened residual r(x_s) = (y − A D_s(x_s)) / σ_y, [B, n], so
    energy = ½ ‖r‖². Each of ``fit_steps`` iterations linearises r at the current centre c (r(x) ≈ r(c) +
    J (x − c), J [B, n, D] by n backward passes) and steps towards the mode μ of the resulting Gaussian
    N(μ, P⁻¹), P = I / σ² + JᵀJ (first centre: the bridge mean m), halving each sample's step (up to
    BACKTRACK times) until −log π does not increase. The proposal is that Gaussian with J scaled by
    sqrt(WIDEN) (twice as wide along the directions the observation pins), drawn exactly by Matheron's rule:
    x = μ + σ ξ − σ² Jᵀ (I + σ² J Jᵀ)⁻¹ (J σ ξ + η), ξ, η standard normal. With w(x) = π(x) / proposal(x) =
    exp(−½‖r(x)‖² − ½‖x − m‖² / σ² + ½ (x − μ)ᵀ P (x − μ)), a proposal x' is accepted with probability
    min(1, w(x') / w(x)); the chain starts from a proposal draw. β stays 1: an adapted β breaks detailed
    balance (measured on the 1-D test of tests/core: the chain drifted from the target). With ``fit_steps``
    = 0 this is :func:`pcn`.
    """
    mean = mean.detach()
    batch, shape = mean.shape[0], mean.shape
    flat_mean = mean.reshape(batch, -1)
    centre, jacobian = flat_mean, None

    def objective(flat: torch.Tensor) -> torch.Tensor:  # −log π up to a constant, [B]
        with torch.no_grad():
            return 0.5 * residual(flat.reshape(shape)).pow(2).sum(1) + 0.5 * (flat - flat_mean).pow(2).sum(1) / std**2

    for _ in range(fit_steps):
        value, jacobian = _linearise(residual, centre.reshape(shape))
        offset = value + torch.einsum("bnd,bd->bn", jacobian, flat_mean - centre)
        step = flat_mean - std**2 * _push_through(jacobian, offset, std) - centre
        current = 0.5 * value.pow(2).sum(1) + 0.5 * (centre - flat_mean).pow(2).sum(1) / std**2
        pending = torch.ones_like(current, dtype=torch.bool)
        for _ in range(BACKTRACK):  # halve each sample's step until its objective does not increase
            trial = centre + step
            value_at_trial = objective(trial)
            better = pending & (value_at_trial <= current)
            centre = torch.where(better[:, None], trial, centre)
            current = torch.where(better, value_at_trial, current)
            pending = pending & ~better
            if not pending.any():
                break
            step = step / 2
    if jacobian is None:
        return pcn(lambda x: 0.5 * residual(x).pow(2).sum(1), mean, std, steps, generator)
    jacobian = jacobian * WIDEN**0.5

    def draw(beta: torch.Tensor) -> torch.Tensor:  # β · a draw of the proposal minus μ, [B, *shape]
        xi = std * standard_normal(tuple(flat_mean.shape), generator, mean.dtype, mean.device)
        eta = standard_normal((batch, jacobian.shape[1]), generator, mean.dtype, mean.device)
        sample = xi - std**2 * _push_through(jacobian, torch.einsum("bnd,bd->bn", jacobian, xi) + eta, std)
        return beta * sample.reshape(shape)

    def log_weight(x: torch.Tensor) -> torch.Tensor:  # log target − log proposal, up to a constant, [B]
        flat = x.reshape(batch, -1)
        from_centre = flat - centre
        return (
            -0.5 * residual(x).pow(2).sum(1)
            - 0.5 * (flat - flat_mean).pow(2).sum(1) / std**2
            + 0.5 * from_centre.pow(2).sum(1) / std**2
            + 0.5 * torch.einsum("bnd,bd->bn", jacobian, from_centre).pow(2).sum(1)
        )

    return _metropolis(log_weight, centre.reshape(shape), draw, steps, generator, adapt=1.0)


def _linearise(residual: Residual, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """r(x) [B, n] and its per-sample Jacobian [B, n, D] (one forward, n backward passes)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        value = residual(x)
        rows = [
            torch.autograd.grad(value[:, i].sum(), x, retain_graph=i + 1 < value.shape[1])[0].reshape(len(x), -1)
            for i in range(value.shape[1])
        ]
    return value.detach(), torch.stack(rows, 1)


def _push_through(jacobian: torch.Tensor, vector: torch.Tensor, std: float) -> torch.Tensor:
    """Jᵀ (I + σ² J Jᵀ)⁻¹ v per sample: J [B, n, D], v [B, n] -> [B, D] (an n × n solve)."""
    gram = torch.eye(jacobian.shape[1], dtype=jacobian.dtype, device=jacobian.device) + std**2 * (
        jacobian @ jacobian.transpose(1, 2)
    )
    return torch.einsum("bnd,bn->bd", jacobian, torch.linalg.solve(gram, vector))


@torch.no_grad()
def _metropolis(
    log_weight: Callable[[torch.Tensor], torch.Tensor],
    centre: torch.Tensor,
    draw: Callable[[torch.Tensor], torch.Tensor],
    steps: int,
    generator: torch.Generator | None,
    adapt: float = ADAPT,
) -> torch.Tensor:
    """pCN chain with reference N(centre, C) and target ∝ exp(log_weight) N(centre, C): ``draw(β)`` returns
    β times a draw of N(0, C) (β a [B, 1, …] column); started from a draw of the reference."""
    batch = centre.shape[0]
    as_column = (batch,) + (1,) * (centre.dim() - 1)
    beta = torch.ones(as_column, dtype=centre.dtype, device=centre.device)
    x = centre + draw(beta)
    current = log_weight(x)
    for _ in range(steps):
        proposal = centre + (1 - beta.square()).sqrt() * (x - centre) + draw(beta)
        proposed = log_weight(proposal)
        accept = uniform_like(centre, (batch,), generator).log() < proposed - current
        x = torch.where(accept.view(as_column), proposal, x)
        current = torch.where(accept, proposed, current)
        beta = torch.where(accept.view(as_column), (beta * adapt).clamp(max=1.0), beta / adapt)
    return x


#: Names accepted by MGDM's ``intermediate_update`` setting.
#: ("auto" is MGDM's rule that picks pcn or laplace per outer step: core/samplers/mgdm.py.)
INTERMEDIATE_UPDATES = ("variational", "pcn", "laplace", "auto")
